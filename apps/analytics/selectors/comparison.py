"""How one student compares with their course: the course average and their percentile.

A privacy floor guards it: the comparison is given only when at least
``SMS_PRIVACY_MIN_GROUP`` students of the course have a final grade ("counted"). Below
it, an average and a rank over two or three classmates would let a student work out
their grades, so the comparison is ``None`` with the reason. The group is the whole
course, whoever asks: a student's own scope never narrows it, and nothing about single
classmates leaves this module.
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings

from apps.academics import grading
from apps.analytics import ranged, stats
from apps.analytics.models import EnrollmentResult
from apps.analytics.selectors.context import AnalyticsContext

GROUP_TOO_SMALL = "group_too_small"


def _course_finals(context: AnalyticsContext, course_ids: list[int]) -> dict[int, dict[int, float]]:
    """Course → student → final grade of every counted student, under the date filter."""
    finals: dict[int, dict[int, float]] = defaultdict(dict)
    if context.stored:
        rows = (
            EnrollmentResult.objects.order_by()
            .filter(course_id__in=course_ids)
            .exclude(final_grade=None)
            .values_list("course_id", "student_id", "final_grade")
        )
        for course_id, student_id, value in rows:
            finals[course_id][student_id] = float(value)
        return finals
    arguments = {
        "course_ids": course_ids,
        "date_from": context.filters.date_from,
        "date_to": context.filters.date_to,
    }
    if context.live:
        results = [
            result
            for summary in grading.student_summaries(**arguments).values()
            for result in summary.courses
        ]
    else:
        # The classes' final grades over the range from the daily rollups, as every
        # other ranged figure, and only those: no breakdown of the classmates' results
        # (the live engine here cost ~0.3 s of a student's 0.9 s report, the engine's
        # whole results over the rollups ~0.1 s of a teacher's 0.17 s).
        results = ranged.final_grades(**arguments).values()
    wanted = set(course_ids)
    for result in results:
        if result.course_id in wanted and result.final_grade is not None:
            finals[result.course_id][result.student_id] = float(result.final_grade)
    return finals


def percentile_rank(value: float, group: list[float]) -> int:
    """The share of the group below ``value``, counting those equal to it as half."""
    below = sum(1 for other in group if other < value)
    equal = sum(1 for other in group if other == value)
    return round(100 * (below + equal / 2) / len(group))


def add_comparisons(context: AnalyticsContext, student_pk: int, course_rows: list[dict]) -> None:
    """Give each of a student's course rows its ``comparison`` (or the reason it has none)."""
    if not course_rows:
        return
    minimum = settings.SMS_PRIVACY_MIN_GROUP
    finals = _course_finals(context, [row["course_id"] for row in course_rows])
    for row in course_rows:
        by_student = finals.get(row["course_id"], {})
        if len(by_student) < minimum:
            row["comparison"] = None
            row["comparison_hidden_reason"] = GROUP_TOO_SMALL
            continue
        group = list(by_student.values())
        own = by_student.get(student_pk)
        row["comparison"] = {
            "course_average": stats.summarise_values(group)["mean"],
            "percentile": None if own is None else percentile_rank(own, group),
        }
        row["comparison_hidden_reason"] = None
