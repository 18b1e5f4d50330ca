"""Write a plan through academics' batch writer, then the import's change log.

The rows, their history and the change hook are academics' (``write_rows``); what stays
here is the ``ImportChange`` record of every row written, which rollback and conflict
detection read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.academics.batch import fastinsert, write_rows
from apps.bulkio.importing.plan import NEW, UPDATE, Plan, Progress
from apps.bulkio.importing.values import to_json
from apps.bulkio.models import ChangeAction, ImportChange, ImportJob

CHANGE_REASON = "import #%s"
LINK_ATTNAMES = {"student_id", "course_id"}


def tracked_fields(model: type[models.Model]) -> list[str]:
    """The columns a change record keeps: every concrete field but the id and timestamps."""
    return [
        field.attname
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in ("created_at", "updated_at")
    ]


def write_plan(
    plan: Plan,
    *,
    job: ImportJob,
    actor,
    source: str,
    origin: str,
    progress: Progress | None = None,
) -> dict:
    """Caller holds the transaction. Returns the counts of rows written."""
    model = plan.spec.model
    batch = settings.SMS_BULKIO_BATCH_SIZE
    result = write_rows(
        model,
        plan.rows,
        actor=actor,
        change_reason=CHANGE_REASON % job.pk,
        source=source,
        origin=origin,
        batch_size=batch,
        progress=(lambda fraction: progress(0.8 * fraction)) if progress else None,
    )
    label = model._meta.label
    # What a created row keeps for conflict checks: its links and the file's columns.
    names = [n for n in tracked_fields(model) if n in plan.present or n in LINK_ATTNAMES]
    snap = _Snapshot()
    created = [row for row in plan.rows if row.action == NEW]
    changes: list[dict] = [
        {
            "job_id": job.pk,
            "row": row.row,
            "model": label,
            "object_id": pk,
            "action": ChangeAction.CREATE,
            "before": None,
            "after": {name: snap(name, row.attrs[name]) for name in names},
        }
        for row, pk in zip(created, result.created_ids, strict=True)
    ]
    updated_rows = (row.row for row in plan.rows if row.action == UPDATE)
    changes.extend(
        {
            "job_id": job.pk,
            "row": number,
            "model": label,
            "object_id": update.pk,
            "action": ChangeAction.UPDATE,
            "before": {name: to_json(value) for name, value in update.before.items()},
            "after": {name: to_json(value) for name, value in update.after.items()},
        }
        for number, update in zip(updated_rows, result.updates, strict=True)
    )
    if fastinsert.supported(ImportChange):
        fastinsert.insert_rows(ImportChange, changes)
    else:
        ImportChange.objects.bulk_create(
            [ImportChange(**change) for change in changes], batch_size=batch * 5
        )
    if progress:
        progress(1.0)
    return result.counts


class _Snapshot:
    """``to_json`` memoised per field and value (dates and grades repeat a lot)."""

    def __init__(self):
        self.memo: dict[tuple, object] = {}

    def __call__(self, name: str, value):
        if value is None or isinstance(value, str | int):
            return value
        key = (name, value)
        try:
            return self.memo[key]
        except KeyError:
            result = self.memo[key] = to_json(value)
            return result
        except TypeError:
            return to_json(value)
