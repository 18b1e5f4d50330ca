"""Celery tasks: take ids, call a service, idempotent, bounded retries on a busy database.

Every task is time-limited (``CELERY_TASK_SOFT_TIME_LIMIT`` / ``CELERY_TASK_TIME_LIMIT``);
the import and export steps get the long limits. A step passes its task id as the token of
the job's lease, so a retry of the same task takes over its own lease.
"""

from __future__ import annotations

from celery import Task, shared_task
from celery.exceptions import TimeLimitExceeded
from django.conf import settings
from django.db import OperationalError

from apps.bulkio import export_jobs, scheduling
from apps.bulkio.importing import jobs

MAX_RETRIES = 3
LONG = {
    "soft_time_limit": settings.SMS_LONG_TASK_SOFT_TIME_LIMIT,
    "time_limit": settings.SMS_LONG_TASK_TIME_LIMIT,
}
# Seconds between the pool killing a step at its hard limit and failing its job: the
# killed process may still hold the database (SQLite's write lock) for a moment.
KILLED_GRACE = 2


class JobTask(Task):
    """An import or export step. The soft limit fails the job from inside the step; when
    the pool kills the step at the hard limit, ``on_failure`` runs in the worker's main
    process and has the job failed at once instead of at the next worker start."""

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        if isinstance(exc, TimeLimitExceeded) and args:
            fail_killed.apply_async((self.name, args[0], task_id), countdown=KILLED_GRACE)


@shared_task(bind=True, base=JobTask, name="bulkio.preview_import", max_retries=MAX_RETRIES, **LONG)
def preview_import(self, job_id: int) -> None:
    try:
        jobs.run_preview(job_id, token=self.request.id)
    except OperationalError as error:
        if self.request.retries >= MAX_RETRIES:
            jobs.mark_failed(job_id, str(error))
            return
        raise self.retry(exc=error, countdown=2**self.request.retries) from error


@shared_task(bind=True, base=JobTask, name="bulkio.apply_import", max_retries=MAX_RETRIES, **LONG)
def apply_import(self, job_id: int, actor_id: int | None = None) -> None:
    try:
        jobs.run_apply(job_id, actor_id=actor_id, reraise_transient=True, token=self.request.id)
    except OperationalError as error:
        if self.request.retries >= MAX_RETRIES:
            jobs.mark_failed(job_id, str(error))
            return
        raise self.retry(exc=error, countdown=2**self.request.retries) from error


@shared_task(bind=True, base=JobTask, name="bulkio.run_export", **LONG)
def run_export(self, job_id: int) -> None:
    export_jobs.run_export(job_id, token=self.request.id)


@shared_task(name="bulkio.fail_killed")
def fail_killed(task_name: str, job_id: int, token: str) -> None:
    """The job of a step killed at its hard time limit (``JobTask.on_failure``)."""
    if task_name == run_export.name:
        export_jobs.fail_killed(job_id, token=token)
    else:
        jobs.fail_killed(job_id, token=token)


@shared_task(name="bulkio.recover_jobs")
def recover_jobs() -> dict:
    """Jobs whose worker died (queued again, or failed with the reason); sent when a
    worker starts (``sms.celery``), once every lease of a worker gone before it lapsed."""
    return {"imports": jobs.recover_interrupted(), "exports": export_jobs.recover_interrupted()}


@shared_task(name="bulkio.run_scheduled_export", **LONG)
def run_scheduled_export(scheduled_id: int) -> str:
    return scheduling.deliver(scheduled_id)


@shared_task(name="bulkio.clean_old_exports")
def clean_old_exports() -> int:
    return export_jobs.clean_old_exports()
