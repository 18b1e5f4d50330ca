"""The import job's life: upload → preview → confirm/apply → rollback.

Status: queued → previewing → previewed → applying → applied (or failed) → rolled_back.
Small files run in the request; files above ``SMS_BULKIO_BACKGROUND_ROWS`` rows go to a
Celery worker. Progress (0–100) lives in the shared cache while work runs, because the
apply step's own transaction hides its writes from other connections until it commits.

A run holds the job's lease (``leases``) while it works, so two runs never work on one job,
and a job whose worker died is found by ``recover_interrupted`` when a worker starts.
"""

from __future__ import annotations

import hashlib
import logging
import time
from functools import partial

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import DatabaseError, OperationalError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.academics import scoping
from apps.accounts.models import Role, User
from apps.bulkio import leases, mapping
from apps.bulkio.columns import (
    ColumnMap,
    ColumnMapInvalid,
    check_column_map,
    clean_column_map,
    known_column,
)
from apps.bulkio.importing.apply import PlanWriter
from apps.bulkio.importing.impact import Impact
from apps.bulkio.importing.memory import small_sqlite_cache
from apps.bulkio.importing.plan import (
    ERROR,
    MissingColumns,
    Plan,
    build_plan,
    check_columns,
    gc_paused,
)
from apps.bulkio.importing.resources import RESOURCES
from apps.bulkio.importing.rollback import RollbackConflict, undo_changes
from apps.bulkio.models import ImportJob, ImportMode, ImportStatus
from apps.bulkio.oneroster import RESOURCE as ONEROSTER
from apps.bulkio.readers import FileRejected, Table, read_table
from sms.observability import metrics

logger = logging.getLogger(__name__)

MARK_RESOURCES = ("grades", "attendance")
LEASE = "import"
PREVIEW, APPLY = "preview", "apply"
# Runs of a preview that may die (out of memory on a hostile file…) before recovery stops
# queuing it again.
MAX_ATTEMPTS = 3


class ImportRefused(Exception):
    """The request cannot be done in the job's current state; the message is for people."""


__all__ = [
    "ColumnMapInvalid",
    "FileRejected",
    "ImportRefused",
    "RollbackConflict",
    "can_import",
    "can_remap",
    "confirm_import",
    "job_progress",
    "recover_interrupted",
    "remap_import",
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
def read_upload(
    data: bytes, filename: str, resource: str, column_map: ColumnMap | None = None
) -> Table:
    """The file's rows, holding only the columns the resource knows (or the map names)."""
    return read_table(
        data,
        filename,
        max_bytes=settings.SMS_BULKIO_MAX_UPLOAD_BYTES,
        max_rows=settings.SMS_BULKIO_MAX_ROWS,
        keep_column=known_column(resource, column_map),
    )


def start_import(
    *,
    user: User,
    resource: str,
    filename: str,
    data: bytes,
    mode: str,
    column_map: ColumnMap | None = None,
    keep_unmatched: bool = False,
) -> ImportJob:
    """Store the file and preview it now (small) or in the background (large).

    ``column_map``: the user's names for fields (None: the map remembered for this header
    row, if any). Raises ``FileRejected`` for a file that cannot be read at all, and
    ``ColumnMapInvalid`` for a map that does not fit the file; no job is kept then. With
    ``keep_unmatched`` a file whose required columns are missing is kept as a failed job
    whose columns can be mapped (``remap_import``), the wizard's mapping step.
    """
    if resource == ONEROSTER:
        if column_map:
            raise ColumnMapInvalid(_("A OneRoster package's columns cannot be mapped."))
        return _start_package(user=user, filename=filename, data=data, mode=mode)
    explicit = column_map is not None
    table, column_map, remembered = _read_mapped(user, resource, filename, data, column_map)
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
        column_map=column_map,
        column_map_remembered=remembered,
    )
    try:
        check_columns(resource, table, column_map)
    except MissingColumns as error:
        if not keep_unmatched:
            raise
        job.status, job.error_message, job.progress = ImportStatus.FAILED, str(error), 100
        job.preview = _refused_preview(str(error), table)
    job.file.save(filename.rsplit("/", 1)[-1][:100] or "upload", ContentFile(data), save=False)
    job.save()
    if job.status == ImportStatus.FAILED:
        return job
    if explicit:
        mapping.remember_map(
            user=user, resource=resource, file_headers=table.file_headers, column_map=column_map
        )
    return _preview_now_or_later(job, table)


def _read_mapped(user, resource, filename, data, column_map):
    """The table read with the given map, or with the one remembered for its header row."""
    if column_map is not None:
        column_map = clean_column_map(resource, column_map)
    table = read_upload(data, filename, resource, column_map)
    if column_map is not None:
        check_column_map(resource, column_map, table.file_headers)
        return table, column_map, False
    remembered = mapping.remembered_map(user, resource, table.file_headers)
    if not remembered:
        return table, {}, False
    table = None  # one table in memory at a time
    return read_upload(data, filename, resource, remembered), remembered, True


def _refused_preview(message: str, table: Table) -> dict:
    return {
        "errors": [{"row": None, "field": "", "message": message}],
        "rows": [],
        "file_headers": table.file_headers,
    }


def _preview_now_or_later(job: ImportJob, table: Table) -> ImportJob:
    if len(table.rows) > settings.SMS_BULKIO_BACKGROUND_ROWS:
        transaction.on_commit(partial(_send, PREVIEW, job.pk))
        return job
    run_preview(job.pk, table=table)
    job.refresh_from_db()
    return job


def can_remap(job: ImportJob) -> bool:
    """A job not applied yet (previewed, or failed) can be read again with another map."""
    return (
        job.resource != ONEROSTER
        and job.applied_at is None
        and job.status in (ImportStatus.PREVIEWED, ImportStatus.FAILED)
    )


def remap_import(job: ImportJob, *, column_map: ColumnMap, actor: User) -> ImportJob:
    """Preview the job's file again with this column map, and remember the map for the
    actor. Raises ``ColumnMapInvalid`` or ``FileRejected`` (still missing columns) and
    changes nothing then."""
    if not can_remap(job):
        raise ImportRefused(
            _("This import is “%(status)s”; its columns can no longer be changed.")
            % {"status": job.get_status_display()}
        )
    column_map = clean_column_map(job.resource, column_map)
    with job.file.open("rb") as handle:
        table = read_upload(handle.read(), job.original_name, job.resource, column_map)
    check_column_map(job.resource, column_map, table.file_headers)
    check_columns(job.resource, table, column_map)
    restarted = ImportJob.objects.filter(pk=job.pk, status=job.status, applied_at=None).update(
        status=ImportStatus.QUEUED,
        column_map=column_map,
        column_map_remembered=False,
        row_count=len(table.rows),
        totals={},
        preview={},
        progress=0,
        attempts=0,
        error_message="",
        previewed_at=None,
    )
    if not restarted:
        raise ImportRefused(_("This import changed meanwhile; open it again."))
    mapping.remember_map(
        user=actor, resource=job.resource, file_headers=table.file_headers, column_map=column_map
    )
    job.refresh_from_db()
    return _preview_now_or_later(job, table)


def _start_package(*, user: User, filename: str, data: bytes, mode: str) -> ImportJob:
    """A OneRoster zip: checked and read whole before the job is kept, then previewed."""
    from apps.bulkio.oneroster.package import read_package

    package = read_package(data, filename)
    job = ImportJob(
        user=user,
        resource=ONEROSTER,
        original_name=filename[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        format="zip",
        mode=mode,
        row_count=package.row_count,
    )
    job.file.save(filename.rsplit("/", 1)[-1][:100] or "upload", ContentFile(data), save=False)
    job.save()
    if package.row_count > settings.SMS_BULKIO_BACKGROUND_ROWS:
        transaction.on_commit(partial(_send, PREVIEW, job.pk))
        return job
    run_preview(job.pk)
    job.refresh_from_db()
    return job


def _load_package(job: ImportJob):
    from apps.bulkio.oneroster.package import read_package

    with job.file.open("rb") as handle:
        return read_package(handle.read(), job.original_name)


def _plan_package(job: ImportJob):
    """The OneRoster preview: the package written and taken back again."""
    from apps.bulkio.oneroster import importer

    return importer.dry_run(_load_package(job), job=job, actor=job.user)


def _send(step: str, job_id: int, actor_id: int | None = None) -> None:
    """Queue the step for a worker, and say so (``leases.mark_sent``)."""
    from apps.bulkio import tasks

    if step == APPLY:
        tasks.apply_import.delay(job_id, actor_id)
    else:
        tasks.preview_import.delay(job_id)
    leases.mark_sent(LEASE, job_id, step)


def _load_table(job: ImportJob) -> Table:
    with job.file.open("rb") as handle:
        data = handle.read()
    return read_upload(data, job.original_name, job.resource, job.column_map)


def preview_payload(plan: Plan) -> dict:
    return {
        "columns": plan.present,
        "ignored_columns": plan.ignored_columns,
        "header_row": plan.header_row,
        "footer_rows": list(plan.footer_rows),
        "rows": [
            {
                "row": row.row,
                "action": row.action,
                "data": row.raw,
                "errors": [{"field": f, "message": m} for f, m in row.errors],
            }
            for row in plan.shown
        ],
        "rows_truncated": len(plan.shown) < plan.row_count,
        "errors": [{"row": row, "field": f, "message": m} for row, f, m in plan.errors],
        "errors_truncated": plan.error_count > len(plan.errors),
    }


def _fail(job: ImportJob, message: str, *, notify: bool) -> None:
    metrics.job_failed("import", APPLY if job.status == ImportStatus.APPLYING else PREVIEW)
    job.status = ImportStatus.FAILED
    job.error_message = message
    job.progress = 100
    job.save(update_fields=["status", "error_message", "progress"])
    if notify:
        _notify_failed(job, message)


def _notify_failed(job: ImportJob, message: str) -> None:
    if job.user_id:
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


def _start_run(job: ImportJob, status: str, *, after: tuple[str, ...]) -> bool:
    """Count a run of the step that moves the job from ``after`` to ``status``; False
    when another run got there first."""
    started = ImportJob.objects.filter(pk=job.pk, status__in=after).update(
        status=status, attempts=F("attempts") + 1
    )
    job.status = status
    job.attempts += 1
    leases.clear_sent(LEASE, job.pk, APPLY if status == ImportStatus.APPLYING else PREVIEW)
    return bool(started)


def time_limit_message(*, applying: bool) -> str:
    if applying:
        text = _(
            "The import took longer than its time limit (%(seconds)s s) and was stopped; "
            "nothing was written."
        )
    else:
        text = _("The preview took longer than its time limit (%(seconds)s s) and was stopped.")
    return text % {"seconds": settings.SMS_LONG_TASK_SOFT_TIME_LIMIT}


def run_preview(job_id: int, *, table: Table | None = None, token: str | None = None) -> None:
    """Idempotent: a job already previewed (or further), or being previewed by another
    run, is left alone."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.status not in (ImportStatus.QUEUED, ImportStatus.PREVIEWING):
        return
    with leases.hold(LEASE, job.pk, token) as held:
        after = (ImportStatus.QUEUED, ImportStatus.PREVIEWING)
        if held and _start_run(job, ImportStatus.PREVIEWING, after=after):
            _preview(job, table)


def _preview(job: ImportJob, table: Table | None) -> None:
    started = time.perf_counter()
    impact_found = None
    try:
        if job.resource == ONEROSTER:
            plan = _plan_package(job)
        else:
            table = table or _load_table(job)
            scope = course_scope(job.user)
            impact = Impact.for_resource(job.resource, course_scope=scope)
            plan = build_plan(
                RESOURCES[job.resource],
                table,
                course_scope=scope,
                progress=lambda fraction: set_progress(job.pk, fraction * 100),
                observe=impact.observe if impact else None,
                column_map=job.column_map,
            )
            impact_found = impact.summarise(plan) if impact else None
    except FileRejected as error:
        job.preview = {"errors": [{"row": None, "field": "", "message": str(error)}], "rows": []}
        job.save(update_fields=["preview"])
        _fail(job, str(error), notify=table is None)
        return
    except SoftTimeLimitExceeded:
        _fail(job, time_limit_message(applying=False), notify=True)
        return
    job.totals = plan.totals
    job.preview = plan.payload() if job.resource == ONEROSTER else preview_payload(plan)
    if table is not None:
        job.preview["file_headers"] = table.file_headers  # the mapping step offers them
    if impact_found is not None:
        job.preview["impact"] = impact_found  # what it means for students: ``impact``
    job.status = ImportStatus.PREVIEWED
    job.progress = 100
    job.previewed_at = timezone.now()
    job.timings = {**job.timings, "preview": round(time.perf_counter() - started, 3)}
    job.save()
    metrics.job_finished("import", PREVIEW, time.perf_counter() - started)


# --- Apply ----------------------------------------------------------------------------------
def can_apply(job: ImportJob) -> bool:
    """Previewed, or failed while applying: an apply writes all or nothing, so one that
    failed (its worker stopped, a time limit, a busy database) can simply run again."""
    if job.status == ImportStatus.PREVIEWED:
        return True
    return job.status == ImportStatus.FAILED and bool(job.previewed_at) and not job.applied_at


def confirm_import(job: ImportJob, *, actor: User) -> ImportJob:
    if not can_apply(job):
        raise ImportRefused(
            _("This import is “%(status)s”; only a previewed import can be applied.")
            % {"status": job.get_status_display()}
        )
    if job.mode == ImportMode.ALL_OR_NOTHING and job.totals.get(ERROR):
        raise ImportRefused(
            _("%(count)s rows have errors. Fix them and upload the file again, or choose "
              "“skip invalid rows”.") % {"count": job.totals[ERROR]}
        )  # fmt: skip
    updated = ImportJob.objects.filter(pk=job.pk, status=job.status).update(
        status=ImportStatus.APPLYING, progress=0, attempts=0, error_message=""
    )
    if not updated:  # a second click while the first one is running
        raise ImportRefused(_("This import is already being applied."))
    set_progress(job.pk, 0)
    if job.row_count > settings.SMS_BULKIO_BACKGROUND_ROWS:
        transaction.on_commit(partial(_send, APPLY, job.pk, actor.pk))
    else:
        run_apply(job.pk, actor_id=actor.pk)
    job.refresh_from_db()
    return job


def job_origin(job: ImportJob) -> str:
    """How the change hook names an import's writes (its rollback withdraws their notices)."""
    return f"import:{job.pk}"


class _Abort(Exception):
    """An all-or-nothing apply met a row with an error."""


def run_apply(
    job_id: int,
    *,
    actor_id: int | None,
    reraise_transient: bool = False,
    token: str | None = None,
) -> None:
    """Re-plan against the current data and write it, all in one transaction, the job's
    own ``applied`` status included: a run that dies half way (kill -9, a hard time
    limit) leaves nothing written and the job ``applying`` for recovery. Idempotent."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.status != ImportStatus.APPLYING:
        return
    with leases.hold(LEASE, job.pk, token) as held:
        after = (ImportStatus.APPLYING,)
        if held and _start_run(job, ImportStatus.APPLYING, after=after):
            _apply(job, actor_id=actor_id, reraise_transient=reraise_transient)


def _apply(job: ImportJob, *, actor_id: int | None, reraise_transient: bool) -> None:
    actor = User.objects.filter(pk=actor_id).first() if actor_id else job.user
    started = time.perf_counter()
    try:
        with gc_paused(), small_sqlite_cache(), transaction.atomic():
            write = _write_package if job.resource == ONEROSTER else _write_table
            plan, counts = write(job, actor)
            _mark_applied(job, plan, counts, seconds=time.perf_counter() - started)
    except _Abort:
        # Planned again outside the rolled-back transaction: every row's fate against
        # the current data, for the preview that says why nothing was written.
        if job.resource == ONEROSTER:
            plan = _plan_package(job)
            job.preview = plan.payload()
        else:
            plan = build_plan(
                RESOURCES[job.resource],
                _load_table(job),
                course_scope=course_scope(job.user),
                column_map=job.column_map,
            )
            job.preview = preview_payload(plan)
        job.totals = plan.totals
        job.save(update_fields=["totals", "preview"])
        _fail(
            job,
            _("%(count)s rows have errors against the current data; nothing was written.")
            % {"count": plan.totals[ERROR]},
            notify=True,
        )
    except SoftTimeLimitExceeded:
        _fail(job, time_limit_message(applying=True), notify=True)
    except OperationalError:
        if reraise_transient:
            raise
        logger.exception("import %s failed", job.pk)
        _fail(job, _("The database was busy; nothing was written. Try again."), notify=True)
    except (DatabaseError, FileRejected, OSError) as error:
        logger.exception("import %s failed", job.pk)
        _fail(job, _("The import failed; nothing was written (%(error)s).") % {"error": error},
              notify=True)  # fmt: skip


def _write_table(job: ImportJob, actor: User | None) -> tuple[Plan, dict]:
    spec = RESOURCES[job.resource]
    table = _load_table(job)
    writer = PlanWriter(spec.model, job=job, actor=actor, origin=job_origin(job))
    all_or_nothing = job.mode == ImportMode.ALL_OR_NOTHING

    def write(plan, rows):
        if all_or_nothing and any(row.action == ERROR for row in rows):
            raise _Abort()  # the transaction takes back the batches written so far
        writer.write(plan, rows)

    plan = build_plan(
        spec,
        table,
        course_scope=course_scope(job.user),
        progress=lambda fraction: set_progress(job.pk, fraction * 100),
        on_batch=write,
        column_map=job.column_map,
    )
    return plan, writer.counts


def _write_package(job: ImportJob, actor: User | None):
    from apps.bulkio.oneroster import importer

    plan = importer.apply_package(
        _load_package(job),
        job=job,
        actor=actor,
        origin=job_origin(job),
        abort=_Abort if job.mode == ImportMode.ALL_OR_NOTHING else None,
    )
    return plan, plan.counts


def _mark_applied(job: ImportJob, plan: Plan, counts: dict, *, seconds: float) -> None:
    """Inside the apply's transaction: the rows and the job's status commit together."""
    job.status = ImportStatus.APPLIED
    job.progress = 100
    job.applied_at = timezone.now()
    job.applied_totals = {**counts, "skip": plan.totals["skip"], "error": plan.totals[ERROR]}
    job.timings = {**job.timings, "apply": round(seconds, 3)}
    job.save()
    applied = partial(
        metrics.import_applied,
        job.resource,
        rows_written=sum(counts.values()),
        file_rows=job.row_count,
        seconds=seconds,
    )
    transaction.on_commit(applied, robust=True)
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


# --- Recovery -------------------------------------------------------------------------------
def fail_killed(job_id: int, *, token: str) -> None:
    """A run killed at its hard time limit wrote nothing (one transaction): fail its job,
    unless another run has taken the job over since."""
    if leases.holder(LEASE, job_id) not in (None, token):
        return
    job = ImportJob.objects.select_related("user").filter(pk=job_id).first()
    if job and job.status in (ImportStatus.PREVIEWING, ImportStatus.APPLYING):
        _fail(job, time_limit_message(applying=job.status == ImportStatus.APPLYING), notify=True)
    leases.release(LEASE, job_id, token)


def recover_interrupted() -> dict[str, list[int]]:
    """Jobs left queued, previewing or applying by a process that is gone (no live lease).

    A preview is queued again (up to ``MAX_ATTEMPTS`` runs), and so is an apply that never
    started, unless its message is still waiting in the queue. An apply that started died
    with its transaction, so nothing was written: it is marked failed with that reason and
    can be confirmed again.
    """
    outcome: dict[str, list[int]] = {"requeued": [], "failed": []}
    running = (ImportStatus.QUEUED, ImportStatus.PREVIEWING, ImportStatus.APPLYING)
    for job in ImportJob.objects.filter(status__in=running).select_related("user"):
        if leases.is_held(LEASE, job.pk):
            continue
        if job.status == ImportStatus.APPLYING and job.attempts:
            message = _("The worker stopped while applying; nothing was written. Apply again.")
        elif job.attempts >= MAX_ATTEMPTS:
            message = _(
                "The worker stopped %(count)s times while previewing this file; it was not "
                "imported. Check the file, or split it, and upload it again."
            ) % {"count": job.attempts}
        else:
            step = APPLY if job.status == ImportStatus.APPLYING else PREVIEW
            if job.attempts:  # a run took the step's message and died: none is waiting
                leases.clear_sent(LEASE, job.pk, step)
            if leases.resend_needed(LEASE, job.pk, step):
                _send(step, job.pk)
                outcome["requeued"].append(job.pk)
            continue
        if _fail_if_unchanged(job, message):
            outcome["failed"].append(job.pk)
    return outcome


def _fail_if_unchanged(job: ImportJob, message: str) -> bool:
    """Fail the job as recovery saw it; a run that moved it on since wins."""
    failed = ImportJob.objects.filter(pk=job.pk, status=job.status, attempts=job.attempts)
    if not failed.update(status=ImportStatus.FAILED, error_message=message, progress=100):
        return False
    metrics.job_failed("import", APPLY if job.status == ImportStatus.APPLYING else PREVIEW)
    job.status, job.error_message, job.progress = ImportStatus.FAILED, message, 100
    _notify_failed(job, message)
    return True


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
