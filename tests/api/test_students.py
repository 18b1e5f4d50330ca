"""The students endpoint: fields by role, filters, pagination and validation."""

from __future__ import annotations

from apps.academics.models import Student
from tests.api.conftest import client_for
from tests.factories import CourseFactory, StudentFactory, enroll

URL = "/api/v1/students/"


def test_students_health_issue_is_shown_to_admins_only(school):
    admin = client_for(school.admin).get(f"{URL}{school.own.student.pk}/")
    teacher = client_for(school.own.teacher).get(f"{URL}{school.own.student.pk}/")
    student = client_for(school.own.student_user).get(f"{URL}{school.own.student.pk}/")

    assert admin.json()["health_issue"] == "Asthma own"
    assert "health_issue" not in teacher.json()
    assert "health_issue" not in student.json()
    assert teacher.json()["student_id"] == school.own.student.student_id


def test_students_list_is_paginated_with_count_and_links(admin_user):
    StudentFactory.create_batch(5)

    response = client_for(admin_user).get(URL, {"page_size": 2, "page": 2})

    body = response.json()
    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert "page=3" in body["next"]
    assert body["previous"] is not None


def test_students_page_size_is_capped_at_500(admin_user):
    StudentFactory.create_batch(3)

    response = client_for(admin_user).get(URL, {"page_size": 10_000})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


def test_students_page_past_the_end_is_404(admin_user):
    StudentFactory.create_batch(2)

    response = client_for(admin_user).get(URL, {"page": 9})

    assert response.status_code == 404


def test_students_filters_narrow_the_list(admin_user):
    course = CourseFactory()
    in_course = StudentFactory(class_division="B2", study_year=2, last_name="Papadopoulos")
    enroll(in_course, course)
    StudentFactory(class_division="A1", study_year=1, is_active=False)
    client = client_for(admin_user)

    def ids(**params):
        return [row["id"] for row in client.get(URL, params).json()["results"]]

    assert ids(course=course.pk) == [in_course.pk]
    assert ids(class_division="b2") == [in_course.pk]
    assert ids(study_year=2) == [in_course.pk]
    assert ids(search="papadop") == [in_course.pk]
    assert ids(is_active="true") == [in_course.pk]
    assert len(ids(is_active="false")) == 1


def test_students_ordering_by_student_id_descending(admin_user):
    StudentFactory(student_id="A100")
    StudentFactory(student_id="Z900")

    response = client_for(admin_user).get(URL, {"ordering": "-student_id"})

    assert [row["student_id"] for row in response.json()["results"]] == ["Z900", "A100"]


def test_students_invalid_filter_value_is_400_naming_the_parameter(admin_user):
    response = client_for(admin_user).get(URL, {"date_from": "31/31/2025"})

    assert response.status_code == 400
    assert "date_from" in response.json()


def test_students_create_through_service_normalises_phone(admin_user):
    response = client_for(admin_user).post(
        URL,
        {
            "student_id": "S-NEW",
            "first_name": "Eleni",
            "last_name": "Nikolaou",
            "email": "Eleni@Example.org",
            "phone": "+30 210 123 4567",
            "health_issue": "Diabetes",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    student = Student.objects.get(student_id="S-NEW")
    assert student.phone == "+302101234567"
    assert student.email == "eleni@example.org"
    assert student.health_issue == "Diabetes"
    assert response.json()["phone"] == "+302101234567"


def test_students_create_duplicate_student_id_is_400_and_writes_nothing(admin_user):
    StudentFactory(student_id="DUP1")

    response = client_for(admin_user).post(
        URL,
        {"student_id": "DUP1", "first_name": "A", "last_name": "B", "email": "other@x.org"},
        format="json",
    )

    assert response.status_code == 400
    assert "already exists" in str(response.json())
    assert Student.objects.filter(student_id="DUP1").count() == 1


def test_students_create_bad_values_are_400_with_field_messages(admin_user):
    response = client_for(admin_user).post(
        URL,
        {
            "student_id": "bad id!",
            "first_name": "",
            "last_name": "B",
            "email": "not-an-email",
            "study_year": 7,
            "enrollment_date": "2999-01-01",
        },
        format="json",
    )

    assert response.status_code == 400
    assert {"student_id", "first_name", "email", "study_year", "enrollment_date"} <= set(
        response.json()
    )
    assert Student.objects.count() == 0


def test_students_delete_is_soft_and_hides_the_student(admin_user):
    student = StudentFactory()
    client = client_for(admin_user)

    response = client.delete(f"{URL}{student.pk}/")

    assert response.status_code == 204
    assert client.get(f"{URL}{student.pk}/").status_code == 404
    assert Student.all_objects.get(pk=student.pk).deleted_at is not None


def test_students_teacher_sees_only_students_of_their_courses(school):
    response = client_for(school.own.teacher).get(URL)

    assert [row["id"] for row in response.json()["results"]] == [school.own.student.pk]


def test_students_malformed_is_active_is_400_not_ignored(admin_user):
    response = client_for(admin_user).get("/api/v1/students/", {"is_active": "maybe"})

    assert response.status_code == 400
    assert response.json() == {"is_active": ["Enter true or false."]}


def test_students_teacher_does_not_see_a_student_who_only_dropped_their_course(school):
    dropped = StudentFactory()
    enroll(dropped, school.own.course, status="dropped")
    client = client_for(school.own.teacher)

    def ids(**params):
        return [row["id"] for row in client.get(URL, params).json()["results"]]

    detail = client.get(f"{URL}{dropped.pk}/")

    assert ids() == [school.own.student.pk]
    assert ids(course=school.own.course.pk) == [school.own.student.pk]
    assert detail.status_code == 404


def test_students_course_filter_counts_only_counted_enrollments_for_admins(admin_user):
    course = CourseFactory()
    taking, dropped = StudentFactory(), StudentFactory()
    enroll(taking, course)
    enroll(dropped, course, status="dropped")

    response = client_for(admin_user).get(URL, {"course": course.pk})

    assert [row["id"] for row in response.json()["results"]] == [taking.pk]
