from decimal import Decimal

import pytest

from apps.academics.models import Grade, Student
from apps.bulkio.importing import jobs
from apps.bulkio.models import ImportJob
from apps.notifications.models import Notification
from tests.bulkio.conftest import snapshot, upload
from tests.factories import CourseFactory, EnrollmentFactory, GradeFactory, StudentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

GRADE_HEADER = "student_id,course_code,assignment_name,category,grade,max_grade\n"
# A grade's category must match a rule of its course.
RULES = [{"category": "Homework", "weight": 100}]


def _applied_grade_import(admin_api):
    student, course = StudentFactory(), CourseFactory(evaluation_rules=RULES)
    EnrollmentFactory(student=student, course=course)
    GradeFactory(student=student, course=course, assignment_name="Old", grade=Decimal("40"))
    before = snapshot()
    lines = (
        f"{student.student_id},{course.course_code},Old,Homework,65.5,100\n"
        f"{student.student_id},{course.course_code},New,Homework,90,100\n"
    )
    job_id = upload(admin_api, "grades", GRADE_HEADER + lines).json()["id"]
    admin_api.post(f"/api/v1/imports/{job_id}/confirm/")
    return job_id, before


def test_rollback_restores_every_table_exactly(admin_api):
    job_id, before = _applied_grade_import(admin_api)
    assert snapshot() != before

    response = admin_api.post(f"/api/v1/imports/{job_id}/rollback/", {}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "rolled_back"
    assert response.json()["restored"] == {"removed": 1, "restored": 1, "recreated": 0}
    assert snapshot() == before


def test_rollback_of_student_import_removes_created_and_restores_updated(admin_api):
    StudentFactory(student_id="K1", first_name="Kostas", email="k1@example.org")
    before = snapshot()
    content = (
        "student_id,first_name,last_name,email\n"
        "K1,Konstantinos,Last,k1@example.org\nK2,Eleni,Last,k2@example.org\n"
    )
    job_id = upload(admin_api, "students", content).json()["id"]
    admin_api.post(f"/api/v1/imports/{job_id}/confirm/")
    assert Student.objects.get(student_id="K1").first_name == "Konstantinos"

    admin_api.post(f"/api/v1/imports/{job_id}/rollback/", {}, format="json")

    assert snapshot() == before


def test_rollback_refuses_with_409_when_a_row_was_edited_after_the_import(admin_api):
    job_id, _before = _applied_grade_import(admin_api)
    Grade.objects.filter(assignment_name="New").update(grade=Decimal("12"))

    response = admin_api.post(f"/api/v1/imports/{job_id}/rollback/", {}, format="json")

    assert response.status_code == 409
    conflict = response.json()["conflicts"][0]
    assert (conflict["row"], conflict["model"], conflict["reason"]) == (
        3,
        "academics.Grade",
        "changed",
    )
    assert conflict["fields"]["grade"] == {"imported": "90", "current": "12.00"}
    assert ImportJob.objects.get(pk=job_id).status == "applied"
    assert Grade.objects.filter(assignment_name="New").exists()


def test_rollback_reports_rows_deleted_since_and_force_restores_the_rest(admin_api):
    job_id, before = _applied_grade_import(admin_api)
    Grade.objects.filter(assignment_name="New").delete()

    refused = admin_api.post(f"/api/v1/imports/{job_id}/rollback/", {}, format="json")
    forced = admin_api.post(f"/api/v1/imports/{job_id}/rollback/", {"force": True}, format="json")

    assert refused.json()["conflicts"][0]["reason"] == "deleted"
    assert forced.status_code == 200
    assert snapshot() == before


def test_rollback_twice_is_refused(admin_api):
    job_id, _before = _applied_grade_import(admin_api)
    admin_api.post(f"/api/v1/imports/{job_id}/rollback/", {}, format="json")

    again = admin_api.post(f"/api/v1/imports/{job_id}/rollback/", {}, format="json")

    assert again.status_code == 400
    assert "Only an applied import" in again.json()["detail"]


def test_rollback_history_records_the_actor(admin_api, admin_user):
    job_id, _before = _applied_grade_import(admin_api)

    admin_api.post(f"/api/v1/imports/{job_id}/rollback/", {}, format="json")

    old = Grade.objects.get(assignment_name="Old")
    latest = old.history.order_by("-history_id").first()
    assert (latest.history_user, latest.grade) == (admin_user, Decimal("40"))
    removed = Grade.history.filter(assignment_name="New", history_type="-").get()
    assert removed.history_user == admin_user


# --- Background ---------------------------------------------------------------------------
def test_background_import_reports_progress_and_finishes(
    admin_api, admin_user, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BULKIO_BACKGROUND_ROWS = 2
    student, course = StudentFactory(), CourseFactory(evaluation_rules=RULES)
    EnrollmentFactory(student=student, course=course)
    lines = "".join(
        f"{student.student_id},{course.course_code},A{n},Homework,{n},100\n" for n in range(5)
    )

    with django_capture_on_commit_callbacks(execute=False) as queued:
        created = upload(admin_api, "grades", GRADE_HEADER + lines)
    queued_status = admin_api.get(f"/api/v1/imports/{created.json()['id']}/").json()
    for callback in queued:
        callback()  # the worker picks the task up (Celery runs eagerly in tests)
    previewed = admin_api.get(f"/api/v1/imports/{created.json()['id']}/").json()
    with django_capture_on_commit_callbacks(execute=True):
        confirm = admin_api.post(f"/api/v1/imports/{created.json()['id']}/confirm/")
    applied = admin_api.get(f"/api/v1/imports/{created.json()['id']}/").json()

    assert created.status_code == 202
    assert (queued_status["status"], queued_status["progress"]) == ("queued", 0)
    assert (previewed["status"], previewed["progress"]) == ("previewed", 100)
    assert previewed["totals"]["new"] == 5
    assert confirm.status_code == 202
    assert (applied["status"], applied["progress"]) == ("applied", 100)
    assert Grade.objects.count() == 5
    assert Notification.objects.filter(recipient=admin_user, kind="import_finished").exists()


def test_background_apply_retries_a_busy_database_then_succeeds(admin_api, admin_user, monkeypatch):
    from django.db import OperationalError

    from apps.bulkio import tasks

    student, course = StudentFactory(), CourseFactory(evaluation_rules=RULES)
    EnrollmentFactory(student=student, course=course)
    job_id = upload(
        admin_api,
        "grades",
        GRADE_HEADER + f"{student.student_id},{course.course_code},A,Homework,5,10\n",
    ).json()["id"]
    ImportJob.objects.filter(pk=job_id).update(status="applying")
    real = jobs.run_apply
    calls = []

    def flaky(job_id, **kwargs):
        calls.append(job_id)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real(job_id, **kwargs)

    monkeypatch.setattr(jobs, "run_apply", flaky)

    tasks.apply_import.apply(args=[job_id, admin_user.pk], throw=False)

    assert len(calls) == 2
    assert ImportJob.objects.get(pk=job_id).status == "applied"


def test_background_apply_gives_up_after_bounded_retries(admin_api, admin_user, monkeypatch):
    from django.db import OperationalError

    from apps.bulkio import tasks

    job_id = upload(admin_api, "courses", "course_code,course_name,semester\nZ1,Z,A\n").json()["id"]
    ImportJob.objects.filter(pk=job_id).update(status="applying")

    def always_busy(job_id, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(jobs, "run_apply", always_busy)

    # The last allowed attempt (Celery counts retries in the request).
    tasks.apply_import.apply(args=[job_id, admin_user.pk], retries=tasks.MAX_RETRIES, throw=False)

    job = ImportJob.objects.get(pk=job_id)
    assert job.status == "failed"
    assert "locked" in job.error_message
