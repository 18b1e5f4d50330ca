"""Export jobs: queued, written by a worker to a file, announced with ``export_ready``."""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.academics import scoping
from apps.accounts.models import User
from apps.bulkio import exporting
from apps.bulkio.models import ExportJob, ExportStatus

logger = logging.getLogger(__name__)

# Background jobs may produce larger PDFs than a request would wait for.
BACKGROUND_PDF_FACTOR = 4


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
    from apps.bulkio import tasks

    transaction.on_commit(partial(tasks.run_export.delay, job.pk))
    return job


def run_export(job_id: int) -> None:
    """Idempotent: only a queued (or interrupted running) job is worked on."""
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    if job.status not in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        return
    job.status = ExportStatus.RUNNING
    job.save(update_fields=["status"])
    try:
        request = exporting.make_request(
            job.resource, job.format, job.columns, exporting.filters_from_data(job.filters)
        )
        total = exporting.count_rows(request, job.user) or 1

        def progress(done: int) -> None:
            ExportJob.objects.filter(pk=job.pk).update(progress=min(99, done * 100 // total))

        if request.format == "xlsx":
            data = exporting.to_xlsx(request, job.user, progress=progress)
        else:
            data = exporting.render(
                request,
                job.user,
                pdf_max_rows=settings.SMS_BULKIO_PDF_MAX_ROWS * BACKGROUND_PDF_FACTOR,
            )
    except Exception as error:  # reported on the job; the worker keeps running
        logger.exception("export %s failed", job_id)
        job.status = ExportStatus.FAILED
        job.error_message = str(getattr(error, "detail", error))
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error_message", "finished_at"])
        return
    name = exporting.file_name(request)
    job.file.save(name, ContentFile(data), save=False)
    job.file_name = name
    job.size = len(data)
    job.row_count = total if total > 1 else exporting.count_rows(request, job.user)
    job.status = ExportStatus.READY
    job.progress = 100
    job.finished_at = timezone.now()
    job.save()
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
    return removed
