"""The courses endpoint: teachers as ids, evaluation rules validated by the service."""

from __future__ import annotations

from apps.academics.models import Course
from tests.api.conftest import client_for
from tests.factories import CourseFactory, StudentFactory, TeacherFactory, enroll

URL = "/api/v1/courses/"


def test_courses_create_with_teachers_and_rules(admin_user):
    teacher = TeacherFactory()

    response = client_for(admin_user).post(
        URL,
        {
            "course_code": "math-101",
            "course_name": "Mathematics",
            "semester": "A",
            "teachers": [teacher.pk],
            "evaluation_rules": [
                {"category": "Midterm", "weight": 40},
                {"category": "Final", "weight": 60},
            ],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    course = Course.objects.get(course_code="MATH-101")
    assert list(course.teachers.all()) == [teacher]
    assert response.json()["teachers"] == [teacher.pk]
    assert response.json()["course_code"] == "MATH-101"


def test_courses_rule_weights_not_summing_to_100_is_400(admin_user):
    response = client_for(admin_user).post(
        URL,
        {
            "course_code": "BAD1",
            "course_name": "Bad",
            "semester": "A",
            "evaluation_rules": [{"category": "Final", "weight": 70}],
        },
        format="json",
    )

    assert response.status_code == 400
    assert "evaluation_rules" in response.json()
    assert not Course.objects.filter(course_code="BAD1").exists()


def test_courses_teacher_list_rejects_non_teacher_users(admin_user, student_user):
    response = client_for(admin_user).post(
        URL,
        {"course_code": "T1", "course_name": "T", "semester": "A", "teachers": [student_user.pk]},
        format="json",
    )

    assert response.status_code == 400
    assert "teachers" in response.json()


def test_courses_credits_of_wrong_type_is_400(admin_user):
    response = client_for(admin_user).post(
        URL,
        {"course_code": "T2", "course_name": "T", "semester": "A", "credits": "many"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["credits"] == ["A valid integer is required."]


def test_courses_student_sees_only_enrolled_courses(student_user):
    mine = CourseFactory()
    CourseFactory()
    enroll(StudentFactory(user=student_user), mine)

    response = client_for(student_user).get(URL)

    assert [row["course_code"] for row in response.json()["results"]] == [mine.course_code]


def test_courses_filters_by_student_and_search(admin_user):
    algebra = CourseFactory(course_name="Algebra", semester="B")
    CourseFactory(course_name="History")
    student = StudentFactory()
    enroll(student, algebra)
    client = client_for(admin_user)

    by_student = client.get(URL, {"student": student.pk}).json()["results"]
    by_search = client.get(URL, {"search": "alge"}).json()["results"]
    by_semester = client.get(URL, {"semester": "b"}).json()["results"]

    assert [row["id"] for row in by_student] == [algebra.pk]
    assert [row["id"] for row in by_search] == [algebra.pk]
    assert [row["id"] for row in by_semester] == [algebra.pk]


def test_courses_teacher_cannot_change_their_course(school):
    response = client_for(school.own.teacher).patch(
        f"{URL}{school.own.course.pk}/", {"course_name": "Mine now"}, format="json"
    )

    assert response.status_code == 403
    assert "administrators" in response.json()["detail"]
