"""Course figures: the course list and one course's report with its students compared."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Count, FloatField
from django.db.models.functions import Cast
from django.http import Http404

from apps.analytics import stats
from apps.analytics.models import StudentResult
from apps.analytics.ranged.reading import fetch
from apps.analytics.selectors.attendance_figures import (
    _course_status_rows,
    _grouped_rate,
    _rate_of,
)
from apps.analytics.selectors.common import (
    RISK_LEVELS_FLAGGED,
    _final_grades,
    _letter_counts,
    field,
)
from apps.analytics.selectors.context import AnalyticsContext


def _course_attendance(context: AnalyticsContext) -> dict[int, float | None]:
    rows = _course_status_rows(context)
    return {
        course_id: _rate_of(counts)
        for course_id, counts in _grouped_rate(rows, lambda row: row["course_id"]).items()
    }


def _results_by_course(results: list) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for result in results:
        grouped[result.course_id].append(result)
    return grouped


def _course_row(course: dict, finals: list[float], enrolled: int, rate, flagged: int) -> dict:
    summary = stats.summarise_values(finals)
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
    """Per course: the final grades of its students, and how many of them are at risk
    (of every counted enrollment, graded in the range or not)."""
    grouped = _results_by_course(context.graded_results)
    finals = {pk: _final_grades(rows) for pk, rows in grouped.items()}
    levels = context.risk_levels
    flagged: dict[int, int] = defaultdict(int)
    for student_id, course_id in context.counted_pairs:
        if levels.get(student_id) in RISK_LEVELS_FLAGGED:
            flagged[course_id] += 1
    return finals, flagged


def _stored_course_figures(context: AnalyticsContext) -> tuple[dict, dict, dict]:
    """Per course: the counted enrollments, their final grades and how many of their
    students are at risk, from one read of the stored results as plain tuples (through
    the ORM's converters, two reads took ~120 ms of the whole school's 220 ms)."""
    enrolled: dict[int, int] = defaultdict(int)
    finals: dict[int, list[float]] = defaultdict(list)
    flagged: dict[int, int] = defaultdict(int)
    rows = context.enrollment_results.values_list(
        "course_id", "student_id", Cast("final_grade", FloatField())
    )
    # The levels of the scope (a semester's courses: over those courses only), else the
    # stored ones, counted in SQL.
    levels = None if context.stored_students else context.risk_levels
    for course_id, student_id, final in fetch(rows):
        enrolled[course_id] += 1
        if final is not None:
            finals[course_id].append(final)
        if levels is not None and levels.get(student_id) in RISK_LEVELS_FLAGGED:
            flagged[course_id] += 1
    return enrolled, finals, _stored_flagged(context) if levels is None else flagged


def _stored_flagged(context: AnalyticsContext) -> dict[int, int]:
    """Per course: its students whose stored risk level is flagged."""
    at_risk = StudentResult.objects.filter(risk_level__in=RISK_LEVELS_FLAGGED)
    flagged = (
        context.enrollment_results.filter(student_id__in=at_risk.values("student_id"))
        .values_list("course_id")
        .annotate(n=Count("pk"))
    )
    return dict(fetch(flagged))


def _enrolled_counts(context: AnalyticsContext) -> Counter[int]:
    """Per course: its counted enrollments in scope, from the pairs the figures read
    anyway (a grouped count of a whole school's enrollments cost SQLite ~60 ms)."""
    return Counter(course_id for _student_id, course_id in context.counted_pairs)


def courses(context: AnalyticsContext) -> dict:
    if context.stored:
        enrolled, finals, flagged = _stored_course_figures(context)
    else:
        finals, flagged = _finals_and_flagged(context)
        enrolled = _enrolled_counts(context)
    rates = _course_attendance(context)
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
    results = _results_by_course(context.final_results).get(course_pk, [])
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
    # Best first; ties by name, so every path lists them in the same order.
    comparison.sort(
        key=lambda item: (
            item["final_grade"] is None,
            -(item["final_grade"] or 0),
            item["name"],
            item["id"],
        )
    )
    return {
        "generated_at": context.generated_at.isoformat(),
        **row,
        "letter_buckets": stats.letter_buckets(_letter_counts(results)),
        "histogram": stats.histogram([(value, 1) for value in finals]),
        "students": comparison,
    }
