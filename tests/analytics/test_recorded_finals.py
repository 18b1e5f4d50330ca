"""Over a date range the dashboard, the course list and the risk levels finish only the
enrollments with a record in the range (``final_grades(recorded_only=True)``). An
enrollment whose only items there count towards no average still counts towards its
student's trend; one with no record still lists its student, at low risk, and still
counts towards its course's students at risk."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.academics import services
from apps.academics.filtering import RecordFilters
from apps.academics.models import Enrollment
from apps.analytics import ranged, results
from apps.analytics.reports import compute_report
from tests.factories import CourseFactory, GradeFactory, StudentFactory, enroll

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

D = dt.date
OCTOBER = RecordFilters(date_from=D(2025, 10, 1), date_to=D(2025, 10, 31))
HOMEWORK = [{"category": "Homework", "weight": 100}]


def _grade(student, course, percentage, day, weight="1"):
    GradeFactory(
        student=student,
        course=course,
        category="Homework",
        grade=Decimal(percentage),
        max_grade=Decimal(100),
        weight=Decimal(weight),
        date_assigned=day,
    )


@pytest.fixture
def school():
    """Dora: 60 in graded (October), then three unweighted homeworks in ungraded, each
    lower: an average of 60 (25 risk points) and a declining trend (15 more) make her
    medium risk, low without the ungraded items; in quiet she has no record in October.
    Eli: graded, with his only grade in September."""
    dora, eli = StudentFactory(last_name="Dora"), StudentFactory(last_name="Eli")
    graded = CourseFactory(course_code="GRD", evaluation_rules=HOMEWORK)
    ungraded = CourseFactory(course_code="UNG", evaluation_rules=HOMEWORK)
    quiet = CourseFactory(course_code="QUI", evaluation_rules=HOMEWORK)
    for student, course in ((dora, graded), (dora, ungraded), (dora, quiet), (eli, graded)):
        enroll(student, course)
    _grade(dora, graded, "60", D(2025, 10, 1))
    for day, percentage in ((2, "50"), (3, "40"), (6, "30")):
        _grade(dora, ungraded, percentage, D(2025, 10, day), weight="0")
    _grade(dora, quiet, "95", D(2025, 9, 15))
    _grade(eli, graded, "90", D(2025, 9, 15))
    results.rebuild_results()
    return dora, eli, graded, ungraded, quiet


def _both(name, user, pk=None):
    stored = compute_report(name, user, OCTOBER, pk)
    live = compute_report(name, user, OCTOBER, pk, live=True)
    stored.pop("generated_at"), live.pop("generated_at")
    return stored, live


def test_an_enrollment_with_only_unweighted_items_is_recorded(school):
    dora, _eli, graded, ungraded, _quiet = school

    finals = ranged.final_grades(
        date_from=OCTOBER.date_from, date_to=OCTOBER.date_to, recorded_only=True
    )

    assert set(finals) == {(dora.pk, graded.pk), (dora.pk, ungraded.pk)}
    assert finals[(dora.pk, ungraded.pk)].final_grade is None


def test_the_whole_schools_recorded_enrollments_leave_out_a_dropped_one_at_once(school, admin_user):
    dora, _eli, graded, ungraded, _quiet = school
    enrollment = Enrollment.objects.get(student=dora, course=graded)

    services.enrollment_drop(enrollment=enrollment, actor=admin_user)
    results.flush_pending()
    finals = ranged.final_grades(
        date_from=OCTOBER.date_from, date_to=OCTOBER.date_to, recorded_only=True
    )
    stored, live = _both("dashboard", admin_user)

    assert set(finals) == {(dora.pk, ungraded.pk)}
    assert stored == live
    assert stored["at_risk"] == {"high": 0, "medium": 0}


def test_the_dashboard_counts_a_trend_made_of_unweighted_items(school, admin_user):
    stored, live = _both("dashboard", admin_user)

    assert stored == live
    assert stored["at_risk"] == {"high": 0, "medium": 1}
    assert stored["totals"]["enrollments"] == 4


def test_the_course_list_counts_students_at_risk_without_a_grade_in_the_course(school, admin_user):
    _dora, _eli, graded, ungraded, quiet = school

    stored, live = _both("courses", admin_user)

    assert stored == live
    rows = {row["course_id"]: (row["enrolled"], row["at_risk"]) for row in stored["results"]}
    assert rows == {graded.pk: (2, 1), ungraded.pk: (1, 1), quiet.pk: (1, 1)}


def test_the_course_report_lists_a_student_without_a_record_at_low_risk(school, admin_user):
    dora, eli, graded, _ungraded, _quiet = school

    stored, live = _both("course", admin_user, graded.pk)

    assert stored == live
    levels = {row["id"]: row["risk_level"] for row in stored["students"]}
    assert levels == {dora.pk: "medium", eli.pk: "low"}


def test_the_student_list_of_a_course_keeps_a_student_without_a_record_in_it(school, admin_user):
    dora, _eli, _graded, _ungraded, quiet = school
    filters = RecordFilters(
        date_from=OCTOBER.date_from, date_to=OCTOBER.date_to, courses=(quiet.pk,)
    )

    stored = compute_report("students", admin_user, filters)
    live = compute_report("students", admin_user, filters, live=True)

    assert stored["results"] == live["results"]
    (row,) = stored["results"]
    assert (row["id"], row["average_grade"], row["risk_level"]) == (dora.pk, None, "low")
