"""The live engine in place of the daily rollups while they are not current
(``apps/analytics/rollup_state.py``: after an upgrade, until the queued rebuild commits).
Slower, but the reference every rollup figure is tested against: the answers are the
same, never "no data". (The trend's is in ``trend.py``.)"""

from __future__ import annotations

from apps.academics import grading
from apps.academics.models import Grade
from apps.analytics.ranged.finals import Final
from apps.analytics.ranged.reading import Pair, Selection


def _arguments(selection: Selection) -> dict:
    return {
        "student_ids": selection.student_ids,
        "course_ids": selection.course_ids,
        "date_from": selection.date_from,
        "date_to": selection.date_to,
    }


def course_results(selection: Selection) -> dict[Pair, grading.CourseResult]:
    return grading.course_results(**_arguments(selection))


def final_grades(selection: Selection) -> dict[Pair, Final]:
    return {
        pair: Final(
            result.student_id,
            result.course_id,
            result.final_grade,
            result.credits,
            result.attendance_counts,
        )
        for pair, result in course_results(selection).items()
    }


def grade_count(selection: Selection) -> int:
    grades = selection.restrict(grading.counted_records(Grade.objects.order_by()))
    if selection.date_from is not None:
        grades = grades.filter(date_assigned__gte=selection.date_from)
    if selection.date_to is not None:
        grades = grades.filter(date_assigned__lte=selection.date_to)
    return grades.count()
