"""Scheduled exports: stored as django-celery-beat periodic tasks, delivered by email."""

from __future__ import annotations

import json
import logging

from celery.schedules import crontab as celery_crontab
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from apps.accounts.models import User
from apps.bulkio import export_jobs, exporting
from apps.bulkio.models import ExportJob, ExportStatus, ScheduledExport

logger = logging.getLogger(__name__)

TASK_NAME = "bulkio.run_scheduled_export"
CRON_PARTS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


def parse_crontab(text: str) -> dict[str, str]:
    parts = (text or "").split()
    if len(parts) != 5:
        raise ValidationError(
            _("Write the schedule as five fields: minute hour day-of-month month day-of-week "
              "(for example “0 7 * * 1” for Mondays at 07:00).")
        )  # fmt: skip
    values = dict(zip(CRON_PARTS, parts, strict=True))
    try:
        celery_crontab(**values)
    except (ValueError, TypeError) as error:
        raise ValidationError(
            _("The schedule is not valid: %(error)s") % {"error": error}
        ) from None
    return values


def _sync(scheduled: ScheduledExport) -> None:
    values = parse_crontab(scheduled.crontab)
    schedule, _created = CrontabSchedule.objects.get_or_create(
        **values, timezone=settings.TIME_ZONE
    )
    task, _created = PeriodicTask.objects.update_or_create(
        name=f"bulkio-scheduled-export-{scheduled.pk}",
        defaults={
            "task": TASK_NAME,
            "crontab": schedule,
            "interval": None,
            "args": json.dumps([scheduled.pk]),
            "enabled": scheduled.enabled,
            "description": scheduled.name,
        },
    )
    if scheduled.periodic_task_id != task.pk:
        scheduled.periodic_task = task
        scheduled.save(update_fields=["periodic_task"])


@transaction.atomic
def scheduled_export_save(scheduled: ScheduledExport) -> ScheduledExport:
    parse_crontab(scheduled.crontab)
    exporting.make_request(
        scheduled.resource,
        scheduled.format,
        scheduled.columns,
        exporting.filters_from_data(scheduled.filters),
    )
    scheduled.save()
    _sync(scheduled)
    return scheduled


@transaction.atomic
def scheduled_export_delete(scheduled: ScheduledExport) -> None:
    if scheduled.periodic_task_id:
        PeriodicTask.objects.filter(pk=scheduled.periodic_task_id).delete()
    scheduled.delete()


def deliver(scheduled_id: int) -> str:
    """Build the file with the owner's scope and email it (a link when it is too big)."""
    scheduled = ScheduledExport.objects.select_related("owner").get(pk=scheduled_id)
    if not scheduled.enabled:
        return "disabled"
    owner: User | None = scheduled.owner
    request = exporting.make_request(
        scheduled.resource,
        scheduled.format,
        scheduled.columns,
        exporting.filters_from_data(scheduled.filters),
    )
    data = exporting.render(request, owner)
    name = exporting.file_name(request)
    message = EmailMessage(
        subject=_("Scheduled export: %(name)s") % {"name": scheduled.name},
        body=_("The scheduled export “%(name)s” (%(resource)s, %(format)s) ran at %(time)s.")
        % {
            "name": scheduled.name,
            "resource": scheduled.resource,
            "format": scheduled.format.upper(),
            "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        },
        to=list(scheduled.recipients),
    )
    if len(data) <= settings.SMS_BULKIO_EMAIL_ATTACHMENT_MAX_BYTES:
        message.attach(name, data, exporting.CONTENT_TYPES[request.format])
        status = "sent"
    else:
        job = ExportJob(
            user=owner,
            resource=request.resource,
            format=request.format,
            columns=list(request.columns),
            filters=scheduled.filters,
            status=ExportStatus.READY,
            progress=100,
            file_name=name,
            size=len(data),
            finished_at=timezone.now(),
        )
        try:
            # Written whole or not at all: a full disk keeps no partial file to link to.
            job.file.name, _size = export_jobs.write_file(job, name, iter([data]))
        except OSError as error:
            logger.warning("Scheduled export %s could not be written: %s", scheduled.pk, error)
            _record_run(scheduled, export_jobs.write_error_message(error))
            return "failed"
        job.save()
        link = settings.SMS_SITE_URL.rstrip("/") + reverse(
            "bulkio-api:export-download", args=[job.pk]
        )
        message.body += "\n\n" + _(
            "The file is too large to attach; download it here: %(link)s"
        ) % {"link": link}
        status = "sent_link"
    message.send()
    _record_run(scheduled, status)
    return status


def _record_run(scheduled: ScheduledExport, status: str) -> None:
    scheduled.last_run_at = timezone.now()
    scheduled.last_status = status[:200]
    scheduled.save(update_fields=["last_run_at", "last_status"])
