"""Export jobs: queued, written by a worker to a file, announced with ``export_ready``.

The file is written beside the exports (``exports/.partial/``) and moved under its final
name only when whole, so a full disk or a killed worker never leaves a file that could be
served; the job then fails with the reason. A run holds the job's lease (``leases``), and
``recover_interrupted`` finds the jobs of a worker that died.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.academics import scoping
from apps.accounts.models import User
from apps.bulkio import exporting, leases
from apps.bulkio.models import ExportJob, ExportStatus
from sms.observability import metrics

logger = logging.getLogger(__name__)

# Background jobs may produce larger PDFs than a request would wait for.
BACKGROUND_PDF_FACTOR = 4
LEASE = "export"
RUN = "run"
PARTIAL_DIR = "exports/.partial"
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def jobs_for(user: User):
    jobs = ExportJob.objects.select_related("user")
    if scoping.is_admin(user):
        return jobs
    return jobs.filter(user=user)


def start_export(*, user: User, request: exporting.ExportRequest) -> ExportJob:
    job = ExportJob.objects.create(
        user=user,
        resource=request.resource,
        format=request.format,
        columns=list(request.columns),
        filters=request.filters.as_data(),
    )
    transaction.on_commit(partial(_send, job.pk))
    return job


def _send(job_id: int) -> None:
    """Queue the export for a worker, and say so (``leases.mark_sent``)."""
    from apps.bulkio import tasks

    tasks.run_export.delay(job_id)
    leases.mark_sent(LEASE, job_id, RUN)


def run_export(job_id: int, *, token: str | None = None) -> None:
    """Idempotent: only a queued (or interrupted running) job that no other run holds is
    worked on."""
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    if job.status not in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        return
    with leases.hold(LEASE, job.pk, token) as held:
        running = (ExportStatus.QUEUED, ExportStatus.RUNNING)
        if held and ExportJob.objects.filter(pk=job.pk, status__in=running).update(
            status=ExportStatus.RUNNING
        ):
            job.status = ExportStatus.RUNNING
            leases.clear_sent(LEASE, job.pk, RUN)
            _export(job)


def _export(job: ExportJob) -> None:
    started = time.perf_counter()
    try:
        request = exporting.make_request(
            job.resource, job.format, job.columns, exporting.filters_from_data(job.filters)
        )
        total = exporting.count_rows(request, job.user) or 1

        def progress(done: int) -> None:
            ExportJob.objects.filter(pk=job.pk).update(progress=min(99, done * 100 // total))

        name = exporting.file_name(request)
        stored, size = write_file(job, name, _chunks(request, job.user, progress))
    except SoftTimeLimitExceeded:
        _fail(job, time_limit_message())
        return
    except OSError as error:
        logger.exception("export %s could not be written", job.pk)
        _fail(job, write_error_message(error))
        return
    except Exception as error:  # reported on the job; the worker keeps running
        logger.exception("export %s failed", job.pk)
        _fail(job, str(getattr(error, "detail", error)))
        return
    job.file.name = stored
    job.file_name = name
    job.size = size
    job.row_count = total if total > 1 else exporting.count_rows(request, job.user)
    job.status = ExportStatus.READY
    job.progress = 100
    job.finished_at = timezone.now()
    job.save()
    metrics.job_finished("export", RUN, time.perf_counter() - started)
    _announce(job, name)


def _chunks(request: exporting.ExportRequest, user, progress: Callable) -> Iterator[bytes]:
    if request.format == "csv":
        for number, chunk in enumerate(exporting.stream_csv(request, user)):
            if number and number % 10 == 0:
                progress(number * exporting.CHUNK)
            yield chunk
    elif request.format == "xlsx":
        yield exporting.to_xlsx(request, user, progress=progress)
    else:
        pdf_max_rows = settings.SMS_BULKIO_PDF_MAX_ROWS * BACKGROUND_PDF_FACTOR
        yield exporting.render(request, user, pdf_max_rows=pdf_max_rows)


def _partial_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / PARTIAL_DIR


def write_file(job: ExportJob, name: str, chunks: Iterator[bytes]) -> tuple[str, int]:
    """Write the chunks to a partial file, then move it under its final name (one rename
    on the same file system): a file there is always whole, and a failure, a full disk
    above all, leaves nothing behind. Returns the stored name and the size."""
    folder = _partial_dir()
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f"{job.pk}-{uuid.uuid4().hex}.part"
    try:
        with open(part, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        size = part.stat().st_size
        storage = job.file.storage
        stored = storage.get_available_name(job.file.field.generate_filename(job, name))
        target = Path(storage.path(stored))
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    return stored, size


def write_error_message(error: OSError) -> str:
    if error.errno in DISK_FULL:
        return _(
            "The export could not be written: the server's disk is full. No file was kept; "
            "try again later or tell an administrator."
        )
    return _("The export could not be written (%(error)s); no file was kept.") % {
        "error": error.strerror or error.__class__.__name__
    }


def time_limit_message() -> str:
    return _(
        "The export took longer than its time limit (%(seconds)s s) and was stopped; no file "
        "was kept."
    ) % {"seconds": settings.SMS_LONG_TASK_SOFT_TIME_LIMIT}


def _fail(job: ExportJob, message: str) -> None:
    metrics.job_failed("export", RUN)
    job.status = ExportStatus.FAILED
    job.error_message = message
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error_message", "finished_at"])


def _announce(job: ExportJob, name: str) -> None:
    if job.user_id:
        from apps.notifications import events

        with events.site_language():
            title = _("Export “%(name)s” is ready") % {"name": name}
        transaction.on_commit(
            partial(
                events.export_ready,
                user=job.user,
                title=title,
                link=reverse("bulkio-api:export-download", args=[job.pk]),
                data={"export_id": job.pk},
            ),
            robust=True,
        )


# --- Recovery -------------------------------------------------------------------------------
def _remove_partials(job_id: int) -> None:
    for part in _partial_dir().glob(f"{job_id}-*.part"):
        part.unlink(missing_ok=True)


def _fail_running(job_id: int, message: str) -> bool:
    failed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING).update(
        status=ExportStatus.FAILED, error_message=message, finished_at=timezone.now()
    )
    if failed:
        metrics.job_failed("export", RUN)
        _remove_partials(job_id)
    return bool(failed)


def recover_interrupted() -> dict[str, list[int]]:
    """Exports left by a process that is gone (no live lease): a queued one is queued
    again unless its message is still waiting, a running one failed with the reason (its
    partial file removed)."""
    outcome: dict[str, list[int]] = {"requeued": [], "failed": []}
    running = (ExportStatus.QUEUED, ExportStatus.RUNNING)
    for job in ExportJob.objects.filter(status__in=running).only("pk", "status"):
        if leases.is_held(LEASE, job.pk):
            continue
        if job.status == ExportStatus.QUEUED:
            if leases.resend_needed(LEASE, job.pk, RUN):
                _send(job.pk)
                outcome["requeued"].append(job.pk)
            continue
        message = _(
            "The worker stopped while writing this export; no file was kept. Request it again."
        )
        if _fail_running(job.pk, message):
            outcome["failed"].append(job.pk)
    return outcome


def fail_killed(job_id: int, *, token: str) -> None:
    """A run killed at its hard time limit: fail its job unless another run has it."""
    if leases.holder(LEASE, job_id) not in (None, token):
        return
    _fail_running(job_id, time_limit_message())
    leases.release(LEASE, job_id, token)


def clean_old_exports(now: dt.datetime | None = None) -> int:
    """Delete export files (and their jobs) older than the retention period."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=settings.SMS_BULKIO_EXPORT_RETENTION_HOURS)
    removed = 0
    for job in ExportJob.objects.filter(created_at__lt=cutoff):
        if job.file:
            job.file.delete(save=False)
        job.delete()
        removed += 1
    # Partial files a killed worker left and no recovery removed (its job is gone).
    for part in _partial_dir().glob("*.part"):
        if part.stat().st_mtime < time.time() - 86_400:
            part.unlink(missing_ok=True)
    return removed
