"""The engine's results for any scope and date range from stored data, never from a
recomputation over the raw rows of the scope.

* Per enrollment: without dates, ``EnrollmentResult`` (``stored``); with dates, the daily
  rollups (``apps/analytics/rollups.py``) of the range, one grouped read per table for
  the whole selection (``sums``), finished by the engine's own rules (``finishing``).
* Per student: ``summarise_student`` over the in-scope courses, with the trend
  concatenated from ``TrendSegment`` rows (``trend``).

``summaries`` answers what ``grading.student_summaries`` answers for the same arguments.
While the rollups are not current (``apps/analytics/rollup_state.py``: a database just
migrated to them, until the rebuild the first such request queues), what would read them
runs the live engine instead (``live``, and the trend in ``trend``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from apps.academics import grading
from apps.academics.models import Student
from apps.analytics.models import GradeDay
from apps.analytics.ranged import finals as _finals
from apps.analytics.ranged import live
from apps.analytics.ranged.attendance import AttendanceStanding
from apps.analytics.ranged.attendance import attendance_standings as _attendance_standings
from apps.analytics.ranged.finals import Final
from apps.analytics.ranged.finishing import ranged_results
from apps.analytics.ranged.reading import (
    Pair,
    Selection,
    enrollment_pairs,
    students_wholly_in,
)
from apps.analytics.ranged.stored import stored_results
from apps.analytics.ranged.trend import LAST_TREND_STATS, trends
from apps.analytics.rollup_state import readable

__all__ = [
    "LAST_TREND_STATS",
    "AttendanceStanding",
    "attendance_standings",
    "counted_pairs",
    "Final",
    "course_results",
    "final_grades",
    "grade_count",
    "risk_levels",
    "summaries",
]


def course_results(
    *,
    student_ids: Any = None,
    course_ids: Any = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> dict[Pair, grading.CourseResult]:
    """``grading.course_results`` with the same arguments, from stored data."""
    selection = Selection(student_ids, course_ids, date_from, date_to)
    if not selection.dated:
        return stored_results(selection)
    if not readable():
        return live.course_results(selection)
    return ranged_results(selection)


def final_grades(
    *,
    student_ids: Any = None,
    course_ids: Any = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    without: Collection[int] = (),
    recorded_only: bool = False,
    pairs: list[Pair] | None = None,
) -> dict[Pair, Final]:
    """The final grade of each enrollment ``course_results`` gives, and nothing else;
    without dates, less the enrollments of the students ``without`` (whose figures come
    from elsewhere: ``students_wholly_in_scope``). ``recorded_only``: with dates, at
    least the enrollments with a record in the range (the others have no final grade and
    no attendance); ``pairs``: the selection's ``enrollment_pairs`` when already read."""
    selection = Selection(student_ids, course_ids, date_from, date_to)
    if selection.dated and not readable():
        return live.final_grades(selection)
    return _finals.final_grades(selection, without, recorded_only=recorded_only, pairs=pairs)


def counted_pairs(
    *,
    student_ids: Any = None,
    course_ids: Any = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> list[Pair]:
    """The (student, course) pairs of the counted enrollments in scope, whatever the
    dates: those ``course_results`` gives a result, as plain tuples."""
    return enrollment_pairs(Selection(student_ids, course_ids, date_from, date_to))


def students_wholly_in_scope(
    *,
    student_ids: Any = None,
    course_ids: Any = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> frozenset[int]:
    """Without dates, the students of a course-restricted selection whose every counted
    course is in it: over it, their per-student figures are their stored ones
    (``StudentResult``: the same finals, attendance and trend). Empty with dates."""
    selection = Selection(student_ids, course_ids, date_from, date_to)
    if selection.dated or course_ids is None:
        return frozenset()
    return frozenset(students_wholly_in(enrollment_pairs(selection)))


def risk_levels(
    *,
    student_ids: Any = None,
    course_ids: Any = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    finals: dict[Pair, Final] | None = None,
) -> dict[int, str]:
    """The risk level ``summaries`` gives each student with an enrollment in the
    selection (``finals``: its ``final_grades`` when already read); the others are at low
    risk."""
    selection = Selection(student_ids, course_ids, date_from, date_to)
    return _finals.risk_levels(selection, finals)


def attendance_standings(
    *,
    student_ids: Any = None,
    course_ids: Any = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    threshold: Decimal | None = None,
    consecutive: int | None = None,
) -> list:
    """The attendance of each enrollment ``course_results`` gives (rate, unexcused
    absences, longest run), read from the attendance rollups alone over a date range;
    with ``threshold`` and ``consecutive``, at least those that raise an alert."""
    selection = Selection(student_ids, course_ids, date_from, date_to)
    if not selection.dated or not readable():
        return list(
            course_results(
                student_ids=student_ids,
                course_ids=course_ids,
                date_from=date_from,
                date_to=date_to,
            ).values()
        )
    return _attendance_standings(selection, threshold, consecutive)


def grade_count(
    *,
    student_ids: Any = None,
    course_ids: Any = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> int:
    """How many counted grade items the selection has (the dashboard's total): one sum
    over ``GradeDay.all_items`` instead of a count of the raw rows."""
    selection = Selection(student_ids, course_ids, date_from, date_to)
    if not readable():
        return live.grade_count(selection)
    days = selection.days(GradeDay)
    return int(days.aggregate(n=Sum("all_items"))["n"] or 0)


def summaries(
    *,
    student_ids: Any = None,
    course_ids: Any = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    results: dict[Pair, grading.CourseResult] | None = None,
    stored_trends: bool = True,
    pairs: Collection[Pair] | None = None,
) -> dict[int, grading.StudentSummary]:
    """``grading.student_summaries`` with the same arguments, from stored data;
    ``results``, when given, are this scope's ``course_results`` already read (or only
    those with a record in the date range, with every enrollment in ``pairs``: the others
    add nothing to a summary but their student); ``stored_trends`` False when none of
    their students is wholly in scope (the caller looked: ``trends``)."""
    selection = Selection(student_ids, course_ids, date_from, date_to)
    if results is None:
        results = course_results(
            student_ids=student_ids, course_ids=course_ids, date_from=date_from, date_to=date_to
        )
    found = trends(
        selection.narrowed(results), whole_courses=not selection.dated, stored=stored_trends
    )
    if course_ids is None:
        students = Student.objects.order_by()
        if student_ids is not None:
            students = students.filter(id__in=student_ids)
        student_list = list(students.values_list("id", flat=True))
    else:
        enrolled = results if pairs is None else pairs
        student_list = sorted({student_id for student_id, _course_id in enrolled})
    by_student: dict[int, list[grading.CourseResult]] = {pk: [] for pk in student_list}
    for (student_id, _course_id), result in results.items():
        by_student.setdefault(student_id, []).append(result)
    no_trend = ("insufficient_data", None)
    return {
        student_id: grading.summarise_student(
            student_id=student_id,
            courses=courses,
            trend=found.get(student_id, no_trend)[0],
            trend_slope=found.get(student_id, no_trend)[1],
        )
        for student_id, courses in sorted(by_student.items())
    }
