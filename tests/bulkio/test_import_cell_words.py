"""Cells as people type them in an import: dates with a time, impossible dates, numbers that
are not numbers or not whole, evaluation rules as JSON or as text. Each either becomes the
value meant or an error on its row and column; the other rows are imported."""

import datetime as dt

import pytest

from apps.academics.models import Course, Enrollment, Student
from tests.bulkio.conftest import upload
from tests.factories import CourseFactory, StudentFactory

pytestmark = pytest.mark.django_db

COURSES = "course_code,course_name,semester,credits,evaluation_rules\n"
STUDENTS = "student_id,first_name,last_name,email,enrollment_date,study_year,is_active\n"


def errors_of(response) -> dict[tuple[int, str], str]:
    assert response.status_code == 201, response.content
    return {(e["row"], e["field"]): e["message"] for e in response.json()["errors"]}


def apply(admin_api, response) -> dict:
    return admin_api.post(f"/api/v1/imports/{response.json()['id']}/confirm/").json()


def test_course_rules_as_json_as_text_or_empty_are_read_and_bad_ones_named(admin_api):
    content = COURSES + (
        'C1,Networks,A,3,"[{""category"": ""Final"", ""weight"": 100}]"\n'
        'C2,Databases,A,3,"Midterm: 40%; Final: 60%"\n'
        "C3,Seminar,A,3,\n"
        'C4,Broken JSON,A,3,"[{""category"": ""Final"""\n'
        "C5,Unreadable,A,3,Midterm forty\n"
        "C6,Half credits,A,3.5,\n"
        "C7,Infinite credits,A,Infinity,\n"
    )

    response = upload(admin_api, "courses", content, mode="skip_invalid")
    errors = errors_of(response)
    applied = apply(admin_api, response)

    assert errors == {
        (5, "evaluation_rules"): "The evaluation rules are not valid JSON.",
        (6, "evaluation_rules"): (
            "Could not read the rule “Midterm forty”; write it like “Midterm: 40%”."
        ),
        (7, "credits"): "“3.5” is not a whole number.",
        (8, "credits"): "“Infinity” is not a number.",
    }
    assert applied["status"] == "applied"
    rules = dict(Course.objects.values_list("course_code", "evaluation_rules"))
    assert sorted(rules) == ["C1", "C2", "C3"]
    assert [rule["weight"] for rule in rules["C2"]] == [40, 60]
    assert rules["C3"] == []


def test_student_dates_with_a_time_are_read_and_impossible_dates_named(admin_api):
    content = STUDENTS + (
        "T1,Anna,Alpha,t1@example.org,2025-09-15T08:30:00,1,yes\n"
        "T2,Babis,Beta,t2@example.org,2025-09-16 00:00:00,2,no\n"
        "T3,Chara,Gamma,t3@example.org,2025-13-45,1,yes\n"
    )

    response = upload(admin_api, "students", content, mode="skip_invalid")
    errors = errors_of(response)
    apply(admin_api, response)

    assert errors == {
        (4, "enrollment_date"): "“2025-13-45” is not a date; use YYYY-MM-DD or DD/MM/YYYY."
    }
    saved = {s.student_id: (s.enrollment_date, s.is_active) for s in Student.objects.all()}
    assert saved == {
        "T1": (dt.date(2025, 9, 15), True),
        "T2": (dt.date(2025, 9, 16), False),
    }


def test_student_year_and_active_cells_holding_only_marks_count_as_blank(admin_api):
    StudentFactory(student_id="T9", study_year=3, is_active=True, email="t9@example.org")
    content = STUDENTS + "T9,First9,Last9,t9@example.org,2025-09-15,-,'\n"

    response = upload(admin_api, "students", content)
    errors = errors_of(response)
    apply(admin_api, response)

    student = Student.objects.get(student_id="T9")
    assert errors == {}
    assert (student.study_year, student.is_active) == (3, True)


def test_enrollment_status_left_as_a_mark_keeps_the_default_status(admin_api):
    student, course = StudentFactory(student_id="E1"), CourseFactory(course_code="NET101")
    content = "student_id,course_code,enrolled_at,status\nE1,NET101,2025-09-20,-\n"

    response = upload(admin_api, "enrollments", content)
    errors = errors_of(response)
    apply(admin_api, response)

    assert errors == {}
    assert Enrollment.objects.get(student=student, course=course).status == "active"
