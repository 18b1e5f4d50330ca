"""A rollback re-checks scope when it runs, not only who owns the import.

A teacher imports grades in two courses they teach, then stops teaching one of them:
rolling the import back would remove marks in a course that is no longer theirs, so the
whole rollback is refused (403, how many rows are out of scope) and nothing is written.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.bulkio.models import ImportJob
from tests.bulkio.conftest import snapshot, upload
from tests.factories import AdminFactory, CourseFactory, GradeFactory, StudentFactory, enroll

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

GRADE_HEADER = "student_id,course_code,assignment_name,category,grade,max_grade\n"
RULES = [{"category": "Homework", "weight": 100}]


@pytest.fixture
def taught(teacher_user):
    """Two courses of the teacher, one student in both, one earlier grade in the first."""
    student = StudentFactory()
    kept = CourseFactory(teachers=[teacher_user], evaluation_rules=RULES)
    lost = CourseFactory(teachers=[teacher_user], evaluation_rules=RULES)
    for course in (kept, lost):
        enroll(student, course)
    GradeFactory(student=student, course=kept, assignment_name="Old", category="Homework")
    return student, kept, lost


def _applied_import(teacher_api, student, kept, lost) -> int:
    s = student.student_id
    lines = (
        f"{s},{kept.course_code},Old,Homework,65,100\n"
        f"{s},{kept.course_code},New,Homework,90,100\n"
        f"{s},{lost.course_code},Lab 1,Homework,70,100\n"
        f"{s},{lost.course_code},Lab 2,Homework,75,100\n"
    )
    preview = upload(teacher_api, "grades", GRADE_HEADER + lines)
    assert preview.status_code == 201, preview.content
    job_id = preview.json()["id"]
    confirmed = teacher_api.post(f"/api/v1/imports/{job_id}/confirm/")
    assert confirmed.status_code == 200, confirmed.content
    return job_id


def test_rollback_of_rows_in_a_course_no_longer_taught_is_403_and_writes_nothing(
    teacher_api, teacher_user, taught
):
    student, kept, lost = taught
    job_id = _applied_import(teacher_api, student, kept, lost)
    lost.teachers.remove(teacher_user)
    before = snapshot()

    response = teacher_api.post(f"/api/v1/imports/{job_id}/rollback/", {}, format="json")

    assert response.status_code == 403
    assert response.json()["detail"].startswith("2 rows of this import are in courses")
    assert response.json()["rows"] == [4, 5]
    assert snapshot() == before
    assert ImportJob.objects.get(pk=job_id).status == "applied"


def test_rollback_with_force_is_still_refused_out_of_scope(teacher_api, teacher_user, taught):
    student, kept, lost = taught
    job_id = _applied_import(teacher_api, student, kept, lost)
    lost.teachers.remove(teacher_user)
    before = snapshot()

    response = teacher_api.post(
        f"/api/v1/imports/{job_id}/rollback/", {"force": True}, format="json"
    )

    assert response.status_code == 403
    assert snapshot() == before


def test_rollback_by_a_teacher_still_teaching_every_course_restores_the_grades(teacher_api, taught):
    student, kept, lost = taught
    before = snapshot()
    job_id = _applied_import(teacher_api, student, kept, lost)

    response = teacher_api.post(f"/api/v1/imports/{job_id}/rollback/", {}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["restored"] == {"removed": 3, "restored": 1, "recreated": 0}
    assert snapshot() == before


def test_an_admin_can_roll_back_a_teachers_import_after_the_course_moved(
    teacher_api, teacher_user, taught
):
    student, kept, lost = taught
    before = snapshot()
    job_id = _applied_import(teacher_api, student, kept, lost)
    lost.teachers.remove(teacher_user)
    admin_api = APIClient()
    admin_api.force_authenticate(AdminFactory())

    response = admin_api.post(f"/api/v1/imports/{job_id}/rollback/", {}, format="json")

    assert response.status_code == 200, response.content
    assert snapshot() == before


def test_rollback_page_out_of_scope_answers_403_with_the_reason(
    teacher_api, teacher_user, taught, client
):
    student, kept, lost = taught
    job_id = _applied_import(teacher_api, student, kept, lost)
    lost.teachers.remove(teacher_user)
    client.force_login(teacher_user)
    before = snapshot()

    response = client.post(f"/bulk/imports/{job_id}/rollback/", {"confirmed": "1"})

    assert response.status_code == 403
    assert "2 rows of this import are in courses you do not teach now" in response.content.decode()
    assert snapshot() == before
