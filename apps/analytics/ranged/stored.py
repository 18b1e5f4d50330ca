"""The stored engine results (``EnrollmentResult``) of a selection, as ``CourseResult``s:
the per-enrollment figures when no date filter applies."""

from __future__ import annotations

import dataclasses

from apps.academics import grading
from apps.academics.models import Course
from apps.analytics.models import EnrollmentBreakdown, EnrollmentResult
from apps.analytics.ranged.reading import Pair, Selection

_STORED_COLUMNS = (
    "student_id",
    "course_id",
    "final_grade",
    "gpa",
    "greek_grade",
    "letter_grade",
    "total_weight_used",
    "attendance_rate",
    "absence_deduction",
    "consecutive_absences",
    "reason",
    "credits",
    "present",
    "absent",
    "late",
    "excused",
)


def _breakdown(stored: dict) -> dict[str, grading.CategoryBreakdown]:
    def number(value):
        return None if value is None else grading.to_decimal(value)

    return {
        key: grading.CategoryBreakdown(
            label=part["label"],
            average=number(part["average"]),
            weight=number(part["weight"]),
            contribution=number(part["contribution"]),
            items=part["items"],
        )
        for key, part in stored.items()
    }


def stored_results(selection: Selection) -> dict[Pair, grading.CourseResult]:
    """The stored engine results of the enrollments in scope."""
    rows = selection.restrict(EnrollmentResult.objects.order_by()).values_list(*_STORED_COLUMNS)
    breakdowns = {
        (student_id, course_id): breakdown
        for student_id, course_id, breakdown in selection.restrict(
            EnrollmentBreakdown.objects.order_by()
        ).values_list("student_id", "course_id", "category_breakdown")
    }
    results = []
    for row in rows:
        values = dict(zip(_STORED_COLUMNS, row, strict=True))
        counts = grading.AttendanceCounts(
            *(values.pop(status) for status in ("present", "absent", "late", "excused"))
        )
        final = values["final_grade"]
        results.append(
            grading.CourseResult(
                **{
                    **values,
                    "letter_grade": values["letter_grade"] or None,
                    "reason": values["reason"] or None,
                    "category_breakdown": _breakdown(
                        breakdowns.get((values["student_id"], values["course_id"]), {})
                    ),
                },
                unexcused_absences=counts.absent,
                passed=None if final is None else final >= grading.pass_mark(),
                course_code="",
                attendance_counts=counts,
            )
        )
    codes = dict(
        Course.objects.order_by()
        .filter(id__in={result.course_id for result in results})
        .values_list("id", "course_code")
    )
    results = [dataclasses.replace(r, course_code=codes.get(r.course_id, "")) for r in results]
    results.sort(key=lambda r: (r.student_id, r.course_code, r.course_id))
    return {(r.student_id, r.course_id): r for r in results}
