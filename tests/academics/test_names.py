"""Displayed names refuse text-direction control characters (display spoofing).

The rule is the models' field validator, so the API, the admin's forms, the services and
the importer's batch validation all refuse the same characters with the same words.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from apps.academics.models import Course, Student
from apps.accounts.models import User
from tests.factories import AdminFactory, CourseFactory, StudentFactory, TeacherFactory

pytestmark = pytest.mark.django_db

# Embeddings and overrides, isolates, and the direction marks.
BIDI_CONTROLS = [
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2066", "\u2067", "\u2068", "\u2069",
    "\u200e", "\u200f", "\u061c",
]  # fmt: skip


@pytest.fixture
def admin_api():
    client = APIClient()
    client.force_authenticate(AdminFactory())
    return client


def student_payload(**changes) -> dict:
    payload = {
        "student_id": "BIDI1",
        "first_name": "Anna",
        "last_name": "Alexiou",
        "email": "bidi1@example.org",
    }
    return payload | changes


@pytest.mark.parametrize("char", BIDI_CONTROLS)
def test_student_api_refuses_a_bidi_control_in_the_first_name(admin_api, char):
    response = admin_api.post(
        "/api/v1/students/", student_payload(first_name=f"Anna{char}fdp.exe"), format="json"
    )

    assert response.status_code == 400
    message = response.json()["first_name"][0]
    assert f"U+{ord(char):04X}" in message
    assert "text-direction" in message
    assert not Student.objects.exists()


@pytest.mark.parametrize("field", ["last_name", "father_name", "class_division"])
def test_student_api_refuses_bidi_controls_in_every_displayed_name(admin_api, field):
    response = admin_api.post(
        "/api/v1/students/", student_payload(**{field: "Ab\u202ecd"}), format="json"
    )

    assert response.status_code == 400
    assert "U+202E" in response.json()[field][0]


@pytest.mark.parametrize("name", ["Ελένη", "محمد", "דוד", "Zoë O'Brien-Ñúñez"])
def test_student_api_accepts_names_in_any_script(admin_api, name):
    response = admin_api.post("/api/v1/students/", student_payload(first_name=name), format="json")

    assert response.status_code == 201, response.content
    assert Student.objects.get().first_name == name


def test_course_api_refuses_a_bidi_control_in_the_course_name(admin_api):
    payload = {"course_code": "BIDI1", "course_name": "Networks\u2067x", "semester": "A"}

    response = admin_api.post("/api/v1/courses/", payload, format="json")

    assert response.status_code == 400
    assert "U+2067" in response.json()["course_name"][0]
    assert not Course.objects.exists()


def test_course_api_refuses_a_bidi_control_in_an_evaluation_category(admin_api):
    payload = {
        "course_code": "BIDI2",
        "course_name": "Networks",
        "semester": "A",
        "evaluation_rules": [{"category": "Final\u202e", "weight": 100}],
    }

    response = admin_api.post("/api/v1/courses/", payload, format="json")

    assert response.status_code == 400
    assert "U+202E" in str(response.json()["evaluation_rules"])


def test_grade_api_refuses_a_bidi_control_in_the_assignment_name(admin_api):
    student = StudentFactory()
    course = CourseFactory(evaluation_rules=[{"category": "Homework", "weight": 100}])
    student.enrollments.create(course=course)
    payload = {
        "student": student.pk,
        "course": course.pk,
        "assignment_name": "Essay\u200f",
        "category": "Homework",
        "grade": "80",
    }

    response = admin_api.post("/api/v1/grades/", payload, format="json")

    assert response.status_code == 400
    assert "U+200F" in response.json()["assignment_name"][0]


def test_user_names_refuse_bidi_controls_as_the_admin_form_does():
    teacher = TeacherFactory()
    teacher.last_name = "Papa\u202edopoulou"

    with pytest.raises(ValidationError) as refused:
        teacher.full_clean()

    assert "U+202E" in refused.value.message_dict["last_name"][0]
    assert User.objects.get(pk=teacher.pk).last_name != teacher.last_name


def test_student_import_gives_a_row_error_for_a_bidi_control(admin_api):
    content = (
        "student_id,first_name,last_name,email\n"
        "K1,Kostas,Alpha,k1@example.org\n"
        "K2,Eleni,Be\u202eta,k2@example.org\n"
    )
    upload = SimpleUploadedFile("students.csv", content.encode("utf-8"))

    response = admin_api.post(
        "/api/v1/imports/",
        {"resource": "students", "file": upload, "mode": "skip_invalid"},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["totals"]["new"] == 1
    assert body["totals"]["error"] == 1
    [error] = body["errors"]
    assert (error["row"], error["field"]) == (3, "last_name")
    assert "U+202E" in error["message"]
