"""A file is planned and applied in batches: what one batch decides must hold for the rows
of every later batch (duplicates, emails taken, all-or-nothing), exactly as for a file
that fits in one batch. Batches of two rows make every file below span several."""

import pytest

from apps.academics.models import Enrollment, Grade, Student
from apps.bulkio.importing import plan as planning
from apps.bulkio.models import ImportChange, ImportJob
from tests.bulkio.conftest import snapshot, upload
from tests.factories import CourseFactory, EnrollmentFactory, StudentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

GRADE_HEADER = "student_id,course_code,assignment_name,category,grade,max_grade\n"
STUDENT_HEADER = "student_id,first_name,last_name,email\n"


@pytest.fixture(autouse=True)
def two_row_batches(monkeypatch):
    monkeypatch.setattr(planning, "PLAN_BATCH_ROWS", 2)


def _class_of(size: int):
    course = CourseFactory(evaluation_rules=[{"category": "Homework", "weight": 100}])
    students = StudentFactory.create_batch(size)
    for student in students:
        EnrollmentFactory(student=student, course=course)
    return course, students


def _grade_lines(course, students, assignment="A1") -> str:
    return "".join(
        f"{s.student_id},{course.course_code},{assignment},Homework,{50 + n},100\n"
        for n, s in enumerate(students)
    )


def _errors(body: dict) -> dict:
    return {(e["row"], e["field"]): e["message"] for e in body["errors"]}


def test_batched_plan_finds_a_duplicate_key_in_a_later_batch(admin_api):
    course, students = _class_of(5)
    lines = _grade_lines(course, students) + _grade_lines(course, students[:1])

    body = upload(admin_api, "grades", GRADE_HEADER + lines, mode="skip_invalid").json()

    assert body["totals"] == {"new": 5, "update": 0, "skip": 0, "error": 1}
    assert "Duplicate of row 2" in _errors(body)[(7, "assignment_name")]


def test_batched_plan_refuses_an_email_taken_by_a_student_of_an_earlier_batch(admin_api):
    lines = (
        "N1,Anna,Alpha,shared@example.org\n"
        "N2,Bill,Beta,bill@example.org\n"
        "N3,Cleo,Gamma,cleo@example.org\n"
        "N4,Dora,Delta,shared@example.org\n"
    )

    body = upload(admin_api, "students", STUDENT_HEADER + lines, mode="skip_invalid").json()
    applied = admin_api.post(f"/api/v1/imports/{body['id']}/confirm/").json()

    assert _errors(body)[(5, "email")] == "A student with this email already exists."
    assert applied["status"] == "applied"
    assert sorted(Student.objects.values_list("student_id", flat=True)) == ["N1", "N2", "N3"]


def test_batched_apply_writes_every_batch_and_its_rollback_restores_all(admin_api):
    course, students = _class_of(5)
    before = snapshot()

    body = upload(admin_api, "grades", GRADE_HEADER + _grade_lines(course, students)).json()
    applied = admin_api.post(f"/api/v1/imports/{body['id']}/confirm/").json()
    written = sorted(Grade.objects.values_list("grade", flat=True))
    changes = ImportChange.objects.filter(job_id=body["id"]).count()
    rolled_back = admin_api.post(f"/api/v1/imports/{body['id']}/rollback/")

    assert applied["status"] == "applied"
    assert [int(grade) for grade in written] == [50, 51, 52, 53, 54]
    assert changes == 5
    assert rolled_back.status_code == 200
    assert snapshot() == before


def test_all_or_nothing_apply_with_an_error_in_the_last_batch_writes_nothing(admin_api):
    course, students = _class_of(5)
    body = upload(admin_api, "grades", GRADE_HEADER + _grade_lines(course, students)).json()
    assert body["totals"]["error"] == 0
    # Between preview and apply the last row's student leaves the course.
    Enrollment.objects.filter(student=students[-1], course=course).delete()

    applied = admin_api.post(f"/api/v1/imports/{body['id']}/confirm/").json()
    job = ImportJob.objects.get(pk=body["id"])

    assert applied["status"] == "failed"
    assert applied["error_message"] == (
        "1 rows have errors against the current data; nothing was written."
    )
    assert Grade.objects.count() == 0
    assert not ImportChange.objects.filter(job=job).exists()
    assert job.totals == {"new": 4, "update": 0, "skip": 0, "error": 1}
    assert "not enrolled" in _errors(job.preview)[(6, "student_id")]


def test_batched_preview_shows_first_rows_then_error_rows_and_counts_the_rest(admin_api, settings):
    settings.SMS_BULKIO_PREVIEW_ROWS = 2
    course, students = _class_of(6)
    unknown = "".join(f"NOPE,X,B{n},Homework,50,100\n" for n in range(3))
    lines = _grade_lines(course, students) + unknown

    body = upload(admin_api, "grades", GRADE_HEADER + lines, mode="skip_invalid").json()
    job = ImportJob.objects.get(pk=body["id"])
    shown = [(row["row"], row["action"]) for row in job.preview["rows"]]

    assert shown == [(2, "new"), (3, "new"), (8, "error"), (9, "error"), (10, "error")]
    assert job.preview["rows_truncated"] is True
    assert job.preview["rows"][2]["data"]["student_id"] == "NOPE"
    assert len(job.preview["errors"]) == 6  # unknown student and unknown course, three times
