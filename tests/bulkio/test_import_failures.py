"""Imports that meet a second click, a task delivered twice, a busy database or a stored
file that is gone: each is refused or failed with its reason, and nothing is half written."""

import pytest
from django.db import OperationalError

from apps.academics.models import Student
from apps.bulkio import leases, tasks
from apps.bulkio.importing import jobs
from apps.bulkio.models import ImportChange, ImportJob
from apps.notifications.models import Notification
from tests.bulkio.conftest import upload

pytestmark = pytest.mark.django_db

STUDENTS = "student_id,first_name,last_name,email\n" + "".join(
    f"F{n:03},Name{n},Last{n},f{n}@example.org\n" for n in range(1, 11)
)


def previewed(admin_api) -> ImportJob:
    response = upload(admin_api, "students", STUDENTS)
    assert response.json()["status"] == "previewed"
    return ImportJob.objects.get(pk=response.json()["id"])


def imported_students() -> int:
    return Student.objects.filter(student_id__startswith="F").count()


def test_confirm_clicked_again_while_the_first_apply_runs_is_refused(admin_api, admin_user):
    job = previewed(admin_api)
    ImportJob.objects.filter(pk=job.pk).update(status="applying")  # the first click, running

    with pytest.raises(jobs.ImportRefused, match="This import is already being applied."):
        jobs.confirm_import(job, actor=admin_user)

    assert imported_students() == 0


def test_rollback_clicked_again_after_it_finished_is_refused(admin_api, admin_user):
    job = previewed(admin_api)
    admin_api.post(f"/api/v1/imports/{job.pk}/confirm/")
    stale = ImportJob.objects.get(pk=job.pk)  # the page both clicks came from
    jobs.rollback_import(ImportJob.objects.get(pk=job.pk), actor=admin_user)

    with pytest.raises(jobs.ImportRefused, match="This import was already rolled back."):
        jobs.rollback_import(stale, actor=admin_user)

    assert ImportJob.objects.get(pk=job.pk).status == "rolled_back"
    assert imported_students() == 0


def test_preview_and_apply_delivered_again_leave_an_applied_import_as_it_is(admin_api):
    job = previewed(admin_api)
    admin_api.post(f"/api/v1/imports/{job.pk}/confirm/")

    jobs.run_preview(job.pk, token="late-delivery")
    jobs.run_apply(job.pk, actor_id=None, token="late-delivery")

    job.refresh_from_db()
    assert (job.status, job.attempts) == ("applied", 1)
    assert imported_students() == 10
    assert ImportChange.objects.filter(job=job).count() == 10


def test_apply_whose_stored_file_is_gone_fails_with_the_reason_and_writes_nothing(
    admin_api, admin_user, django_capture_on_commit_callbacks
):
    job = previewed(admin_api)
    job.file.storage.delete(job.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(f"/api/v1/imports/{job.pk}/confirm/")

    body = response.json()
    assert body["status"] == "failed"
    assert body["error_message"].startswith("The import failed; nothing was written (")
    assert imported_students() == 0
    assert Notification.objects.filter(recipient=admin_user, kind="import_failed").exists()


def test_apply_on_a_busy_database_asks_to_try_again_and_a_retry_applies(admin_api, monkeypatch):
    job = previewed(admin_api)

    def busy(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(jobs, "build_plan", busy)
    failed = admin_api.post(f"/api/v1/imports/{job.pk}/confirm/").json()
    monkeypatch.undo()
    retry = admin_api.post(f"/api/v1/imports/{job.pk}/confirm/").json()

    assert failed["status"] == "failed"
    assert failed["error_message"] == "The database was busy; nothing was written. Try again."
    assert retry["status"] == "applied"
    assert imported_students() == 10


def test_background_preview_retries_a_busy_database_then_previews(admin_api, monkeypatch):
    job = previewed(admin_api)
    ImportJob.objects.filter(pk=job.pk).update(status="queued", totals={})
    real = jobs.run_preview
    calls = []

    def flaky(job_id, **kwargs):
        calls.append(job_id)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real(job_id, **kwargs)

    monkeypatch.setattr(jobs, "run_preview", flaky)

    tasks.preview_import.apply(args=[job.pk], throw=False)

    job.refresh_from_db()
    assert len(calls) == 2
    assert (job.status, job.totals["new"]) == ("previewed", 10)


def test_background_preview_gives_up_after_bounded_retries_with_the_reason(admin_api, monkeypatch):
    job = previewed(admin_api)
    ImportJob.objects.filter(pk=job.pk).update(status="previewing")

    def always_busy(job_id, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(jobs, "run_preview", always_busy)

    tasks.preview_import.apply(args=[job.pk], retries=tasks.MAX_RETRIES, throw=False)

    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error_message == "database is locked"


def test_hard_time_limit_of_a_run_that_another_run_took_over_leaves_the_job_alone(admin_api):
    job = previewed(admin_api)
    ImportJob.objects.filter(pk=job.pk).update(status="applying", attempts=2)
    assert leases.claim("import", job.pk, "the-retry")

    jobs.fail_killed(job.pk, token="the-killed-run")

    job.refresh_from_db()
    assert job.status == "applying"
    assert leases.holder("import", job.pk) == "the-retry"
