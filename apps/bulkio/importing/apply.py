"""Write a plan through academics' batch writer, with the import's change log.

The rows, their history and the change hook are academics' (``write_rows``); what stays
here is the ``ImportChange`` record of every row written, which rollback and conflict
detection read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.academics.batch import fastinsert, write_rows
from apps.bulkio.importing.plan import NEW, UPDATE, Plan, RowPlan
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


class PlanWriter:
    """Writes a plan batch by batch (``build_plan(on_batch=writer.write)``), each batch's
    rows with their change records; the caller holds the transaction around all of them."""

    def __init__(self, model: type[models.Model], *, job: ImportJob, actor, origin: str):
        self.model = model
        self.job = job
        self.actor = actor
        self.origin = origin
        self.counts = {NEW: 0, UPDATE: 0}
        self.names: list[str] | None = None
        self.snap = _Snapshot()

    def write(self, plan: Plan, rows: list[RowPlan]) -> None:
        if self.names is None:
            # What a created row keeps for conflict checks: its links and the file's columns.
            self.names = [
                n for n in tracked_fields(self.model) if n in plan.present or n in LINK_ATTNAMES
            ]
        batch = settings.SMS_BULKIO_BATCH_SIZE
        result = write_rows(
            self.model,
            rows,
            actor=self.actor,
            change_reason=CHANGE_REASON % self.job.pk,
            source="import",
            origin=self.origin,
            batch_size=batch,
        )
        self.counts[NEW] += len(result.created_ids)
        self.counts[UPDATE] += len(result.updates)
        self._record(rows, result, batch)

    def _record(self, rows: list[RowPlan], result, batch: int) -> None:
        job_id, label, names, snap = self.job.pk, self.model._meta.label, self.names, self.snap
        created = [row for row in rows if row.action == NEW]
        changes: list[dict] = [
            {
                "job_id": job_id,
                "row": row.row,
                "model": label,
                "object_id": pk,
                "action": ChangeAction.CREATE,
                "before": None,
                "after": {name: snap(name, row.attrs[name]) for name in names},
            }
            for row, pk in zip(created, result.created_ids, strict=True)
        ]
        updated_rows = (row.row for row in rows if row.action == UPDATE)
        changes.extend(
            {
                "job_id": job_id,
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
