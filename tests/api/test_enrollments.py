"""The enrollments endpoint."""

from __future__ import annotations

from apps.academics.models import Enrollment
from tests.api.conftest import client_for
from tests.factories import CourseFactory, StudentFactory, enroll

URL = "/api/v1/enrollments/"


def test_enrollments_duplicate_is_400_and_writes_nothing(school):
    response = client_for(school.admin).post(
        URL, {"student": school.own.student.pk, "course": school.own.course.pk}, format="json"
    )

    assert response.status_code == 400
    assert "already enrolled" in str(response.json())
    assert Enrollment.objects.filter(student=school.own.student).count() == 1


def test_enrollments_unknown_ids_are_400_on_the_field(admin_user):
    response = client_for(admin_user).post(
        URL, {"student": 999_999, "course": "abc"}, format="json"
    )

    assert response.status_code == 400
    assert "does not exist" in response.json()["student"][0]
    assert "course" in response.json()


def test_enrollments_filters_by_status_and_course(admin_user):
    course = CourseFactory()
    active = enroll(StudentFactory(), course)
    enroll(StudentFactory(), course, status="dropped")
    enroll(StudentFactory(), CourseFactory())
    client = client_for(admin_user)

    response = client.get(URL, {"course": course.pk, "status": "active"})

    assert [row["id"] for row in response.json()["results"]] == [active.pk]
    assert response.json()["results"][0]["course_code"] == course.course_code


def test_enrollments_unknown_status_filter_is_400(admin_user):
    response = client_for(admin_user).get(URL, {"status": "sleeping"})

    assert response.status_code == 400
    assert "status" in response.json()


def test_enrollments_status_update_and_moving_is_refused(school):
    client = client_for(school.admin)
    url = f"{URL}{school.own.enrollment.pk}/"

    dropped = client.patch(url, {"status": "dropped"}, format="json")
    moved = client.patch(url, {"course": school.other.course.pk}, format="json")

    assert dropped.status_code == 200
    assert dropped.json()["status"] == "dropped"
    assert moved.status_code == 400
    assert "course" in moved.json()
    school.own.enrollment.refresh_from_db()
    assert school.own.enrollment.course == school.own.course
