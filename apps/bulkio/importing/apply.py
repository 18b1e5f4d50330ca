"""Write a plan: creates and updates in batches, history rows with the actor, change log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.base import ModelState
from django.utils import timezone

from apps.academics.audit import bulk_create_with_history, bulk_update_with_history
from apps.bulkio.importing import fastinsert
from apps.bulkio.importing.plan import NEW, UPDATE, Plan, Progress
from apps.bulkio.importing.values import to_json
from apps.bulkio.models import ChangeAction, ImportChange, ImportJob

CHANGE_REASON = "import #%s"


def tracked_fields(model: type[models.Model]) -> list[str]:
    """The columns a change record keeps: every concrete field but the id and timestamps."""
    return [
        field.attname
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in ("created_at", "updated_at")
    ]


def snapshot(obj: models.Model, names: list[str]) -> dict:
    return {name: to_json(getattr(obj, name)) for name in names}


def build_instance(model: type[models.Model], attrs: dict) -> models.Model:
    """An unsaved instance from validated attributes, without ``Model.__init__``'s cost."""
    obj = model.__new__(model)
    obj._state = ModelState()
    obj.__dict__.update(attrs)
    obj.pk = None
    return obj


def write_plan(plan: Plan, *, job: ImportJob, actor, progress: Progress | None = None) -> dict:
    """Caller holds the transaction. Returns the counts of rows written."""
    model = plan.spec.model
    batch = settings.SMS_BULKIO_BATCH_SIZE
    reason = CHANGE_REASON % job.pk
    label = model._meta.label
    created = [row for row in plan.rows if row.action == NEW]
    updated = [row for row in plan.rows if row.action == UPDATE]
    # What a created row keeps for conflict checks: its links and the file's columns.
    names = [n for n in tracked_fields(model) if n in plan.present or n in LINK_ATTNAMES]
    snap = _Snapshot()
    changes: list[dict] = []

    if created:
        if fastinsert.supported(model):
            ids = _insert_created(model, [row.attrs for row in created], actor, reason, progress)
        else:
            objs = [build_instance(model, row.attrs) for row in created]
            bulk_create_with_history(
                objs, model, actor=actor, batch_size=batch, change_reason=reason
            )
            ids = [obj.pk for obj in objs]
        for row, pk in zip(created, ids, strict=True):
            changes.append(
                {
                    "job_id": job.pk,
                    "row": row.row,
                    "model": label,
                    "object_id": pk,
                    "action": ChangeAction.CREATE,
                    "before": None,
                    "after": {name: snap(name, row.attrs[name]) for name in names},
                }
            )

    if updated:
        fields: set[str] = set()
        for row in updated:
            obj = row.existing
            before = {name: to_json(getattr(obj, name)) for name in row.after}
            before["updated_at"] = to_json(obj.updated_at)
            for name, value in row.after.items():
                setattr(obj, name, value)
            fields.update(row.after)
            changes.append(
                {
                    "job_id": job.pk,
                    "row": row.row,
                    "model": label,
                    "object_id": obj.pk,
                    "action": ChangeAction.UPDATE,
                    "before": before,
                    "after": {name: to_json(value) for name, value in row.after.items()},
                }
            )
        bulk_update_with_history(
            [row.existing for row in updated],
            model,
            sorted(fields),
            actor=actor,
            batch_size=batch,
            change_reason=reason,
        )
    if progress:
        progress(0.8)
    if fastinsert.supported(ImportChange):
        fastinsert.insert_rows(ImportChange, changes)
    else:
        ImportChange.objects.bulk_create(
            [ImportChange(**change) for change in changes], batch_size=batch * 5
        )
    if progress:
        progress(1.0)
    return {"new": len(created), "update": len(updated)}


def _insert_created(model, rows: list[dict], actor, reason: str, progress) -> list[int]:
    """The rows and their ``+`` history records, stamped as ``save()`` would stamp them."""
    now = timezone.now()
    stamped = [
        field.attname
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    for row in rows:
        for name in stamped:
            row[name] = now
    ids = fastinsert.insert_rows(model, rows)
    if progress:
        progress(0.4)
    history_model = model.history.model
    tracked = [field.attname for field in history_model.tracked_fields]
    actor_id = actor.pk if actor is not None else None
    fastinsert.insert_rows(
        history_model,
        [
            {
                **{name: row[name] for name in tracked},
                "history_date": now,
                "history_user_id": actor_id,
                "history_change_reason": reason,
                "history_type": "+",
            }
            for row in rows
        ],
    )
    if progress:
        progress(0.6)
    return ids


LINK_ATTNAMES = {"student_id", "course_id"}


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
