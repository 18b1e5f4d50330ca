"""Undo a batch: remove the rows it created, restore the rows it updated, recreate the
rows it removed — each with its history record, stamped with the actor and the reason.

Deciding what to undo (and refusing when rows changed since) is the caller's: it keeps
the change log. What was undone is announced once through the change hook, with the
origin of the undone writes in ``reverted_origins`` (so their notices can be withdrawn).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from apps.academics import changes
from apps.academics.audit import DEFAULT_BATCH_SIZE, bulk_create_with_history
from apps.academics.batch import fastinsert
from apps.academics.batch.validation import gc_paused
from apps.academics.models import Course, Student
from apps.academics.signals import KIND_BY_MODEL
from apps.accounts.models import User

CHUNK = 5000


@dataclass(frozen=True)
class RevertResult:
    removed: int
    restored: int
    recreated: int


def stored_rows(model: type[models.Model], ids: Iterable[int]) -> dict[int, dict]:
    """Every column (by attname) of the rows still there, soft-deleted ones included."""
    ids = list(ids)
    names = [field.attname for field in model._meta.concrete_fields]
    pk_name = model._meta.pk.attname
    found = {}
    for start in range(0, len(ids), CHUNK):
        for values in model._base_manager.filter(pk__in=ids[start : start + CHUNK]).values(*names):
            found[values[pk_name]] = values
    return found


def dependent_ids(model: type[models.Model], ids: Iterable[int]) -> set[int]:
    """Students or courses among ``ids`` that have records (enrollments, marks) linked to
    them; removing them removes those records too."""
    ids = list(ids)
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


def revert_rows(
    model: type[models.Model],
    *,
    remove: Iterable[int] = (),
    restore: Mapping[int, dict] | None = None,
    recreate: Mapping[int, dict] | None = None,
    stored: Mapping[int, dict] | None = None,
    actor: User | None,
    change_reason: str,
    origin: str,
    source: str = "rollback",
) -> RevertResult:
    """Remove the rows ``remove`` names, give the rows of ``restore`` (id → attname →
    value) those values back — ``updated_at`` included, as it was — and insert the rows of
    ``recreate`` (id → every column) again under their old ids.

    ``stored`` may pass the rows' current columns (``stored_rows``) when the caller has
    read them already. Removed students or courses that gained records since take those
    records with them. ``origin`` names the writes being undone (``import:12``).
    """
    restore = restore or {}
    recreate = recreate or {}
    remove = list(remove)
    with gc_paused(), changes.write_source(source), transaction.atomic():
        if stored is None:
            stored = stored_rows(model, remove)
        touched: list[dict] = []
        removed = _remove(model, remove, stored, actor, change_reason, touched)
        restored = _restore(model, restore, actor, change_reason, touched)
        recreated = _recreate(model, recreate, actor, change_reason, touched)
        _announce(model, touched, actor=actor, source=source, origin=origin)
    return RevertResult(removed=removed, restored=restored, recreated=recreated)


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
            [history_model(**record) for record in records], batch_size=DEFAULT_BATCH_SIZE
        )


def _remove(model, remove: list[int], stored, actor, reason: str, touched: list) -> int:
    ids = [pk for pk in remove if pk in stored]
    if not ids:
        return 0
    busy = dependent_ids(model, ids)
    plain = [pk for pk in ids if pk not in busy]
    touched.extend(stored[pk] for pk in ids)
    # No signals: the history rows are written here, in bulk, with the actor.
    _history_deleted(model, [stored[pk] for pk in plain], actor=actor, reason=reason)
    for start in range(0, len(plain), CHUNK):
        model._base_manager.filter(pk__in=plain[start : start + CHUNK])._raw_delete(
            model._base_manager.db
        )
    if busy:  # the records added since go too (cascade, with their own history)
        model._base_manager.filter(pk__in=list(busy)).delete()
    return len(ids)


def _restore(model, restore: Mapping[int, dict], actor, reason: str, touched: list) -> int:
    if not restore:
        return 0
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    objs = []
    fields: set[str] = set()
    ids = list(restore)
    for start in range(0, len(ids), CHUNK):
        for obj in model._base_manager.filter(pk__in=ids[start : start + CHUNK]):
            touched.append(_links(obj.__dict__))
            for name, value in restore[obj.pk].items():
                setattr(obj, name, value)
                fields.add(by_attname[name].name)
            touched.append(_links(obj.__dict__))
            objs.append(obj)
    manager = getattr(model, "all_objects", None) or model._default_manager
    # simple_history's own helper: unlike the audit wrapper it keeps the restored
    # ``updated_at`` instead of stamping the time of the undo.
    bulk_update_with_history(
        objs,
        model,
        sorted(fields),
        batch_size=DEFAULT_BATCH_SIZE,
        default_user=actor,
        default_change_reason=reason,
        manager=manager,
    )
    return len(objs)


def _recreate(model, recreate: Mapping[int, dict], actor, reason: str, touched: list) -> int:
    objs = [model(pk=pk, **values) for pk, values in recreate.items()]
    touched.extend(_links({**values, "id": pk}) for pk, values in recreate.items())
    bulk_create_with_history(objs, model, actor=actor, change_reason=reason)
    return len(objs)


def _links(values: dict) -> dict:
    return {name: values.get(name) for name in ("id", "student_id", "course_id")}


def _announce(model, touched: list[dict], *, actor, source: str, origin: str) -> None:
    if not touched:
        return
    if model is Student:
        student_ids, course_ids = {values["id"] for values in touched}, set()
    elif model is Course:
        student_ids, course_ids = set(), {values["id"] for values in touched}
    else:
        student_ids = {values["student_id"] for values in touched}
        course_ids = {values["course_id"] for values in touched}
    changes.record_change(
        kinds=[KIND_BY_MODEL[model]],
        student_ids=student_ids,
        course_ids=course_ids,
        actor=actor,
        source=source,
        reverted_origins=[origin],
    )
