"""A student's date of birth: optional, one rule (not in the future, not before 1900) met
by the API and the admin alike (the importer's side: tests/bulkio), seen within each role's
scope and shown on a student's page only to those who may see that student."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.academics.models import Student
from tests.academics.admin_forms import student_admin_form
from tests.api.conftest import School, client_for, make_side
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/students/"
NEW_STUDENT = {
    "student_id": "B100",
    "first_name": "Eleni",
    "last_name": "Georgiou",
    "email": "eleni@example.org",
}


@pytest.fixture
def school(db) -> School:
    return School(admin=AdminFactory(), own=make_side("own"), other=make_side("other"))


# --- API ---------------------------------------------------------------------------------------
def test_student_date_of_birth_is_written_and_read_back_as_an_iso_date(admin_user):
    api = client_for(admin_user)

    created = api.post(URL, {**NEW_STUDENT, "date_of_birth": "2009-03-14"}, format="json")
    cleared = api.patch(f"{URL}{created.json()['id']}/", {"date_of_birth": None}, format="json")

    assert created.status_code == 201
    assert created.json()["date_of_birth"] == "2009-03-14"
    assert cleared.status_code == 200
    assert cleared.json()["date_of_birth"] is None
    assert Student.objects.get(student_id="B100").date_of_birth is None


def test_student_date_of_birth_is_optional(admin_user):
    response = client_for(admin_user).post(URL, NEW_STUDENT, format="json")

    assert response.status_code == 201
    assert response.json()["date_of_birth"] is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("tomorrow", "The date of birth cannot be in the future."),
        ("1899-12-31", "The date of birth cannot be before 1900-01-01."),
        ("14/03/2009", "Date has wrong format."),
    ],
)
def test_student_date_of_birth_out_of_range_is_a_clear_400(admin_user, value, message):
    if value == "tomorrow":
        value = (timezone.localdate() + dt.timedelta(days=1)).isoformat()

    response = client_for(admin_user).post(
        URL, {**NEW_STUDENT, "date_of_birth": value}, format="json"
    )

    assert response.status_code == 400
    assert message in response.json()["date_of_birth"][0]
    assert not Student.objects.filter(student_id="B100").exists()


def test_student_date_of_birth_is_seen_within_each_role_scope_as_before(school):
    own, other = school.own.student, school.other.student
    Student.objects.filter(pk=own.pk).update(date_of_birth=dt.date(2008, 5, 2))
    teacher = client_for(school.own.teacher)
    student = client_for(school.own.student_user)

    assert teacher.get(f"{URL}{own.pk}/").json()["date_of_birth"] == "2008-05-02"
    assert teacher.get(f"{URL}{other.pk}/").status_code == 404
    assert student.get(f"{URL}{own.pk}/").json()["date_of_birth"] == "2008-05-02"
    assert student.get(f"{URL}{other.pk}/").status_code == 404
    assert [row["id"] for row in student.get(URL).json()["results"]] == [own.pk]
    refused = student.patch(f"{URL}{own.pk}/", {"date_of_birth": "2008-05-03"}, format="json")
    assert refused.status_code == 403
    own.refresh_from_db()
    assert own.date_of_birth == dt.date(2008, 5, 2)


# --- Admin ------------------------------------------------------------------------------------
def test_student_admin_saves_the_date_of_birth_and_refuses_one_before_1900(client, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:academics_student_add")

    refused = client.post(url, student_admin_form(date_of_birth="1850-01-01"))
    saved = client.post(url, student_admin_form(date_of_birth="2009-03-14"))

    assert refused.status_code == 200
    assert "The date of birth cannot be before 1900-01-01." in refused.content.decode()
    assert saved.status_code == 302
    assert Student.objects.get(student_id="S-900").date_of_birth == dt.date(2009, 3, 14)


# --- Pages ------------------------------------------------------------------------------------
def test_student_page_shows_the_date_of_birth_to_the_students_teacher_only(client, school):
    own, other = school.own.student, school.other.student
    Student.objects.filter(pk__in=[own.pk, other.pk]).update(date_of_birth=dt.date(2008, 5, 2))
    client.force_login(school.own.teacher)

    page = client.get(f"/students/{own.pk}/")
    outside = client.get(f"/students/{other.pk}/")

    assert page.status_code == 200
    assert "<dt>Date of birth</dt><dd>02/05/2008</dd>" in page.content.decode()
    assert outside.status_code == 404


def test_student_page_leaves_out_a_missing_date_of_birth(client, school):
    client.force_login(school.own.teacher)

    page = client.get(f"/students/{school.own.student.pk}/").content.decode()

    assert "Date of birth" not in page
