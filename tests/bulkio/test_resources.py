from decimal import Decimal

import pytest
import tablib

from apps.academics.models import Grade
from apps.bulkio.resources import GradeResource, StudentResource
from tests.factories import CourseFactory, EnrollmentFactory, GradeFactory, StudentFactory

pytestmark = pytest.mark.django_db


def test_resource_export_uses_import_columns_and_neutralises_formulas():
    student = StudentFactory(first_name="=1+1")

    dataset = StudentResource().export()

    assert dataset.headers[:4] == ["student_id", "first_name", "last_name", "email"]
    assert dataset.dict[0]["first_name"] == "'=1+1"
    assert dataset.dict[0]["student_id"] == student.student_id


def test_resource_import_reads_greek_headers_and_natural_keys():
    student, course = StudentFactory(), CourseFactory()
    EnrollmentFactory(student=student, course=course)
    headers = ["Α.Μ.", "Κωδικός μαθήματος", "Εργασία", "Κατηγορία", "Βαθμός"]
    dataset = tablib.Dataset(headers=headers)
    dataset.append([student.student_id, course.course_code, "Lab 1", "Final", "8,5"])

    result = GradeResource().import_data(dataset, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    assert Grade.objects.get().grade == Decimal("8.5")


def test_resource_import_validates_with_the_model_rules():
    student, course = StudentFactory(), CourseFactory()
    EnrollmentFactory(student=student, course=course)
    GradeFactory(student=student, course=course, assignment_name="Lab 1", grade=Decimal("5"))
    dataset = tablib.Dataset(headers=["student_id", "course_code", "assignment_name", "category",
                                      "grade"])  # fmt: skip
    dataset.append([student.student_id, course.course_code, "Lab 1", "Lab", "500"])

    result = GradeResource().import_data(dataset, dry_run=False)

    assert result.has_validation_errors()
    assert Grade.objects.get().grade == Decimal("5")


def test_admin_changelists_offer_import_and_export(client, admin_user):
    client.force_login(admin_user)
    GradeFactory()

    changelist = client.get("/admin/academics/grade/").content.decode()
    export_form = client.get("/admin/academics/grade/export/")

    assert "/admin/academics/grade/import/" in changelist
    assert "export_admin_action" in changelist
    assert export_form.status_code == 200
