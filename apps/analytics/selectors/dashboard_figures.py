"""The dashboard: school-wide totals, averages, pass rate, risk counts and top courses."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, FloatField, Q, Sum
from django.db.models.functions import Cast

from apps.academics import grading
from apps.analytics import stats
from apps.analytics.selectors.attendance_figures import (
    _date_status_rows,
    _rate_of,
    _status_counts,
    _trend,
)
from apps.analytics.selectors.common import (
    _final_grades,
    _letter_counts,
    field,
)
from apps.analytics.selectors.context import AnalyticsContext

TOP_COURSES = 5


def _course_averages(context: AnalyticsContext, results: list) -> list[dict]:
    by_course: dict[int, list[float]] = defaultdict(list)
    for result in results:
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


def _stored_final_figures(context: AnalyticsContext) -> dict:
    """Average, pass rate, letters, course averages and risk counts in grouped queries."""
    results = context.enrollment_results
    graded = results.exclude(final_grade=None)
    totals = results.aggregate(
        enrollments=Count("pk"),
        graded=Count("final_grade"),
        total=Sum(Cast("final_grade", FloatField())),
        passed=Count("pk", filter=Q(final_grade__gte=grading.pass_mark())),
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
    for level in context.risk_levels.values():
        risk[level] += 1
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
        results = context.final_results
        finals = _final_grades(results)
        figures = {
            "enrollments": scope.enrollments.count(),
            "average_grade": stats.num(sum(finals) / len(finals)) if finals else None,
            "pass_rate": stats.pass_rate(finals),
            "letters": _letter_counts(results),
            "course_averages": _course_averages(context, results),
        }
    risk = _risk_counts(context)
    course_averages = figures["course_averages"]
    return {
        "generated_at": context.generated_at.isoformat(),
        "totals": {
            **student_totals,
            "courses": scope.courses.count(),
            "enrollments": figures["enrollments"],
            "grades": context.grade_count,
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
