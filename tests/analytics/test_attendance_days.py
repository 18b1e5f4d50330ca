"""The attendance days' absence runs (``rollups.attendance_day_sql``): a day's first and
last run, its longest, whether every record is an absence, and the previous day with
records, as the longest run over any range needs them. Days of many periods with runs
between other records take the statement's own path, which generated schools of one or
two periods a day never reach."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.academics import grading
from apps.analytics import ranged, results
from apps.analytics.models import AttendanceDay
from tests.factories import AttendanceFactory, CourseFactory, StudentFactory, enroll

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

MONDAY, TUESDAY, THURSDAY = dt.date(2025, 10, 6), dt.date(2025, 10, 7), dt.date(2025, 10, 9)
P, A, L, E = "present", "absent", "late", "excused"
# Monday: a run of three between other records, and a run of one at each end.
# Tuesday: every record an absence (it joins Monday's last run and Thursday's first).
# Thursday: runs of one and two after a late arrival, the two at the end.
DAYS = {
    MONDAY: (A, P, A, A, A, E, L, A),
    TUESDAY: (A, A),
    THURSDAY: (A, L, A, P, A, A),
}


@pytest.fixture
def marked():
    student, course = StudentFactory(), CourseFactory()
    enroll(student, course)
    for day, statuses in DAYS.items():
        # Periods out of order and with gaps: the runs follow the period order.
        for index, status in reversed(list(enumerate(statuses))):
            AttendanceFactory(
                student=student,
                course=course,
                date=day,
                period_number=3 + 2 * index,
                status=status,
            )
    results.rebuild_results()
    return student, course


def test_each_day_stores_its_runs_and_the_day_before(marked):
    rows = {
        row.day: row for row in AttendanceDay.objects.filter(student=marked[0], course=marked[1])
    }

    stored = {
        day: (
            row.present, row.absent, row.late, row.excused,
            row.first_run, row.last_run, row.longest_run, row.all_absent, row.previous_day,
        )
        for day, row in rows.items()
    }  # fmt: skip

    assert stored == {
        MONDAY: (1, 5, 1, 1, 1, 1, 3, False, None),
        TUESDAY: (0, 2, 0, 0, 2, 2, 2, True, MONDAY),
        THURSDAY: (1, 4, 1, 0, 1, 2, 2, False, TUESDAY),
    }


@pytest.mark.parametrize(
    ("date_from", "date_to", "longest"),
    [
        (MONDAY, MONDAY, 3),  # the run between other records
        (TUESDAY, TUESDAY, 2),
        (MONDAY, TUESDAY, 3),  # Monday's last 1 + Tuesday's 2 = 3, as long as the middle
        (TUESDAY, THURSDAY, 3),  # Tuesday's 2 + Thursday's first 1
        (MONDAY, THURSDAY, 4),  # Monday's last 1 + 2 + Thursday's first 1
        (None, None, 4),
    ],
)
def test_the_longest_run_over_a_range_equals_the_engine(marked, date_from, date_to, longest):
    student, course = marked
    arguments = {
        "student_ids": [student.pk],
        "course_ids": [course.pk],
        "date_from": date_from,
        "date_to": date_to,
    }

    stored = ranged.course_results(**arguments)[(student.pk, course.pk)]
    live = grading.course_results(**arguments)[(student.pk, course.pk)]

    assert stored.consecutive_absences == live.consecutive_absences == longest
