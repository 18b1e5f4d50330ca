"""A student compares themselves with their course only when the course is big enough
(``SMS_PRIVACY_MIN_GROUP`` students with a final grade); the API, the page and the exports
show the same, and a smaller course shows nothing about classmates."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.academics.models import Enrollment
from tests.factories import (
    CourseFactory,
    GradeFactory,
    StudentFactory,
    StudentUserFactory,
    enroll,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

URL = "/api/v1/analytics/students/{}/"


def _course_with_finals(code: str, finals: list[int], *, me_at: int | None = None):
    """A course whose students got these final grades (one Homework grade each); the
    student at ``me_at`` has a login. Returns the course, the logged-in student and user."""
    course = CourseFactory(
        course_code=code, evaluation_rules=[{"category": "Homework", "weight": 100}]
    )
    me = user = None
    for index, final in enumerate(finals):
        login = StudentUserFactory() if index == me_at else None
        student = StudentFactory(user=login)
        enroll(student, course)
        GradeFactory(
            student=student,
            course=course,
            assignment_name="H1",
            grade=Decimal(final),
            date_assigned=dt.date(2025, 10, 1),
        )
        if index == me_at:
            me, user = student, login
    return course, me, user


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _course_row(body: dict, code: str) -> dict:
    return next(row for row in body["courses"] if row["course_code"] == code)


def test_student_sees_course_average_and_percentile_in_a_course_of_five(settings):
    settings.SMS_PRIVACY_MIN_GROUP = 5
    _course, me, user = _course_with_finals("BIG1", [40, 60, 70, 70, 90], me_at=2)

    body = _client(user).get(URL.format(me.pk)).json()
    row = _course_row(body, "BIG1")

    # Mean of 40, 60, 70, 70, 90 = 66; below 70: two, equal: two (counting half) → 60 %.
    assert row["comparison"] == {"course_average": 66.0, "percentile": 60}
    assert row["comparison_hidden_reason"] is None


def test_comparison_is_hidden_in_a_course_below_the_floor(settings):
    settings.SMS_PRIVACY_MIN_GROUP = 5
    _course, me, user = _course_with_finals("SMALL1", [30, 95, 55, 80], me_at=0)

    body = _client(user).get(URL.format(me.pk)).json()
    row = _course_row(body, "SMALL1")

    assert row["comparison"] is None
    assert row["comparison_hidden_reason"] == "group_too_small"
    assert row["final_grade"] == 30.0  # their own figures stay


def test_floor_counts_only_students_with_a_final_grade(settings):
    settings.SMS_PRIVACY_MIN_GROUP = 5
    course, me, user = _course_with_finals("MIX1", [50, 60, 70, 80], me_at=0)
    enroll(StudentFactory(), course)  # enrolled, no grade yet: not counted

    row = _course_row(_client(user).get(URL.format(me.pk)).json(), "MIX1")

    assert row["comparison"] is None


def test_floor_follows_the_setting(settings):
    settings.SMS_PRIVACY_MIN_GROUP = 3
    _course, me, user = _course_with_finals("THREE1", [50, 60, 90], me_at=2)

    row = _course_row(_client(user).get(URL.format(me.pk)).json(), "THREE1")

    assert row["comparison"] == {"course_average": 66.67, "percentile": 83}


def test_comparison_under_a_date_filter_uses_the_grades_in_the_range(settings):
    settings.SMS_PRIVACY_MIN_GROUP = 5
    course, me, user = _course_with_finals("DATE1", [40, 60, 70, 70, 90], me_at=0)
    # A later grade for everyone but our student: outside the range it must not count.
    for enrollment in Enrollment.objects.filter(course=course).exclude(student=me):
        GradeFactory(
            student=enrollment.student,
            course=course,
            assignment_name="H2",
            grade=Decimal(0),
            date_assigned=dt.date(2025, 12, 1),
        )

    in_range = _client(user).get(URL.format(me.pk), {"date_to": "2025-10-31"}).json()
    whole = _client(user).get(URL.format(me.pk)).json()

    assert _course_row(in_range, "DATE1")["comparison"] == {
        "course_average": 66.0,
        "percentile": 10,
    }
    # Without the range the others average half their first grade (30, 35, 35, 45): 40 has
    # three below it and itself counting half.
    assert _course_row(whole, "DATE1")["comparison"]["percentile"] == 70


def test_student_page_shows_the_comparison_or_why_not(client, settings):
    settings.SMS_PRIVACY_MIN_GROUP = 5
    _big, me, user = _course_with_finals("BIG2", [40, 60, 70, 70, 90], me_at=2)
    small = CourseFactory(
        course_code="SMALL2", evaluation_rules=[{"category": "Homework", "weight": 100}]
    )
    enroll(me, small)
    GradeFactory(student=me, course=small, assignment_name="H1", grade=Decimal(75))
    client.force_login(user)

    html = client.get(f"/analytics/students/{me.pk}/").content.decode()

    assert "66.0" in html and ">60<" in html
    assert 'data-comparison-hidden="group_too_small"' in html
    assert "Shown when at least 5 students have a final grade" in html


def test_student_export_carries_the_comparison_and_nothing_below_the_floor(settings):
    settings.SMS_PRIVACY_MIN_GROUP = 5
    _big, me, user = _course_with_finals("BIG3", [40, 60, 70, 70, 90], me_at=2)
    small = CourseFactory(
        course_code="SMALL3", evaluation_rules=[{"category": "Homework", "weight": 100}]
    )
    enroll(me, small)
    enroll(StudentFactory(), small)
    GradeFactory(student=me, course=small, assignment_name="H1", grade=Decimal(75))

    response = _client(user).get(URL.format(me.pk), {"format": "csv"})
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    start = next(n for n, row in enumerate(lines) if "Course average" in row)
    header = lines[start]
    rows = {row[0]: row for row in lines[start + 1 :] if len(row) == len(header)}

    average, percentile = header.index("Course average"), header.index("Percentile")
    assert response.status_code == 200
    assert (rows["BIG3"][average], rows["BIG3"][percentile]) == ("66.0", "60")
    assert (rows["SMALL3"][average], rows["SMALL3"][percentile]) == ("", "")
