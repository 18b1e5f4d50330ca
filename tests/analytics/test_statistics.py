"""After a rebuild the database's planner knows the stored tables: without statistics
SQLite guessed between indexes and deleted a student's rollups of one course by reading
every rollup of the course, which doubled the refresh after one grade save."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from apps.analytics import results
from apps.analytics.models import AttendanceDay, EnrollmentResult, GradeDay
from tests.factories import AttendanceFactory, GradeFactory, StudentFactory, enroll

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _analysed_tables() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        else:
            cursor.execute("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
        return {table for (table,) in cursor.fetchall()}


def test_rebuild_leaves_statistics_of_the_stored_tables_for_the_planner(school):
    results.rebuild_results()

    analysed = _analysed_tables()

    for model in (EnrollmentResult, GradeDay, AttendanceDay):
        assert model._meta.db_table in analysed


def _classmates(course, how_many: int) -> None:
    """Students of ``course`` with a grade and a record each: as in a school, a course
    has many more rollup rows than one student has in it."""
    for number in range(how_many):
        student = StudentFactory()
        enroll(student, course)
        day = dt.date(2025, 10, 1) + dt.timedelta(days=number % 20)
        GradeFactory(student=student, course=course, category="Midterm", date_assigned=day)
        AttendanceFactory(student=student, course=course, date=day, status="present")


@pytest.mark.parametrize(
    ("table", "index"),
    [
        ("analytics_gradeday", "gradeday_student_idx"),
        ("analytics_attendanceday", "attday_student_idx"),
    ],
)
def test_refresh_deletes_a_students_rollups_through_the_students_index(school, table, index):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's plans follow its statistics; the guess was SQLite's")
    _classmates(school.math, 30)
    results.rebuild_results()
    student, course = school.ana.pk, school.math.pk

    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN QUERY PLAN DELETE FROM {table}"
            " WHERE student_id IN (%s) AND course_id IN (%s)",
            [student, course],
        )
        plan = " ".join(str(row) for row in cursor.fetchall())

    # Not the course's index, covering as it is: it would read all 31 students' rows.
    assert index in plan
