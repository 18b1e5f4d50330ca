"""Imports and rollbacks bypass model signals; the stored analytics must still follow
(academics' batch services announce what they wrote through the change hook)."""

from decimal import Decimal

import pytest

from apps.analytics.models import EnrollmentResult
from apps.analytics.results import rebuild_results
from tests.bulkio.conftest import upload
from tests.factories import CourseFactory, EnrollmentFactory, GradeFactory, StudentFactory

pytestmark = pytest.mark.django_db

HEADER = "student_id,course_code,assignment_name,category,grade,max_grade\n"
RULES = [{"category": "Homework", "weight": 100}]


def _result(student, course) -> Decimal | None:
    return EnrollmentResult.objects.get(student=student, course=course).final_grade


def test_grade_import_and_rollback_refresh_only_the_touched_results(
    admin_api, django_capture_on_commit_callbacks
):
    # The set-up commits on its own, as it would outside a test: its writes are not the
    # import's.
    with django_capture_on_commit_callbacks(execute=True):
        imported_student, untouched_student = StudentFactory(), StudentFactory()
        course, other_course = (
            CourseFactory(evaluation_rules=RULES),
            CourseFactory(evaluation_rules=RULES),
        )
        EnrollmentFactory(student=imported_student, course=course)
        EnrollmentFactory(student=untouched_student, course=other_course)
        GradeFactory(student=imported_student, course=course, assignment_name="HW1", grade=40)
        GradeFactory(
            student=untouched_student, course=other_course, assignment_name="HW1", grade=70
        )
    rebuild_results()
    untouched_stamp = EnrollmentResult.objects.get(student=untouched_student).computed_at
    content = HEADER + f"{imported_student.student_id},{course.course_code},HW1,Homework,90,100\n"
    job_id = upload(admin_api, "grades", content).json()["id"]

    with django_capture_on_commit_callbacks(execute=True):
        admin_api.post(f"/api/v1/imports/{job_id}/confirm/")

    assert _result(imported_student, course) == Decimal("90.00")
    assert EnrollmentResult.objects.get(student=untouched_student).computed_at == untouched_stamp
    with django_capture_on_commit_callbacks(execute=True):
        admin_api.post(f"/api/v1/imports/{job_id}/rollback/", {}, format="json")
    assert _result(imported_student, course) == Decimal("40.00")
