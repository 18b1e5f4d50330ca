"""Rolling back an import whose records others have built on since (a student enrolled in
a course after the import created them) is refused with the reason, unless forced; rolling
back a course import puts the courses' evaluation rules back as they were."""

import pytest

from apps.academics.models import Course, Student
from tests.bulkio.conftest import upload
from tests.factories import CourseFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db


def applied(admin_api, resource: str, content: str) -> int:
    job_id = upload(admin_api, resource, content).json()["id"]
    assert admin_api.post(f"/api/v1/imports/{job_id}/confirm/").json()["status"] == "applied"
    return job_id


def test_rollback_of_students_enrolled_since_is_refused_as_having_new_records(admin_api):
    job_id = applied(
        admin_api, "students", "student_id,first_name,last_name,email\nN1,Nikos,Nu,n1@example.org\n"
    )
    EnrollmentFactory(student=Student.objects.get(student_id="N1"), course=CourseFactory())

    response = admin_api.post(f"/api/v1/imports/{job_id}/rollback/")

    assert response.status_code == 409
    assert response.json()["detail"].startswith("1 row was changed after the import.")
    assert [(c["row"], c["reason"]) for c in response.json()["conflicts"]] == [
        (2, "has_new_records")
    ]
    assert Student.objects.filter(student_id="N1").exists()


def test_rollback_of_a_course_import_puts_the_evaluation_rules_back(admin_api):
    CourseFactory(
        course_code="R1",
        course_name="Robotics",
        semester="A",
        evaluation_rules=[{"category": "Final", "weight": 100}],
    )
    before = Course.objects.get(course_code="R1").evaluation_rules
    job_id = applied(
        admin_api,
        "courses",
        'course_code,course_name,semester,evaluation_rules\nR1,Robotics,A,"Lab: 30%; Final: 70%"\n',
    )
    changed = Course.objects.get(course_code="R1").evaluation_rules

    response = admin_api.post(f"/api/v1/imports/{job_id}/rollback/")

    assert response.status_code == 200, response.content
    assert [rule["category"] for rule in changed] == ["Lab", "Final"]
    assert Course.objects.get(course_code="R1").evaluation_rules == before
