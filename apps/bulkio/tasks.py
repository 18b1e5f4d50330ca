"""Celery tasks: take ids, call a service, idempotent, bounded retries on a busy database."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from apps.bulkio import export_jobs, scheduling
from apps.bulkio.importing import jobs

MAX_RETRIES = 3


@shared_task(bind=True, name="bulkio.preview_import", max_retries=MAX_RETRIES)
def preview_import(self, job_id: int) -> None:
    try:
        jobs.run_preview(job_id)
    except OperationalError as error:
        if self.request.retries >= MAX_RETRIES:
            jobs.mark_failed(job_id, str(error))
            return
        raise self.retry(exc=error, countdown=2**self.request.retries) from error


@shared_task(bind=True, name="bulkio.apply_import", max_retries=MAX_RETRIES)
def apply_import(self, job_id: int, actor_id: int | None = None) -> None:
    try:
        jobs.run_apply(job_id, actor_id=actor_id, reraise_transient=True)
    except OperationalError as error:
        if self.request.retries >= MAX_RETRIES:
            jobs.mark_failed(job_id, str(error))
            return
        raise self.retry(exc=error, countdown=2**self.request.retries) from error


@shared_task(name="bulkio.run_export")
def run_export(job_id: int) -> None:
    export_jobs.run_export(job_id)


@shared_task(name="bulkio.run_scheduled_export")
def run_scheduled_export(scheduled_id: int) -> str:
    return scheduling.deliver(scheduled_id)


@shared_task(name="bulkio.clean_old_exports")
def clean_old_exports() -> int:
    return export_jobs.clean_old_exports()
