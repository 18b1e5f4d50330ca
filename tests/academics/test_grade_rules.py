"""The grade rules fixed with the one write path, through every entry point.

A grade without an assigned date takes its submission date; a category matching none of
the course's rules is refused with the course's categories listed; grade dates before
2000 and submission dates in the future are refused. The importer's path is covered in
tests/bulkio.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.academics import services
from apps.academics.models import Grade
from tests.academics.test_admin import _grade_form
from tests.api.conftest import client_for
from tests.factories import AdminFactory, CourseFactory, StudentFactory, TeacherFactory, enroll

RULES = [{"category": "Midterm", "weight": 40}, {"category": "Final Exam", "weight": 60}]
CATEGORIES = "Midterm, Final Exam"


@pytest.fixture
def side(db):
    teacher = TeacherFactory()
    course = CourseFactory(evaluation_rules=RULES, teachers=[teacher])
    student = StudentFactory()
    enroll(student, course)
    return teacher, course, student


def _create(side, **data):
    teacher, course, student = side
    values = {"assignment_name": "Essay", "category": "Midterm", "grade": Decimal("70"), **data}
    return services.grade_create(student=student, course=course, actor=teacher, **values)


# --- Services ---------------------------------------------------------------------------------
def test_service_grade_without_assigned_date_takes_its_submission_date(side):
    grade = _create(side, date_submitted=dt.date(2024, 3, 5))

    grade.refresh_from_db()
    assert grade.date_assigned == dt.date(2024, 3, 5)


def test_service_grade_without_any_date_is_assigned_today(side):
    grade = _create(side)

    assert grade.date_assigned == timezone.localdate()
    assert grade.date_submitted is None


def test_service_grade_in_an_unknown_category_is_refused_with_the_course_categories(side):
    with pytest.raises(ValidationError) as caught:
        _create(side, category="Homework")

    assert caught.value.message_dict["category"] == [
        f"“Homework” matches none of this course's categories: {CATEGORIES}."
    ]
    assert not Grade.objects.exists()


def test_service_category_is_matched_as_the_engine_matches_it(side):
    grade = _create(side, category="Τελική εξέταση")  # the key of "Final Exam"

    assert grade.category == "Τελική εξέταση"


def test_service_grade_in_the_attendance_rule_is_refused(db):
    teacher = TeacherFactory()
    course = CourseFactory(
        evaluation_rules=[
            {"category": "Final", "weight": 80},
            {"category": "Attendance", "weight": 20},
        ]
    )
    student = StudentFactory()
    enroll(student, course)

    with pytest.raises(ValidationError, match="categories: Final"):
        services.grade_create(
            student=student,
            course=course,
            assignment_name="Presence",
            category="Attendance",
            grade=Decimal("90"),
            actor=teacher,
        )


def test_service_a_course_without_rules_takes_any_category(db):
    course = CourseFactory(evaluation_rules=[])
    student = StudentFactory()
    enroll(student, course)

    grade = services.grade_create(
        student=student,
        course=course,
        assignment_name="Essay",
        category="Homework",
        grade=Decimal("50"),
        actor=None,
    )

    assert grade.pk is not None


def test_service_editing_a_stored_grade_keeps_its_old_category_valid(side):
    teacher, course, student = side
    grade = _create(side, category="Midterm")
    Grade.objects.filter(pk=grade.pk).update(category="Lab")  # the rules changed since
    grade.refresh_from_db()

    services.grade_update(grade_obj=grade, actor=teacher, notes="Resubmitted")

    grade.refresh_from_db()
    assert (grade.category, grade.notes) == ("Lab", "Resubmitted")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"date_assigned": dt.date(1999, 12, 31)}, "date_assigned", "cannot be before 2000-01-01"),
        (
            {"date_submitted": dt.date(1999, 12, 31), "date_assigned": dt.date(1999, 12, 1)},
            "date_submitted",
            "cannot be before 2000-01-01",
        ),
        (
            # Two days ahead: parameters are computed when the tests are collected, which
            # may be just before midnight, and the test run after it.
            {"date_submitted": timezone.localdate() + dt.timedelta(days=2)},
            "date_submitted",
            "cannot be in the future",
        ),
    ],
)
def test_service_refuses_grade_dates_out_of_range(side, data, field, message):
    with pytest.raises(ValidationError) as caught:
        _create(side, **data)

    assert message in " ".join(caught.value.message_dict[field])


# --- API --------------------------------------------------------------------------------------
def _api_payload(side, **overrides):
    _teacher, course, student = side
    return {
        "student": student.pk,
        "course": course.pk,
        "assignment_name": "Essay",
        "category": "Midterm",
        "grade": "15",
        "max_grade": "20",
        **overrides,
    }


def test_api_grade_with_only_a_submission_date_lands_on_that_date(side):
    response = client_for(side[0]).post(
        "/api/v1/grades/", _api_payload(side, date_submitted="2024-11-04"), format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["date_assigned"] == "2024-11-04"


def test_api_grade_in_an_unknown_category_is_400_listing_the_categories(side):
    response = client_for(side[0]).post(
        "/api/v1/grades/", _api_payload(side, category="Homework"), format="json"
    )

    assert response.status_code == 400
    assert response.json()["category"] == [
        f"“Homework” matches none of this course's categories: {CATEGORIES}."
    ]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"date_assigned": "1998-01-01"}, "date_assigned"),
        ({"date_submitted": "2999-01-01"}, "date_submitted"),
    ],
)
def test_api_grade_dates_out_of_range_are_400(side, overrides, field):
    response = client_for(side[0]).post(
        "/api/v1/grades/", _api_payload(side, **overrides), format="json"
    )

    assert response.status_code == 400
    assert field in response.json()
    assert not Grade.objects.exists()


# --- Admin ------------------------------------------------------------------------------------
def test_admin_grade_with_only_a_submission_date_lands_on_that_date(client, side):
    _teacher, course, student = side
    client.force_login(AdminFactory())

    response = client.post(
        reverse("admin:academics_grade_add"),
        _grade_form(student, course, date_assigned="", date_submitted="2024-05-06"),
    )

    assert response.status_code == 302
    assert Grade.objects.get().date_assigned == dt.date(2024, 5, 6)


def test_admin_grade_in_an_unknown_category_shows_the_course_categories(client, side):
    _teacher, course, student = side
    client.force_login(AdminFactory())

    response = client.post(
        reverse("admin:academics_grade_add"), _grade_form(student, course, category="Homework")
    )

    assert response.status_code == 200
    assert "matches none of this course&#x27;s categories: Midterm, Final Exam" in (
        response.content.decode()
    )
    assert not Grade.objects.exists()


# --- Pages ------------------------------------------------------------------------------------
def test_page_new_column_offers_only_the_course_categories_and_refuses_old_dates(client, side):
    teacher, course, _student = side
    client.force_login(teacher)

    response = client.post(
        reverse("academics:grade_column_add", args=[course.pk]),
        {"name": "Old", "category": "Homework", "max_grade": "20", "date_assigned": "1999-05-01"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice" in page
    assert "cannot be before 2000-01-01" in page


def test_admin_grade_dates_out_of_range_show_form_errors(client, side):
    _teacher, course, student = side
    client.force_login(AdminFactory())

    response = client.post(
        reverse("admin:academics_grade_add"),
        _grade_form(student, course, date_assigned="1999-01-01", date_submitted="2999-01-01"),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "cannot be before 2000-01-01" in page
    assert "cannot be in the future" in page
    assert not Grade.objects.exists()
