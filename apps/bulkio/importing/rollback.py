"""Undo an import exactly, or say which rows were changed since and refuse (409).

Reverse order of the change log: created rows are removed, updated rows get their
previous values back (including when they were last changed), removed rows come back.
A conflict is a row whose current values differ from what the import left, or a
created row that is already gone; ``force`` restores what it can regardless.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps as django_apps
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from apps.academics.audit import bulk_create_with_history
from apps.academics.models import Course, Student
from apps.bulkio.importing import fastinsert
from apps.bulkio.importing.plan import gc_paused
from apps.bulkio.importing.values import to_json
from apps.bulkio.models import ChangeAction, ImportJob

CHUNK = 5000


@dataclass
class Conflict:
    row: int
    model: str
    object_id: int
    reason: str
    fields: dict[str, dict]

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "model": self.model,
            "object_id": self.object_id,
            "reason": self.reason,
            "fields": self.fields,
        }


class RollbackConflict(Exception):
    def __init__(self, conflicts: list[Conflict]):
        super().__init__(f"{len(conflicts)} rows changed since the import")
        self.conflicts = conflicts


def _value(field: models.Field, value):
    return field.to_python(value) if value is not None else None


def _fields(model) -> dict[str, models.Field]:
    """Change records are keyed by attname (``student_id`` for a foreign key)."""
    return {field.attname: field for field in model._meta.concrete_fields}


def _current(model: type[models.Model], ids: list[int]) -> dict[int, dict]:
    """Every column of the rows still there, as plain dicts (no model instances)."""
    names = list(_fields(model))
    pk_name = model._meta.pk.attname
    found = {}
    for start in range(0, len(ids), CHUNK):
        for values in model._base_manager.filter(pk__in=ids[start : start + CHUNK]).values(*names):
            found[values[pk_name]] = values
    return found


class _Comparer:
    """Stored JSON values back to Python, once per distinct value and field."""

    def __init__(self, model):
        self.fields = _fields(model)
        self.memo: dict[tuple, object] = {}

    def diff(self, current: dict, after: dict) -> dict[str, dict]:
        diffs = {}
        for name, expected in (after or {}).items():
            try:
                key = (name, expected)
                value = self.memo[key]
            except KeyError:
                value = self.memo[key] = _value(self.fields[name], expected)
            except TypeError:  # unhashable JSON (evaluation rules)
                value = _value(self.fields[name], expected)
            if value != current[name]:
                diffs[name] = {"imported": expected, "current": to_json(current[name])}
        return diffs


def _dependents(model, ids: list[int]) -> set[int]:
    """Created students/courses that gained records from elsewhere since the import."""
    if model not in (Student, Course) or not ids:
        return set()
    link = "student_id" if model is Student else "course_id"
    found: set[int] = set()
    for related in (
        model.enrollments.rel.related_model,
        model.grades.rel.related_model,
        model.attendance.rel.related_model,
        model.daily_performance.rel.related_model,
    ):
        for start in range(0, len(ids), CHUNK):
            found.update(
                related.objects.filter(**{f"{link}__in": ids[start : start + CHUNK]})
                .values_list(link, flat=True)
                .distinct()
            )
    return found


def _changes_by_model(job: ImportJob) -> dict[str, list[tuple]]:
    by_model = defaultdict(list)
    for change in job.changes.order_by("-id").values_list(
        "row", "model", "object_id", "action", "before", "after"
    ):
        by_model[change[1]].append(change)
    return by_model


def find_conflicts(job: ImportJob, loaded=None) -> list[Conflict]:
    conflicts = []
    for label, (model, items, current) in (loaded or _load(job)).items():
        comparer = _Comparer(model)
        busy = _dependents(model, [i[2] for i in items if i[3] == ChangeAction.CREATE])
        for row, _label, object_id, action, _before, after in items:
            values = current.get(object_id)
            if action == ChangeAction.DELETE:
                if values is not None:
                    conflicts.append(Conflict(row, label, object_id, "exists_again", {}))
                continue
            if values is None:
                conflicts.append(Conflict(row, label, object_id, "deleted", {}))
                continue
            diffs = comparer.diff(values, after)
            if diffs:
                conflicts.append(Conflict(row, label, object_id, "changed", diffs))
            elif object_id in busy:
                conflicts.append(Conflict(row, label, object_id, "has_new_records", {}))
    conflicts.sort(key=lambda conflict: conflict.row)
    return conflicts


def _load(job: ImportJob) -> dict[str, tuple]:
    loaded = {}
    for label, items in _changes_by_model(job).items():
        model = django_apps.get_model(label)
        loaded[label] = (model, items, _current(model, [item[2] for item in items]))
    return loaded


def _history_deleted(model, rows: list[dict], *, actor, reason: str) -> None:
    history_model = model.history.model
    now = timezone.now()
    tracked = [field.attname for field in history_model.tracked_fields]
    records = [
        {
            **{name: row[name] for name in tracked},
            "history_date": now,
            "history_user_id": actor.pk if actor is not None else None,
            "history_change_reason": reason,
            "history_type": "-",
        }
        for row in rows
    ]
    if fastinsert.supported(history_model):
        fastinsert.insert_rows(history_model, records)
    else:
        history_model.objects.bulk_create(
            [history_model(**record) for record in records], batch_size=1000
        )


@transaction.atomic
def undo_changes(job: ImportJob, *, actor, force: bool) -> dict[str, int]:
    with gc_paused():
        return _undo(job, actor=actor, force=force)


def _undo(job: ImportJob, *, actor, force: bool) -> dict[str, int]:
    loaded = _load(job)
    conflicts = find_conflicts(job, loaded)
    if conflicts and not force:
        raise RollbackConflict(conflicts)
    reason = _("rollback of import #%(id)s") % {"id": job.pk}
    counts = {"removed": 0, "restored": 0, "recreated": 0}
    for model, items, current in loaded.values():
        counts["removed"] += _remove_created(model, items, current, actor=actor, reason=reason)
        counts["restored"] += _restore_updated(model, items, current, actor=actor, reason=reason)
        counts["recreated"] += _recreate_deleted(model, items, current, actor=actor, reason=reason)
    return counts


def _remove_created(model, items, current, *, actor, reason) -> int:
    ids = [i[2] for i in items if i[3] == ChangeAction.CREATE and i[2] in current]
    if not ids:
        return 0
    busy = _dependents(model, ids)
    plain = [pk for pk in ids if pk not in busy]
    # No signals: the history rows are written here, in bulk, with the actor.
    _history_deleted(model, [current[pk] for pk in plain], actor=actor, reason=reason)
    for start in range(0, len(plain), CHUNK):
        model._base_manager.filter(pk__in=plain[start : start + CHUNK])._raw_delete(
            model._base_manager.db
        )
    if busy:  # forced: records added since go too (cascade, with their own history)
        model._base_manager.filter(pk__in=list(busy)).delete()
    return len(ids)


def _restore_updated(model, items, current, *, actor, reason) -> int:
    befores = {i[2]: i[4] for i in items if i[3] == ChangeAction.UPDATE and i[2] in current}
    if not befores:
        return 0
    by_attname = _fields(model)
    objs = []
    fields: set[str] = set()
    ids = list(befores)
    for start in range(0, len(ids), CHUNK):
        for obj in model._base_manager.filter(pk__in=ids[start : start + CHUNK]):
            for name, value in befores[obj.pk].items():
                field = by_attname[name]
                setattr(obj, field.attname, _value(field, value))
                fields.add(field.name)
            objs.append(obj)
    manager = getattr(model, "all_objects", None) or model._default_manager
    # simple_history's own helper: unlike the audit wrapper it keeps the restored
    # ``updated_at`` instead of stamping the rollback time.
    bulk_update_with_history(
        objs,
        model,
        sorted(fields),
        batch_size=1000,
        default_user=actor,
        default_change_reason=reason,
        manager=manager,
    )
    return len(objs)


def _recreate_deleted(model, items, current, *, actor, reason) -> int:
    objs = []
    by_attname = _fields(model)
    for _row, _label, object_id, action, before, _after in items:
        if action != ChangeAction.DELETE or object_id in current:
            continue
        values = {name: _value(by_attname[name], value) for name, value in before.items()}
        objs.append(model(pk=object_id, **values))
    bulk_create_with_history(objs, model, actor=actor, change_reason=reason)
    return len(objs)
