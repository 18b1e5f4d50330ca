"""Import jobs survive a worker that dies: leases, recovery on worker start, time limits.

Celery runs eagerly here, so a job queued again runs at once; the real worker killed with
SIGKILL is in tests/integration/test_job_recovery.py.
"""

import time

import pytest
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded

from apps.academics.models import Student
from apps.bulkio import leases, tasks
from apps.bulkio.importing import jobs
from apps.bulkio.importing.apply import PlanWriter
from apps.bulkio.models import ImportChange, ImportJob
from apps.notifications.models import Notification
from sms.celery import recover_interrupted_jobs
from tests.bulkio.conftest import upload

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

STUDENTS = "student_id,first_name,last_name,email\n" + "".join(
    f"R{n:03},Name{n},Last{n},r{n}@example.org\n" for n in range(1, 31)
)


def _previewed(admin_api) -> ImportJob:
    response = upload(admin_api, "students", STUDENTS)
    assert response.json()["status"] == "previewed"
    return ImportJob.objects.get(pk=response.json()["id"])


def _left_running(job: ImportJob, status: str, attempts: int) -> None:
    """What a worker killed in the middle of the step leaves: the status, no lease."""
    ImportJob.objects.filter(pk=job.pk).update(status=status, attempts=attempts, progress=40)


def test_recover_fails_an_apply_whose_worker_died_and_a_retry_applies_every_row(
    admin_api, django_capture_on_commit_callbacks
):
    job = _previewed(admin_api)
    _left_running(job, "applying", attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = jobs.recover_interrupted()
    failed = admin_api.get(f"/api/v1/imports/{job.pk}/").json()
    retry = admin_api.post(f"/api/v1/imports/{job.pk}/confirm/")

    assert outcome == {"requeued": [], "failed": [job.pk]}
    assert failed["status"] == "failed"
    assert failed["error_message"] == (
        "The worker stopped while applying; nothing was written. Apply again."
    )
    assert Notification.objects.filter(kind="import_failed").count() == 1
    assert retry.status_code == 200
    assert retry.json()["status"] == "applied"
    assert retry.json()["error_message"] == ""
    assert Student.objects.filter(student_id__startswith="R").count() == 30
    assert ImportChange.objects.filter(job=job).count() == 30


def test_recover_requeues_an_apply_that_never_started(admin_api):
    job = _previewed(admin_api)
    _left_running(job, "applying", attempts=0)

    outcome = jobs.recover_interrupted()

    assert outcome == {"requeued": [job.pk], "failed": []}
    job.refresh_from_db()
    assert job.status == "applied"
    assert Student.objects.filter(student_id__startswith="R").count() == 30


def test_recover_does_not_requeue_an_apply_whose_message_is_still_waiting(admin_api):
    job = _previewed(admin_api)
    _left_running(job, "applying", attempts=0)
    leases.mark_sent("import", job.pk, "apply")  # what confirm leaves after queuing the apply

    outcome = jobs.recover_interrupted()

    job.refresh_from_db()
    assert outcome == {"requeued": [], "failed": []}
    assert job.status == "applying"


def test_recover_requeues_a_preview_then_gives_up_after_three_runs(admin_api):
    again, given_up = _previewed(admin_api), _previewed(admin_api)
    _left_running(again, "previewing", attempts=1)
    _left_running(given_up, "previewing", attempts=jobs.MAX_ATTEMPTS)

    outcome = jobs.recover_interrupted()

    assert outcome == {"requeued": [again.pk], "failed": [given_up.pk]}
    again.refresh_from_db()
    given_up.refresh_from_db()
    assert (again.status, again.totals["new"]) == ("previewed", 30)
    assert given_up.status == "failed"
    assert "stopped 3 times while previewing" in given_up.error_message


def test_recover_leaves_alone_a_job_whose_lease_is_alive(admin_api):
    job = _previewed(admin_api)
    _left_running(job, "applying", attempts=1)
    assert leases.claim("import", job.pk, "live-worker-task")

    outcome = jobs.recover_interrupted()

    job.refresh_from_db()
    assert outcome == {"requeued": [], "failed": []}
    assert job.status == "applying"


def test_run_apply_does_nothing_while_another_run_holds_the_job(admin_api):
    job = _previewed(admin_api)
    _left_running(job, "applying", attempts=0)
    assert leases.claim("import", job.pk, "other-run")

    jobs.run_apply(job.pk, actor_id=None, token="second-delivery")

    job.refresh_from_db()
    assert (job.status, job.attempts) == ("applying", 0)
    assert not Student.objects.filter(student_id__startswith="R").exists()


def test_confirm_refuses_a_failed_import_that_was_never_previewed(admin_api):
    job = _previewed(admin_api)
    ImportJob.objects.filter(pk=job.pk).update(status="failed", previewed_at=None)

    confirm = admin_api.post(f"/api/v1/imports/{job.pk}/confirm/")

    assert confirm.status_code == 400
    assert "only a previewed import can be applied" in confirm.json()["detail"]
    assert not Student.objects.filter(student_id__startswith="R").exists()


def test_soft_time_limit_during_apply_writes_nothing_and_fails_with_the_reason(
    admin_api, monkeypatch
):
    job = _previewed(admin_api)
    real_write = PlanWriter.write

    def write_then_run_out_of_time(self, plan, rows):
        real_write(self, plan, rows)  # the batch is written, inside the transaction
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(PlanWriter, "write", write_then_run_out_of_time)
    stopped = admin_api.post(f"/api/v1/imports/{job.pk}/confirm/").json()
    written_when_stopped = Student.objects.filter(student_id__startswith="R").count()
    monkeypatch.undo()
    retry = admin_api.post(f"/api/v1/imports/{job.pk}/confirm/").json()

    assert written_when_stopped == 0
    assert stopped["status"] == "failed"
    assert stopped["error_message"].startswith("The import took longer than its time limit (")
    assert stopped["error_message"].endswith("nothing was written.")
    assert retry["status"] == "applied"
    assert Student.objects.filter(student_id__startswith="R").count() == 30


def test_soft_time_limit_during_preview_fails_with_the_reason(admin_api, monkeypatch):
    def out_of_time(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(jobs, "build_plan", out_of_time)
    response = upload(admin_api, "students", STUDENTS)

    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.status == "failed"
    assert job.error_message.startswith("The preview took longer than its time limit (")


def test_hard_time_limit_fails_the_killed_apply_with_the_reason(admin_api):
    job = _previewed(admin_api)
    _left_running(job, "applying", attempts=1)
    assert leases.claim("import", job.pk, "killed-task-id")

    # What the worker's main process runs when the pool kills the step at its hard limit.
    tasks.apply_import.on_failure(
        TimeLimitExceeded(660), "killed-task-id", (job.pk, None), {}, None
    )

    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error_message.startswith("The import took longer than its time limit (")
    assert not leases.is_held("import", job.pk)


def test_worker_start_runs_recovery(admin_api):
    job = _previewed(admin_api)
    _left_running(job, "applying", attempts=1)

    recover_interrupted_jobs(sender=None)

    job.refresh_from_db()
    assert job.status == "failed"


def test_lease_heartbeat_keeps_the_lease_alive_past_its_lifetime(settings):
    settings.SMS_JOB_LEASE_SECONDS = 1

    with leases.hold("import", 999_001, "runner") as held:
        time.sleep(1.6)
        alive_while_running = leases.holder("import", 999_001)

    assert held is True
    assert alive_while_running == "runner"
    assert not leases.is_held("import", 999_001)
