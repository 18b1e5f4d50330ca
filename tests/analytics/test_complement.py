"""A student filter's attendance and grade items as its courses' slots and buckets minus
the other students' rows (``apps/analytics/selectors/complement.py``): the same figures
as the live engine over the filtered students' own rows."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.academics.filtering import RecordFilters
from apps.analytics import results
from apps.analytics.reports import compute_report
from apps.analytics.selectors import AnalyticsContext
from tests.factories import AttendanceFactory, GradeFactory, StudentFactory, enroll

D = dt.date
ATTENDANCE_PARTS = ("records", "rate", "by_status", "by_weekday", "by_period", "heatmap")


def _both(name, user, filters):
    """The report from stored data and from the live engine, as the API sends them."""
    stored = compute_report(name, user, filters)
    live = compute_report(name, user, filters, live=True)
    stored.pop("generated_at"), live.pop("generated_at")
    return stored, live


@pytest.fixture
def others(school):
    """Chloe (class B2, year 2) takes physics beside Ana (one absence); her dropped
    mathematics has a grade and a mark that count nowhere, so nothing of it may be
    subtracted (``conftest.school``)."""
    results.flush_pending()
    return school


def test_a_class_sharing_its_courses_with_few_others_is_counted_by_subtraction(others, admin_user):
    context = AnalyticsContext(admin_user, RecordFilters(class_division="A1"))

    assert context.complement is not None
    assert context.complement.course_ids == tuple(sorted((others.math.pk, others.physics.pk)))
    assert context.complement.other_enrollments == ((others.chloe.pk, others.physics.pk),)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "filters",
    [
        RecordFilters(class_division="A1"),
        RecordFilters(study_year=1),
        RecordFilters(class_division="A1", date_from=D(2025, 10, 1), date_to=D(2025, 10, 31)),
        RecordFilters(class_division="A1", date_from=D(2025, 10, 6), date_to=D(2025, 10, 6)),
    ],
    ids=["class", "year", "class-october", "class-one-day"],
)
@pytest.mark.parametrize("report", ["attendance", "grades", "dashboard", "courses"])
def test_subtracted_figures_equal_the_live_engine(others, admin_user, filters, report):
    stored, live = _both(report, admin_user, filters)

    assert stored == live


def test_subtraction_gives_the_filtered_students_own_attendance(others, admin_user):
    """Class A1: Ana and Ben's marks only; Chloe's physics absence and her dropped
    mathematics are not theirs."""
    stored, _live = _both("attendance", admin_user, RecordFilters(class_division="A1"))
    everyone, _ = _both("attendance", admin_user, RecordFilters())

    assert stored["records"] == everyone["records"] - 1  # Chloe's one counted mark
    assert stored["by_status"]["absent"] == everyone["by_status"]["absent"] - 1


@pytest.mark.postgres
def test_a_teacher_class_filter_subtracts_within_the_teacher_courses(others):
    """The teacher of mathematics, class A1: Ana and Ben in mathematics only."""
    filters = RecordFilters(class_division="A1")
    for report in ("attendance", "grades", "dashboard"):
        stored, live = _both(report, others.teacher, filters)
        assert stored == live, report


def test_a_class_whose_courses_are_mostly_other_students_reads_its_own_rows(others, admin_user):
    """Chloe alone in class B2 shares physics with Ana and three more: subtracting their
    rows would read more than hers."""
    for number in range(3):
        extra = StudentFactory(class_division="C3", last_name=f"Extra{number}")
        enroll(extra, others.physics)
        AttendanceFactory(student=extra, course=others.physics, date=D(2025, 10, 7), status="late")
    results.flush_pending()
    filters = RecordFilters(class_division="B2")

    context = AnalyticsContext(admin_user, filters)
    stored, live = _both("attendance", admin_user, filters)

    assert context.complement is None
    assert stored == live


def test_a_mark_of_the_filtered_students_counts_at_once(others, admin_user):
    filters = RecordFilters(class_division="A1")
    before, _ = _both("attendance", admin_user, filters)

    AttendanceFactory(student=others.ben, course=others.math, date=D(2025, 10, 9), status="late")
    after, live = _both("attendance", admin_user, filters)

    assert after["records"] == before["records"] + 1
    assert after["by_status"]["late"] == before["by_status"]["late"] + 1
    assert after == live


@pytest.mark.postgres
@pytest.mark.parametrize("report", ["attendance", "dashboard"])
def test_subtraction_reads_the_marks_of_the_other_students_only(others, admin_user, report):
    """Class A1 over a range: its own marks are counted from the slots; the only marks
    read are Chloe's, to take them off."""
    filters = RecordFilters(class_division="A1", date_from=D(2025, 9, 1))
    with CaptureQueriesContext(connection) as queries:
        compute_report(report, admin_user, filters)

    reads = [q["sql"] for q in queries if 'FROM "academics_attendance"' in q["sql"]]
    assert len(reads) == 1
    if connection.vendor == "postgresql":  # by her counted enrollment (physics)
        enrollments = re.search(r"IN \(VALUES ([^)]*\))\)", reads[0]).group(1)
        read = re.findall(r"\((\d+),(\d+)\)", enrollments)
        assert read == [(str(others.chloe.pk), str(others.physics.pk))]
    else:  # by her id, in the filter's courses
        students = re.search(r'"academics_attendance"\."student_id" IN \(([^)]*)\)', reads[0])
        assert [int(pk) for pk in students.group(1).split(",")] == [others.chloe.pk]


@pytest.mark.postgres
@pytest.mark.parametrize("report", ["attendance", "grades", "dashboard"])
def test_a_filter_whose_courses_have_no_other_students_subtracts_nothing(
    others, admin_user, report
):
    """Class A1 in mathematics: Chloe's enrollment there is dropped, so no one else counts
    and the course's slots and buckets are the class's own."""
    filters = RecordFilters(class_division="A1", courses=(others.math.pk,))
    context = AnalyticsContext(admin_user, filters)

    stored, live = _both(report, admin_user, filters)

    assert context.complement.other_enrollments == ()
    assert stored == live


@pytest.mark.postgres
def test_hidden_grades_count_on_neither_side_of_the_subtraction(others, admin_user):
    """A grade waiting to be posted, of a filtered student (Ana) and of another (Chloe), is
    in no bucket and must not be taken off either: class A1's statistics stay those of
    its posted grades."""
    for student, course in ((others.ana, others.math), (others.chloe, others.physics)):
        GradeFactory(
            student=student,
            course=course,
            assignment_name="Hidden",
            category="Midterm" if course == others.math else "Homework",
            grade=Decimal("5"),
            date_assigned=D(2025, 10, 20),
            posted_at=None,
        )
    results.flush_pending()
    filters = RecordFilters(class_division="A1")

    stored, live = _both("grades", admin_user, filters)
    dashboard, _ = _both("dashboard", admin_user, filters)

    assert stored == live
    assert stored["count"] == 6  # Ana's four posted grades and Ben's two
    assert dashboard["totals"]["grades"] == 6
