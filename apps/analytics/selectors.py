"""Every figure of SPEC §4.1, computed set-based for one scope and one set of filters.

The API, the pages and the exports all call these functions. Each takes an
``AnalyticsContext``.

Without a date filter, the engine's figures are read from the stored results
(``apps.analytics.models``, kept current on every write): whole-school figures are then
grouped reads of ~100,000 enrollment rows and ~10,000 student rows. Attendance by date,
weekday and period and grade-item statistics read the per-course aggregates
(``AttendanceSlot``, ``GradeBucket``) unless the request narrows to some students. With a
date filter, final grades depend on the marks inside the range, so the engine computes
them live for the filtered scope (slower; the response is cached like any other).
Per-student figures (GPA, average, trend, risk) restricted to some courses (a teacher's
scope, ``course``/``semester`` filters) are also computed live, since they cover only
those courses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.db.models import Count, F, FloatField, Q, Sum
from django.db.models.functions import Cast, Round
from django.http import Http404
from django.utils import timezone, translation

from apps.academics import grading
from apps.academics.models import AttendanceStatus
from apps.analytics import results as stored_results
from apps.analytics import stats
from apps.analytics.filters import AnalyticsFilters
from apps.analytics.models import AttendanceSlot, EnrollmentResult, GradeBucket, StudentResult
from apps.analytics.scope import AnalyticsScope, grade_percentage

TOP_COURSES = 5
RISK_LEVELS_FLAGGED = ("high", "medium")


def field(obj, name, default=None):
    """Read an attribute of an engine result whether it is an object or a mapping."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def plain(value):
    """Engine values → JSON-friendly values (Decimals to floats, dataclasses to dicts)."""
    if isinstance(value, Decimal):
        return stats.num(value)
    if isinstance(value, float):
        return round(value, 2)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def reason_text(reason) -> str:
    """One risk reason as a sentence for pages and files."""
    if isinstance(reason, str):
        return reason
    for name in ("label", "message", "text", "reason", "code"):
        text = field(reason, name)
        if text:
            points = field(reason, "points")
            return f"{text} ({int(points):+d})" if points not in (None, "") else str(text)
    return str(reason)


class AnalyticsContext:
    """One user's view of the analytics under one set of filters."""

    def __init__(
        self, user, filters: AnalyticsFilters | None = None, *, focus_course: int | None = None
    ):
        self.filters = filters or AnalyticsFilters()
        self.scope = AnalyticsScope(user, self.filters, focus_course)
        # Writes earlier in this transaction are folded in before reading the stored rows.
        stored_results.flush_pending()
        self.generated_at = timezone.now()

    @cached_property
    def stored(self) -> bool:
        """Engine figures per enrollment come from the stored results (no date filter)."""
        return self.filters.date_from is None and self.filters.date_to is None

    @cached_property
    def stored_students(self) -> bool:
        """Per-student figures come from the stored results: they cover every course."""
        return self.stored and not self.scope.restricts_courses

    @cached_property
    def use_aggregates(self) -> bool:
        """Attendance slots / grade buckets (per course) serve when no student filter."""
        filters = self.filters
        return not (
            filters.students
            or filters.class_division
            or filters.study_year
            or self.scope.focus_course is not None
        )

    @cached_property
    def enrollment_results(self):
        """Stored per-enrollment results in scope."""
        queryset = EnrollmentResult.objects.order_by()
        if self.scope.restricts_students:
            queryset = queryset.filter(student_id__in=self.scope.students.values("pk"))
        if self.scope.restricts_courses:
            queryset = queryset.filter(course_id__in=self.scope.courses.values("pk"))
        return queryset

    @cached_property
    def student_results(self):
        queryset = StudentResult.objects.order_by()
        if self.scope.restricts_students:
            queryset = queryset.filter(student_id__in=self.scope.students.values("pk"))
        return queryset

    def _per_course(self, model):
        queryset = model.objects.order_by()
        if self.scope.restricts_courses:
            queryset = queryset.filter(course_id__in=self.scope.courses.values("pk"))
        return queryset

    @cached_property
    def attendance_slots(self):
        queryset = self._per_course(AttendanceSlot)
        if self.filters.date_from:
            queryset = queryset.filter(date__gte=self.filters.date_from)
        if self.filters.date_to:
            queryset = queryset.filter(date__lte=self.filters.date_to)
        return queryset

    @cached_property
    def grade_buckets(self):
        return self._per_course(GradeBucket)

    @cached_property
    def stored_risk(self) -> dict[int, str]:
        return dict(self.student_results.values_list("student_id", "risk_level"))

    @cached_property
    def summaries(self) -> dict:
        student_ids, course_ids = self.scope.engine_ids
        return grading.student_summaries(
            student_ids=student_ids,
            course_ids=course_ids,
            date_from=self.filters.date_from,
            date_to=self.filters.date_to,
        )

    @cached_property
    def results(self) -> list:
        """Every (student, course) CourseResult in scope (stored rows when possible)."""
        if self.stored:
            return [
                StoredResult(*row)
                for row in self.enrollment_results.values_list(*StoredResult.COLUMNS)
            ]
        return [result for summary in self.summaries.values() for result in summary.courses]

    @cached_property
    def students(self) -> dict[int, dict]:
        rows = self.scope.students.values(
            "id",
            "student_id",
            "first_name",
            "last_name",
            "class_division",
            "study_year",
            "is_active",
        ).order_by("last_name", "first_name", "student_id")
        return {row["id"]: row for row in rows}

    @cached_property
    def courses(self) -> dict[int, dict]:
        rows = self.scope.courses.values("id", "course_code", "course_name", "credits").order_by(
            "course_code"
        )
        return {row["id"]: row for row in rows}

    def risk_level(self, student_id: int) -> str | None:
        if self.stored_students:
            return self.stored_risk.get(student_id)
        return field(field(self.summaries.get(student_id), "risk"), "level")


@dataclasses.dataclass(frozen=True, slots=True)
class StoredResult:
    """The few fields of a stored enrollment result that the lists need."""

    student_id: int
    course_id: int
    final_grade: Decimal | None
    letter_grade: str
    attendance_rate: Decimal | None
    unexcused_absences: int
    consecutive_absences: int

    COLUMNS = (
        "student_id",
        "course_id",
        "final_grade",
        "letter_grade",
        "attendance_rate",
        "unexcused_absences",
        "consecutive_absences",
    )


def _final_grades(results) -> list[float]:
    return [float(r.final_grade) for r in results if field(r, "final_grade") is not None]


def _letter_counts(results) -> list[tuple[str, int]]:
    counts: dict[str, int] = defaultdict(int)
    for result in results:
        if field(result, "final_grade") is not None:
            counts[result.letter_grade] += 1
    return list(counts.items())


def _course_averages(context: AnalyticsContext) -> list[dict]:
    by_course: dict[int, list[float]] = defaultdict(list)
    for result in context.results:
        if field(result, "final_grade") is not None:
            by_course[result.course_id].append(float(result.final_grade))
    rows = []
    for course_id, grades in by_course.items():
        course = context.courses.get(course_id)
        if course is None:
            continue
        rows.append(
            {
                "course_id": course_id,
                "course_code": course["course_code"],
                "course_name": course["course_name"],
                "average_final_grade": stats.num(sum(grades) / len(grades)),
                "students": len(grades),
            }
        )
    return sorted(rows, key=lambda row: (-row["average_final_grade"], row["course_code"]))


# --- Attendance ------------------------------------------------------------------------


def _status_counts(rows) -> dict[str, int]:
    counts = dict.fromkeys(AttendanceStatus.values, 0)
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + row["n"]
    return counts


def _rate_of(counts: dict[str, int]) -> float | None:
    return stats.rate(counts["present"], counts["late"], counts["absent"], counts["excused"])


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
    return list(
        context.scope.attendance.values("date", "period_number", "status")
        .annotate(n=Count("id"))
        .order_by()
    )


def _date_status_rows(context: AnalyticsContext) -> list[dict]:
    if context.use_aggregates:
        return list(context.attendance_slots.values("date", "status").annotate(n=Sum("records")))
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
        sums = context.enrollment_results.values("course_id").annotate(
            **{status: Sum(status) for status in AttendanceStatus.values}
        )
        return [
            {"course_id": row["course_id"], "status": status, "n": row[status] or 0}
            for row in sums
            for status in AttendanceStatus.values
        ]
    return list(
        context.scope.attendance.values("course_id", "status").annotate(n=Count("id")).order_by()
    )


def _grade_count(context: AnalyticsContext) -> int:
    if context.stored and context.use_aggregates:
        return context.grade_buckets.aggregate(n=Sum("items"))["n"] or 0
    return context.scope.grades.count()


# --- Dashboard -------------------------------------------------------------------------


def _stored_final_figures(context: AnalyticsContext) -> dict:
    """Average, pass rate, letters, course averages and risk counts in grouped queries."""
    results = context.enrollment_results
    graded = results.exclude(final_grade=None)
    totals = results.aggregate(
        enrollments=Count("pk"),
        graded=Count("final_grade"),
        total=Sum(Cast("final_grade", FloatField())),
        passed=Count("pk", filter=Q(final_grade__gte=stats.PASS_MARK)),
    )
    letters = graded.values_list("letter_grade").annotate(n=Count("pk"))
    course_rows = graded.values("course_id").annotate(
        total=Sum(Cast("final_grade", FloatField())), n=Count("pk")
    )
    averages = []
    for row in course_rows:
        course = context.courses.get(row["course_id"])
        if course is not None:
            averages.append(
                {
                    "course_id": row["course_id"],
                    "course_code": course["course_code"],
                    "course_name": course["course_name"],
                    "average_final_grade": stats.num(row["total"] / row["n"]),
                    "students": row["n"],
                }
            )
    averages.sort(key=lambda row: (-row["average_final_grade"], row["course_code"]))
    graded_count = totals["graded"]
    return {
        "enrollments": totals["enrollments"],
        "average_grade": stats.num(totals["total"] / graded_count) if graded_count else None,
        "pass_rate": round(totals["passed"] / graded_count * 100, 2) if graded_count else None,
        "letters": list(letters),
        "course_averages": averages,
    }


def _risk_counts(context: AnalyticsContext) -> dict:
    if context.stored_students:
        return dict(
            context.student_results.values_list("risk_level").annotate(n=Count("pk")).order_by()
        )
    risk = defaultdict(int)
    for summary in context.summaries.values():
        risk[field(field(summary, "risk"), "level")] += 1
    return risk


def dashboard(context: AnalyticsContext) -> dict:
    scope = context.scope
    attendance_rows = _date_status_rows(context)
    student_totals = scope.students.aggregate(
        students=Count("id"), active_students=Count("id", filter=Q(is_active=True))
    )
    if context.stored:
        figures = _stored_final_figures(context)
    else:
        results = context.results
        finals = _final_grades(results)
        figures = {
            "enrollments": scope.enrollments.count(),
            "average_grade": stats.num(sum(finals) / len(finals)) if finals else None,
            "pass_rate": stats.pass_rate(finals),
            "letters": _letter_counts(results),
            "course_averages": _course_averages(context),
        }
    risk = _risk_counts(context)
    course_averages = figures["course_averages"]
    return {
        "generated_at": context.generated_at.isoformat(),
        "totals": {
            **student_totals,
            "courses": scope.courses.count(),
            "enrollments": figures["enrollments"],
            "grades": _grade_count(context),
            "attendance_records": sum(row["n"] for row in attendance_rows),
        },
        "average_grade": figures["average_grade"],
        "attendance_rate": _rate_of(_status_counts(attendance_rows)),
        "pass_rate": figures["pass_rate"],
        "at_risk": {"high": risk.get("high", 0), "medium": risk.get("medium", 0)},
        "grade_distribution": stats.letter_buckets(figures["letters"]),
        "attendance_trend": _trend(attendance_rows),
        "top_courses": course_averages[:TOP_COURSES],
        "bottom_courses": list(reversed(course_averages[-TOP_COURSES:])),
    }


# --- Students --------------------------------------------------------------------------

STUDENT_ORDERINGS = (
    "id",
    "student_id",
    "name",
    "class_division",
    "study_year",
    "average_grade",
    "gpa",
    "attendance_rate",
    "unexcused_absences",
    "trend",
    "risk_level",
    "risk_score",
)
_RISK_ORDER = {"low": 0, "medium": 1, "high": 2}


def _student_row(student: dict, summary) -> dict:
    risk = field(summary, "risk")
    courses = field(summary, "courses", []) or []
    return {
        "id": student["id"],
        "student_id": student["student_id"],
        "name": f"{student['last_name']} {student['first_name']}",
        "class_division": student["class_division"],
        "study_year": student["study_year"],
        "average_grade": stats.num(field(summary, "average_grade")),
        "gpa": stats.num(field(summary, "gpa")),
        "attendance_rate": stats.num(field(summary, "attendance_rate")),
        "unexcused_absences": sum(field(c, "unexcused_absences", 0) or 0 for c in courses),
        "trend": field(summary, "trend"),
        "risk_level": field(risk, "level"),
        "risk_score": field(risk, "score"),
        "risk_reasons": [reason_text(reason) for reason in field(risk, "reasons", []) or []],
    }


def _stored_student_rows(context: AnalyticsContext) -> list[dict]:
    """The stored student results, one row per student in scope."""
    stored = {
        row[0]: row
        for row in context.student_results.values_list(
            "student_id",
            "average_grade",
            "gpa",
            "attendance_rate",
            "unexcused_absences",
            "trend",
            "risk_level",
            "risk_score",
            "risk_reasons",
        )
    }
    # Stored in the site's language (see results.py); any other is rendered afresh.
    same_language = translation.get_language() == settings.LANGUAGE_CODE
    rows = []
    for pk, student in context.students.items():
        _pk, average, gpa, rate, unexcused, trend, level, score, reasons = stored.get(
            pk, (pk, None, None, None, 0, None, None, None, ())
        )
        if trend and not same_language:
            reasons = grading.risk_assessment(average, rate, trend).reasons
        rows.append(
            {
                "id": student["id"],
                "student_id": student["student_id"],
                "name": f"{student['last_name']} {student['first_name']}",
                "class_division": student["class_division"],
                "study_year": student["study_year"],
                "average_grade": stats.num(average),
                "gpa": stats.num(gpa),
                "attendance_rate": stats.num(rate),
                "unexcused_absences": unexcused,
                "trend": trend,
                "risk_level": level,
                "risk_score": score,
                "risk_reasons": [reason_text(reason) for reason in reasons],
            }
        )
    return rows


def students(context: AnalyticsContext) -> dict:
    if context.stored_students:
        rows = _stored_student_rows(context)
    else:
        rows = [
            _student_row(student, context.summaries.get(pk))
            for pk, student in context.students.items()
        ]
    return {"generated_at": context.generated_at.isoformat(), "results": rows}


def order_students(rows: list[dict], ordering: str) -> list[dict]:
    """Sort by one field (prefix '-' for descending); missing values always go last."""
    descending = ordering.startswith("-")
    name = ordering.lstrip("-")

    def value(row):
        item = row.get(name)
        return _RISK_ORDER.get(item, -1) if name == "risk_level" else item

    present = [row for row in rows if row.get(name) is not None]
    missing = [row for row in rows if row.get(name) is None]
    present.sort(key=lambda row: (value(row), row["name"], row["id"]), reverse=descending)
    return present + missing


def _course_result_row(result, course: dict) -> dict:
    return {
        "course_id": result.course_id,
        "course_code": course["course_code"],
        "course_name": course["course_name"],
        "final_grade": stats.num(result.final_grade),
        "gpa": stats.num(field(result, "gpa")),
        "greek_grade": stats.num(field(result, "greek_grade")),
        "letter_grade": field(result, "letter_grade"),
        "total_weight_used": stats.num(field(result, "total_weight_used")),
        "category_breakdown": plain(field(result, "category_breakdown", {}) or {}),
        "attendance_rate": stats.num(field(result, "attendance_rate")),
        "unexcused_absences": field(result, "unexcused_absences", 0),
        "absence_deduction": stats.num(field(result, "absence_deduction")),
        "consecutive_absences": field(result, "consecutive_absences", 0),
        "passed": field(result, "passed"),
        "reason": field(result, "reason"),
    }


def student_detail(context: AnalyticsContext, student_pk: int) -> dict:
    """One student's summary; 404 when the student is outside the scope or the filters."""
    student = context.students.get(student_pk)
    if student is None:
        raise Http404
    summary = context.summaries.get(student_pk)
    risk = field(summary, "risk")
    courses = [
        _course_result_row(result, context.courses[result.course_id])
        for result in field(summary, "courses", []) or []
        if result.course_id in context.courses
    ]
    courses.sort(key=lambda row: row["course_code"])
    return {
        "generated_at": context.generated_at.isoformat(),
        "student": {
            "id": student["id"],
            "student_id": student["student_id"],
            "name": f"{student['last_name']} {student['first_name']}",
            "first_name": student["first_name"],
            "last_name": student["last_name"],
            "class_division": student["class_division"],
            "study_year": student["study_year"],
        },
        "gpa": stats.num(field(summary, "gpa")),
        "average_grade": stats.num(field(summary, "average_grade")),
        "attendance_rate": stats.num(field(summary, "attendance_rate")),
        "trend": field(summary, "trend"),
        "risk": {
            "level": field(risk, "level"),
            "score": field(risk, "score"),
            "reasons": [reason_text(reason) for reason in field(risk, "reasons", []) or []],
        },
        "courses": courses,
    }


# --- Grades ----------------------------------------------------------------------------


def grades(context: AnalyticsContext) -> dict:
    """Statistics of grade items' percentages (rounded to 2 decimals in SQL)."""
    if context.stored and context.use_aggregates:
        buckets = context.grade_buckets
        distribution = [
            (float(row["percentage"]), row["n"])
            for row in buckets.values("percentage").annotate(n=Sum("items")).order_by("percentage")
        ]
        category_rows = buckets.values("category").annotate(
            n=Sum("items"), total=Sum(Cast("items", FloatField()) * F("percentage"))
        )
    else:
        percentages = context.scope.grades.annotate(pct=Round(grade_percentage(), 2))
        distribution = [
            (float(row["pct"]), row["n"])
            for row in percentages.values("pct").annotate(n=Count("id")).order_by("pct")
        ]
        category_rows = percentages.values("category").annotate(n=Count("id"), total=Sum("pct"))
    categories: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for row in category_rows.order_by():
        bucket = categories[grading.category_key(row["category"])]
        bucket[0] += row["n"]
        bucket[1] += float(row["total"] or 0)
    letters: dict[str, int] = defaultdict(int)
    for value, count in distribution:
        letters[letter_of(value)] += count
    return {
        "generated_at": context.generated_at.isoformat(),
        **stats.summarise(distribution),
        "pass_rate": stats.pass_rate_of_distribution(distribution),
        "letter_buckets": stats.letter_buckets(letters.items()),
        "histogram": stats.histogram(distribution),
        "by_category": [
            {"category": key, "count": count, "mean": stats.num(total / count)}
            for key, (count, total) in sorted(categories.items())
        ],
    }


def letter_of(percentage: float) -> str:
    """The engine's letter for a percentage (one place for the conversion rule)."""
    return grading.letter_grade(grading.round2(Decimal(str(percentage))))


# --- Attendance ------------------------------------------------------------------------


def _alert_candidates(context: AnalyticsContext) -> list:
    if not context.stored:
        return context.results
    flagged = context.enrollment_results.filter(
        Q(attendance_rate__lt=context.filters.threshold)
        | Q(consecutive_absences__gte=context.filters.consecutive)
    )
    return [StoredResult(*row) for row in flagged.values_list(*StoredResult.COLUMNS)]


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
    alerts.sort(key=lambda row: (row["rate"] if row["rate"] is not None else 101, row["name"]))
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


# --- Courses ---------------------------------------------------------------------------


def _course_attendance(context: AnalyticsContext) -> dict[int, float | None]:
    rows = _course_status_rows(context)
    return {
        course_id: _rate_of(counts)
        for course_id, counts in _grouped_rate(rows, lambda row: row["course_id"]).items()
    }


def _results_by_course(context: AnalyticsContext) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for result in context.results:
        grouped[result.course_id].append(result)
    return grouped


def _course_row(course: dict, finals: list[float], enrolled: int, rate, flagged: int) -> dict:
    summary = stats.summarise([(value, 1) for value in finals])
    return {
        "course_id": course["id"],
        "course_code": course["course_code"],
        "course_name": course["course_name"],
        "enrolled": enrolled,
        "average_final_grade": summary["mean"],
        "median_final_grade": summary["median"],
        "pass_rate": stats.pass_rate(finals),
        "attendance_rate": rate,
        "stdev": summary["stdev"],
        "at_risk": flagged,
    }


def _flagged(context: AnalyticsContext, results: list) -> int:
    return sum(
        1 for result in results if context.risk_level(result.student_id) in RISK_LEVELS_FLAGGED
    )


def _finals_and_flagged(context: AnalyticsContext) -> tuple[dict, dict]:
    """Per course: the final grades of its students, and how many of them are at risk."""
    if not context.stored_students:
        grouped = _results_by_course(context)
        return (
            {pk: _final_grades(rows) for pk, rows in grouped.items()},
            {pk: _flagged(context, rows) for pk, rows in grouped.items()},
        )
    finals: dict[int, list[float]] = defaultdict(list)
    rows = context.enrollment_results.exclude(final_grade=None).values_list(
        "course_id", Cast("final_grade", FloatField())
    )
    for course_id, value in rows:
        finals[course_id].append(value)
    at_risk = StudentResult.objects.filter(risk_level__in=RISK_LEVELS_FLAGGED)
    flagged = (
        context.enrollment_results.filter(student_id__in=at_risk.values("student_id"))
        .values_list("course_id")
        .annotate(n=Count("pk"))
    )
    return finals, dict(flagged)


def _enrolled_counts(context: AnalyticsContext) -> dict[int, int]:
    if context.stored:
        rows = context.enrollment_results.values("course_id").annotate(n=Count("pk"))
        return {row["course_id"]: row["n"] for row in rows}
    rows = context.scope.enrollments.values("course_id").annotate(n=Count("id")).order_by()
    return {row["course_id"]: row["n"] for row in rows}


def courses(context: AnalyticsContext) -> dict:
    enrolled = _enrolled_counts(context)
    rates = _course_attendance(context)
    finals, flagged = _finals_and_flagged(context)
    rows = [
        _course_row(
            course, finals.get(pk, []), enrolled.get(pk, 0), rates.get(pk), flagged.get(pk, 0)
        )
        for pk, course in context.courses.items()
    ]
    return {"generated_at": context.generated_at.isoformat(), "count": len(rows), "results": rows}


def course_detail(context: AnalyticsContext, course_pk: int) -> dict:
    course = context.courses.get(course_pk)
    if course is None:
        raise Http404
    enrolled = context.scope.enrollments.filter(course_id=course_pk).count()
    rates = _course_attendance(context)
    results = _results_by_course(context).get(course_pk, [])
    finals = _final_grades(results)
    row = _course_row(course, finals, enrolled, rates.get(course_pk), _flagged(context, results))
    average = sum(finals) / len(finals) if finals else None
    comparison = []
    for result in results:
        student = context.students.get(result.student_id)
        if student is None:
            continue
        final = field(result, "final_grade")
        comparison.append(
            {
                "id": student["id"],
                "student_id": student["student_id"],
                "name": f"{student['last_name']} {student['first_name']}",
                "final_grade": stats.num(final),
                "letter_grade": field(result, "letter_grade"),
                "difference_from_average": (
                    stats.num(float(final) - average) if final is not None and average else None
                ),
                "attendance_rate": stats.num(field(result, "attendance_rate")),
                "unexcused_absences": field(result, "unexcused_absences", 0),
                "risk_level": context.risk_level(result.student_id),
            }
        )
    comparison.sort(key=lambda item: (item["final_grade"] is None, -(item["final_grade"] or 0)))
    return {
        "generated_at": context.generated_at.isoformat(),
        **row,
        "letter_buckets": stats.letter_buckets(_letter_counts(results)),
        "histogram": stats.histogram([(value, 1) for value in finals]),
        "students": comparison,
    }
