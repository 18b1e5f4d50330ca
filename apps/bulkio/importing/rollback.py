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


def _current(model: type[models.Model], ids: list[int]) -> dict[int, models.Model]:
    found = {}
    for start in range(0, len(ids), CHUNK):
        for obj in model._base_manager.filter(pk__in=ids[start : start + CHUNK]):
            found[obj.pk] = obj
    return found


def _fields(model) -> dict[str, models.Field]:
    """Change records are keyed by attname (``student_id`` for a foreign key)."""
    return {field.attname: field for field in model._meta.concrete_fields}


def _diff(model, obj, after: dict) -> dict[str, dict]:
    fields = _fields(model)
    diffs = {}
    for name, expected in (after or {}).items():
        field = fields[name]
        current = getattr(obj, field.attname)
        if _value(field, expected) != current:
            diffs[name] = {"imported": expected, "current": to_json(current)}
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


def find_conflicts(job: ImportJob) -> list[Conflict]:
    changes = list(
        job.changes.order_by("-id").values_list(
            "row", "model", "object_id", "action", "before", "after"
        )
    )
    conflicts = []
    by_model = defaultdict(list)
    for change in changes:
        by_model[change[1]].append(change)
    for label, items in by_model.items():
        model = django_apps.get_model(label)
        current = _current(model, [item[2] for item in items])
        created_ids = [item[2] for item in items if item[3] == ChangeAction.CREATE]
        busy = _dependents(model, created_ids)
        for row, _label, object_id, action, _before, after in items:
            obj = current.get(object_id)
            if action == ChangeAction.DELETE:
                if obj is not None:
                    conflicts.append(Conflict(row, label, object_id, "exists_again", {}))
                continue
            if obj is None:
                conflicts.append(Conflict(row, label, object_id, "deleted", {}))
                continue
            diffs = _diff(model, obj, after)
            if diffs:
                conflicts.append(Conflict(row, label, object_id, "changed", diffs))
            elif object_id in busy:
                conflicts.append(Conflict(row, label, object_id, "has_new_records", {}))
    conflicts.sort(key=lambda conflict: conflict.row)
    return conflicts


def _history_deleted(model, objs: list[models.Model], *, actor, reason: str) -> None:
    history_model = model.history.model
    now = timezone.now()
    rows = [
        history_model(
            history_date=now,
            history_user=actor,
            history_change_reason=reason,
            history_type="-",
            **{
                field.attname: getattr(obj, field.attname) for field in history_model.tracked_fields
            },
        )
        for obj in objs
    ]
    history_model.objects.bulk_create(rows, batch_size=1000)


@transaction.atomic
def undo_changes(job: ImportJob, *, actor, force: bool) -> dict[str, int]:
    conflicts = find_conflicts(job)
    if conflicts and not force:
        raise RollbackConflict(conflicts)
    reason = _("rollback of import #%(id)s") % {"id": job.pk}
    changes = list(
        job.changes.order_by("-id").values_list("model", "object_id", "action", "before")
    )
    counts = {"removed": 0, "restored": 0, "recreated": 0}
    by_model = defaultdict(list)
    for change in changes:
        by_model[change[0]].append(change)
    for label, items in by_model.items():
        model = django_apps.get_model(label)
        current = _current(model, [item[1] for item in items])
        counts["removed"] += _remove_created(model, items, current, actor=actor, reason=reason)
        counts["restored"] += _restore_updated(model, items, current, actor=actor, reason=reason)
        counts["recreated"] += _recreate_deleted(model, items, current, actor=actor, reason=reason)
    return counts


def _remove_created(model, items, current, *, actor, reason) -> int:
    objs = [current[i[1]] for i in items if i[2] == ChangeAction.CREATE and i[1] in current]
    if not objs:
        return 0
    ids = [obj.pk for obj in objs]
    busy = _dependents(model, ids)
    plain = [obj for obj in objs if obj.pk not in busy]
    # No signals: the history rows are written here, in bulk, with the actor.
    _history_deleted(model, plain, actor=actor, reason=reason)
    plain_ids = [obj.pk for obj in plain]
    for start in range(0, len(plain_ids), CHUNK):
        model._base_manager.filter(pk__in=plain_ids[start : start + CHUNK])._raw_delete(
            model._base_manager.db
        )
    if busy:  # forced: records added since go too (cascade, with their own history)
        model._base_manager.filter(pk__in=list(busy)).delete()
    return len(objs)


def _restore_updated(model, items, current, *, actor, reason) -> int:
    objs = []
    fields: set[str] = set()
    by_attname = _fields(model)
    for _label, object_id, action, before in items:
        obj = current.get(object_id)
        if action != ChangeAction.UPDATE or obj is None:
            continue
        for name, value in before.items():
            field = by_attname[name]
            setattr(obj, field.attname, _value(field, value))
            fields.add(field.name)
        objs.append(obj)
    if objs:
        manager = getattr(model, "all_objects", None) or model._default_manager
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
    for _label, object_id, action, before in items:
        if action != ChangeAction.DELETE or object_id in current:
            continue
        values = {name: _value(by_attname[name], value) for name, value in before.items()}
        objs.append(model(pk=object_id, **values))
    bulk_create_with_history(objs, model, actor=actor, change_reason=reason)
    return len(objs)
