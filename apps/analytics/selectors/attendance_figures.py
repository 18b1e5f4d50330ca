"""Attendance figures: rates by status, date, weekday, period and course; alerts.

The grouped-count helpers here also serve the dashboard and the course figures.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Q, Sum

from apps.academics import grading
from apps.academics.models import AttendanceStatus
from apps.analytics import stats
from apps.analytics.selectors.common import (
    field,
)
from apps.analytics.selectors.context import AnalyticsContext, StoredResult

STATUSES = tuple(AttendanceStatus.values)


def _status_counts(rows) -> dict[str, int]:
    counts = dict.fromkeys(AttendanceStatus.values, 0)
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + row["n"]
    return counts


def _rate_of(counts: dict[str, int]) -> float | None:
    """The engine's attendance rate of pooled counts, as a JSON number."""
    return stats.num(
        grading.attendance_rate(
            counts["present"], counts["absent"], counts["late"], counts["excused"]
        )
    )


def _grouped_rate(rows, key) -> dict:
    groups: dict = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return {group: _status_counts(members) for group, members in groups.items()}


def _trend(rows) -> list[dict]:
    weeks = _grouped_rate(rows, lambda row: stats.week_start(row["date"]))
    return [
        {"week_start": week.isoformat(), "rate": _rate_of(counts)}
        for week, counts in sorted(weeks.items())
    ]


def _slot_rows(context: AnalyticsContext) -> list[dict]:
    """Attendance counted per (date, period, status): a few thousand rows at most."""
    if context.use_aggregates:
        return list(
            context.attendance_slots.values("date", "period_number", "status").annotate(
                n=Sum("records")
            )
        )
    if context.complement is not None:
        return context.complement.attendance_rows("date", "period_number", "status")
    return list(
        context.scope.attendance.values("date", "period_number", "status")
        .annotate(n=Count("id"))
        .order_by()
    )


def _status_rows_from_counts(rows, group: str, name: str) -> list[dict]:
    """Attendance per ``group`` and status from rows with a count column per status (the
    stored results, the daily rollups), shaped as the grouped count of raw rows gives
    them: only statuses with records."""
    sums = rows.values(group).annotate(**{status: Sum(status) for status in STATUSES})
    return [
        {name: row[group], "status": status, "n": row[status]}
        for row in sums
        for status in STATUSES
        if row[status]
    ]


def _date_status_rows(context: AnalyticsContext) -> list[dict]:
    if context.use_aggregates:
        return list(context.attendance_slots.values("date", "status").annotate(n=Sum("records")))
    if context.complement is not None:
        return context.complement.attendance_rows("date", "status")
    if context.attendance_days is not None:
        return _status_rows_from_counts(context.attendance_days, "day", "date")
    return list(
        context.scope.attendance.values("date", "status").annotate(n=Count("id")).order_by()
    )


def _course_status_rows(context: AnalyticsContext) -> list[dict]:
    """Attendance counted per (course, status)."""
    if context.use_aggregates:
        return list(
            context.attendance_slots.values("course_id", "status").annotate(n=Sum("records"))
        )
    if context.stored:
        return _status_rows_from_counts(context.enrollment_results, "course_id", "course_id")
    if context.complement is not None:
        return context.complement.attendance_rows("course_id", "status")
    if context.attendance_days is not None:
        return _status_rows_from_counts(context.attendance_days, "course_id", "course_id")
    return list(
        context.scope.attendance.values("course_id", "status").annotate(n=Count("id")).order_by()
    )


def _alert_candidates(context: AnalyticsContext) -> list:
    if not context.stored:
        return context.attendance_results
    flagged = context.enrollment_results.filter(
        Q(attendance_rate__lt=context.filters.threshold)
        | Q(consecutive_absences__gte=context.filters.consecutive)
    )
    return [StoredResult.from_row(row) for row in flagged.values_list(*StoredResult.COLUMNS)]


def _alerts(context: AnalyticsContext) -> list[dict]:
    threshold = float(context.filters.threshold)
    alerts = []
    for result in _alert_candidates(context):
        rate = field(result, "attendance_rate")
        consecutive = field(result, "consecutive_absences", 0) or 0
        below = rate is not None and float(rate) < threshold
        if not below and consecutive < context.filters.consecutive:
            continue
        student = context.students.get(result.student_id)
        course = context.courses.get(result.course_id)
        if student is None or course is None:
            continue
        alerts.append(
            {
                "id": student["id"],
                "student_id": student["student_id"],
                "name": f"{student['last_name']} {student['first_name']}",
                "course_id": course["id"],
                "course_code": course["course_code"],
                "rate": stats.num(rate),
                "unexcused_absences": field(result, "unexcused_absences", 0),
                "consecutive_absences": consecutive,
            }
        )
    alerts.sort(
        key=lambda row: (
            row["rate"] if row["rate"] is not None else 101,
            row["name"],
            row["id"],
            row["course_code"],
        )
    )
    return alerts


def attendance(context: AnalyticsContext) -> dict:
    slots = _slot_rows(context)
    counts = _status_counts(slots)
    weekdays = _grouped_rate(slots, lambda row: row["date"].isoweekday())
    periods = _grouped_rate(slots, lambda row: row["period_number"])
    cells = _grouped_rate(slots, lambda row: (row["date"].isoweekday(), row["period_number"]))
    by_course = _grouped_rate(_course_status_rows(context), lambda row: row["course_id"])
    return {
        "generated_at": context.generated_at.isoformat(),
        "threshold": float(context.filters.threshold),
        "consecutive": context.filters.consecutive,
        "records": sum(counts.values()),
        "rate": _rate_of(counts),
        "by_status": counts,
        "by_weekday": [
            {
                "weekday": day,
                "name": stats.WEEKDAY_NAMES[day - 1],
                "records": sum(c.values()),
                "rate": _rate_of(c),
            }
            for day, c in sorted(weekdays.items())
        ],
        "by_period": [
            {"period": period, "records": sum(c.values()), "rate": _rate_of(c)}
            for period, c in sorted(periods.items())
        ],
        "heatmap": [
            {"weekday": day, "period": period, "records": sum(c.values()), "rate": _rate_of(c)}
            for (day, period), c in sorted(cells.items())
        ],
        "by_course": [
            {
                "course_id": course_id,
                "course_code": context.courses[course_id]["course_code"],
                "records": sum(c.values()),
                "rate": _rate_of(c),
            }
            for course_id, c in sorted(
                by_course.items(), key=lambda item: context.courses[item[0]]["course_code"]
            )
            if course_id in context.courses
        ],
        "trend": _trend(slots),
        "alerts": _alerts(context),
    }
