"""The stored analytics results next to a fresh computation by the grade engine, in the
same shape, so a test can compare them: ``stored_rows() == engine_rows()``."""

from __future__ import annotations

from collections.abc import Iterable

from apps.academics import grading
from apps.analytics.models import EnrollmentBreakdown, EnrollmentResult, StudentResult
from apps.analytics.results import breakdown_json, enrollment_values, student_values

ENROLLMENT_FIELDS = [
    "student_id",
    "course_id",
    "final_grade",
    "gpa",
    "greek_grade",
    "letter_grade",
    "total_weight_used",
    "absence_deduction",
    "present",
    "absent",
    "late",
    "excused",
    "attendance_rate",
    "unexcused_absences",
    "consecutive_absences",
    "reason",
    "credits",
]
STUDENT_FIELDS = [
    "student_id",
    "gpa",
    "average_grade",
    "attendance_rate",
    "unexcused_absences",
    "trend",
    "trend_slope",
    "risk_score",
    "risk_level",
    "risk_rank",
    "risk_reasons",
]


def engine_rows(student_ids: Iterable[int] | None = None) -> tuple[dict, dict]:
    """What the tables should hold for these students (all when None), computed afresh:
    ``({(student, course): values}, {student: values})`` without ``computed_at``."""
    summaries = grading.student_summaries(
        student_ids=None if student_ids is None else sorted(student_ids)
    )
    pairs = {
        (result.student_id, result.course_id): {
            **enrollment_values(result),
            "category_breakdown": breakdown_json(result),
        }
        for summary in summaries.values()
        for result in summary.courses
    }
    return pairs, {pk: student_values(summary) for pk, summary in summaries.items()}


def stored_rows(student_ids: Iterable[int] | None = None) -> tuple[dict, dict]:
    """The stored rows in the same shape as ``engine_rows`` (what the tests compare)."""
    enrollments = EnrollmentResult.objects.all()
    breakdowns = EnrollmentBreakdown.objects.all()
    students = StudentResult.objects.all()
    if student_ids is not None:
        enrollments = enrollments.filter(student_id__in=list(student_ids))
        breakdowns = breakdowns.filter(student_id__in=list(student_ids))
        students = students.filter(student_id__in=list(student_ids))
    pairs = {
        (row["student_id"], row["course_id"]): row for row in enrollments.values(*ENROLLMENT_FIELDS)
    }
    # A breakdown without its result (or the reverse) shows as a difference.
    for student_id, course_id, breakdown in breakdowns.values_list(
        "student_id", "course_id", "category_breakdown"
    ):
        pairs.setdefault((student_id, course_id), {})["category_breakdown"] = breakdown
    return pairs, {row["student_id"]: row for row in students.values(*STUDENT_FIELDS)}
