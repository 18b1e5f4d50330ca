"""The import job's life: upload → preview → confirm/apply → rollback.

Status: queued → previewing → previewed → applying → applied (or failed) → rolled_back.
Small files run in the request; files above ``SMS_BULKIO_BACKGROUND_ROWS`` rows go to a
Celery worker. Progress (0–100) lives in the shared cache while work runs, because the
apply step's own transaction hides its writes from other connections until it commits.
"""

from __future__ import annotations

import hashlib
import logging
import time
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import DatabaseError, OperationalError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.academics import scoping
from apps.accounts.models import Role, User
from apps.bulkio.importing.apply import write_plan
from apps.bulkio.importing.plan import ERROR, Plan, build_plan, check_columns, gc_paused
from apps.bulkio.importing.resources import RESOURCES
from apps.bulkio.importing.rollback import RollbackConflict, undo_changes
from apps.bulkio.models import ImportJob, ImportMode, ImportStatus
from apps.bulkio.readers import FileRejected, Table, read_table

logger = logging.getLogger(__name__)

ERRORS_CAP = 10_000
MARK_RESOURCES = ("grades", "attendance")


class ImportRefused(Exception):
    """The request cannot be done in the job's current state; the message is for people."""


__all__ = [
    "FileRejected",
    "ImportRefused",
    "RollbackConflict",
    "can_import",
    "confirm_import",
    "job_progress",
    "rollback_import",
    "run_apply",
    "run_preview",
    "start_import",
]


# --- Permissions ----------------------------------------------------------------------------
def can_import(user: User, resource: str) -> bool:
    """Admins import everything; teachers grades and attendance of the courses they teach."""
    if scoping.is_admin(user):
        return True
    return scoping.role_of(user) == Role.TEACHER and resource in MARK_RESOURCES


def course_scope(user: User | None) -> set[int] | None:
    """The courses whose marks the job's owner may write (None: every course). A job
    whose owner is gone writes no marks."""
    return scoping.markable_course_ids(user)


def jobs_for(user: User):
    jobs = ImportJob.objects.select_related("user")
    if scoping.is_admin(user):
        return jobs
    return jobs.filter(user=user)


# --- Progress -------------------------------------------------------------------------------
def _progress_key(job_id: int) -> str:
    return f"bulkio:import:{job_id}:progress"


def set_progress(job_id: int, percent: float) -> None:
    cache.set(_progress_key(job_id), int(max(0, min(100, percent))), 3600)


def job_progress(job: ImportJob) -> int:
    if job.is_running:
        cached = cache.get(_progress_key(job.pk))
        if cached is not None:
            return int(cached)
    return job.progress


# --- Upload and preview ---------------------------------------------------------------------
def read_upload(data: bytes, filename: str) -> Table:
    return read_table(
        data,
        filename,
        max_bytes=settings.SMS_BULKIO_MAX_UPLOAD_BYTES,
        max_rows=settings.SMS_BULKIO_MAX_ROWS,
    )


def start_import(*, user: User, resource: str, filename: str, data: bytes, mode: str) -> ImportJob:
    """Store the file and preview it now (small) or in the background (large).

    Raises ``FileRejected`` for a file that cannot be read at all; no job is kept then.
    """
    table = read_upload(data, filename)
    check_columns(resource, table.headers)
    job = ImportJob(
        user=user,
        resource=resource,
        original_name=filename[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        format=table.format,
        encoding=table.encoding or "",
        delimiter=table.delimiter or "",
        mode=mode,
        row_count=len(table.rows),
    )
    job.file.save(filename.rsplit("/", 1)[-1][:100] or "upload", ContentFile(data), save=False)
    job.save()
    if len(table.rows) > settings.SMS_BULKIO_BACKGROUND_ROWS:
        from apps.bulkio import tasks

        transaction.on_commit(partial(tasks.preview_import.delay, job.pk))
        return job
    run_preview(job.pk, table=table)
    job.refresh_from_db()
    return job


def _load_table(job: ImportJob) -> Table:
    with job.file.open("rb") as handle:
        data = handle.read()
    return read_upload(data, job.original_name)


def preview_payload(plan: Plan) -> dict:
    limit = settings.SMS_BULKIO_PREVIEW_ROWS
    rows, errors = [], []
    for row in plan.rows:
        if len(rows) < limit or (row.action == ERROR and len(rows) < limit * 10):
            rows.append(
                {
                    "row": row.row,
                    "action": row.action,
                    "data": row.raw,
                    "errors": [{"field": f, "message": m} for f, m in row.errors],
                }
            )
        if len(errors) < ERRORS_CAP:
            errors.extend({"row": row.row, "field": f, "message": m} for f, m in row.errors)
    total_errors = sum(len(row.errors) for row in plan.rows)
    return {
        "columns": plan.present,
        "ignored_columns": plan.ignored_columns,
        "rows": rows,
        "rows_truncated": len(rows) < len(plan.rows),
        "errors": errors[:ERRORS_CAP],
        "errors_truncated": total_errors > ERRORS_CAP,
    }


def _fail(job: ImportJob, message: str, *, notify: bool) -> None:
    job.status = ImportStatus.FAILED
    job.error_message = message
    job.progress = 100
    job.save(update_fields=["status", "error_message", "progress"])
    if notify and job.user_id:
        from apps.notifications import events

        with events.site_language():
            title = _("Import of “%(name)s” failed") % {"name": job.original_name}
        transaction.on_commit(
            partial(
                events.import_failed,
                user=job.user,
                title=title,
                error=message,
                link=reverse("bulkio:import_detail", args=[job.pk]),
            ),
            robust=True,
        )


def run_preview(job_id: int, *, table: Table | None = None) -> None:
    """Idempotent: a job already previewed (or further) is left alone."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.status not in (ImportStatus.QUEUED, ImportStatus.PREVIEWING):
        return
    job.status = ImportStatus.PREVIEWING
    job.save(update_fields=["status"])
    started = time.perf_counter()
    try:
        table = table or _load_table(job)
        plan = build_plan(
            RESOURCES[job.resource],
            table,
            course_scope=course_scope(job.user),
            progress=lambda fraction: set_progress(job.pk, fraction * 100),
        )
    except FileRejected as error:
        job.preview = {"errors": [{"row": None, "field": "", "message": str(error)}], "rows": []}
        job.save(update_fields=["preview"])
        _fail(job, str(error), notify=table is None)
        return
    job.totals = plan.totals
    job.preview = preview_payload(plan)
    job.status = ImportStatus.PREVIEWED
    job.progress = 100
    job.previewed_at = timezone.now()
    job.timings = {**job.timings, "preview": round(time.perf_counter() - started, 3)}
    job.save()


# --- Apply ----------------------------------------------------------------------------------
def confirm_import(job: ImportJob, *, actor: User) -> ImportJob:
    if job.status != ImportStatus.PREVIEWED:
        raise ImportRefused(
            _("This import is “%(status)s”; only a previewed import can be applied.")
            % {"status": job.get_status_display()}
        )
    if job.mode == ImportMode.ALL_OR_NOTHING and job.totals.get(ERROR):
        raise ImportRefused(
            _("%(count)s rows have errors. Fix them and upload the file again, or choose "
              "“skip invalid rows”.") % {"count": job.totals[ERROR]}
        )  # fmt: skip
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEWED).update(
        status=ImportStatus.APPLYING, progress=0
    )
    if not updated:  # a second click while the first one is running
        raise ImportRefused(_("This import is already being applied."))
    set_progress(job.pk, 0)
    if job.row_count > settings.SMS_BULKIO_BACKGROUND_ROWS:
        from apps.bulkio import tasks

        transaction.on_commit(partial(tasks.apply_import.delay, job.pk, actor.pk))
    else:
        run_apply(job.pk, actor_id=actor.pk)
    job.refresh_from_db()
    return job


def job_origin(job: ImportJob) -> str:
    """How the change hook names an import's writes (its rollback withdraws their notices)."""
    return f"import:{job.pk}"


class _Abort(Exception):
    def __init__(self, plan: Plan):
        self.plan = plan


def run_apply(job_id: int, *, actor_id: int | None, reraise_transient: bool = False) -> None:
    """Re-plan against the current data and write it, all in one transaction."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.status != ImportStatus.APPLYING:
        return
    actor = User.objects.filter(pk=actor_id).first() if actor_id else job.user
    started = time.perf_counter()
    try:
        with gc_paused(), transaction.atomic():
            table = _load_table(job)
            plan = build_plan(
                RESOURCES[job.resource],
                table,
                course_scope=course_scope(job.user),
                progress=lambda fraction: set_progress(job.pk, fraction * 50),
            )
            if plan.totals[ERROR] and job.mode == ImportMode.ALL_OR_NOTHING:
                raise _Abort(plan)
            counts = write_plan(
                plan,
                job=job,
                actor=actor,
                source="import",
                origin=job_origin(job),
                progress=lambda fraction: set_progress(job.pk, 50 + fraction * 50),
            )
    except _Abort as abort:
        job.totals = abort.plan.totals
        job.preview = preview_payload(abort.plan)
        job.save(update_fields=["totals", "preview"])
        _fail(
            job,
            _("%(count)s rows have errors against the current data; nothing was written.")
            % {"count": abort.plan.totals[ERROR]},
            notify=True,
        )
        return
    except OperationalError:
        if reraise_transient:
            raise
        logger.exception("import %s failed", job_id)
        _fail(job, _("The database was busy; nothing was written. Try again."), notify=True)
        return
    except (DatabaseError, FileRejected, OSError) as error:
        logger.exception("import %s failed", job_id)
        _fail(job, _("The import failed; nothing was written (%(error)s).") % {"error": error},
              notify=True)  # fmt: skip
        return
    job.status = ImportStatus.APPLIED
    job.progress = 100
    job.applied_at = timezone.now()
    job.applied_totals = {**counts, "skip": plan.totals["skip"], "error": plan.totals[ERROR]}
    job.timings = {**job.timings, "apply": round(time.perf_counter() - started, 3)}
    job.save()
    if job.user_id:
        from apps.notifications import events

        with events.site_language():
            title = _("Import of “%(name)s” applied") % {"name": job.original_name}
        transaction.on_commit(
            partial(
                events.import_finished,
                user=job.user,
                title=title,
                link=reverse("bulkio:import_detail", args=[job.pk]),
                counts=job.applied_totals,
            ),
            robust=True,
        )


def mark_failed(job_id: int, message: str) -> None:
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.is_running:
        _fail(job, message, notify=True)


# --- Rollback -------------------------------------------------------------------------------
def rollback_import(job: ImportJob, *, actor: User, force: bool = False) -> dict[str, int]:
    """Raises ``RollbackConflict`` (rows changed since) unless ``force``."""
    if job.status != ImportStatus.APPLIED:
        raise ImportRefused(
            _("Only an applied import can be rolled back; this one is “%(status)s”.")
            % {"status": job.get_status_display()}
        )
    started = time.perf_counter()
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ImportStatus.APPLIED:
            raise ImportRefused(_("This import was already rolled back."))
        counts = undo_changes(
            job, actor=actor, force=force, source="rollback", origin=job_origin(job)
        )
        job.status = ImportStatus.ROLLED_BACK
        job.rolled_back_at = timezone.now()
        job.rolled_back_by = actor
        job.timings = {**job.timings, "rollback": round(time.perf_counter() - started, 3)}
        job.save(update_fields=["status", "rolled_back_at", "rolled_back_by", "timings"])
    return counts
