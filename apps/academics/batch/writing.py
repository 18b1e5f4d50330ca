"""Write validated rows: inserts and updates in batches, each with its history record.

The batch half of the services' writes. Bulk inserts and updates skip ``save()`` and its
signals, so the history records the models keep (django-simple-history) are written here
with the rows, stamped with the actor and the change reason, and what was written is
announced once through the change hook (``apps.academics.changes``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models.base import ModelState
from django.utils import timezone

from apps.academics import changes, posting
from apps.academics.audit import (
    DEFAULT_BATCH_SIZE,
    bulk_create_with_history,
    bulk_update_with_history,
)
from apps.academics.batch import fastinsert
from apps.academics.batch.validation import NEW, UPDATE, BatchRow, Progress, gc_paused
from apps.academics.models import (
    Attendance,
    AttendanceStatus,
    Course,
    Grade,
    GradePosting,
    Student,
)
from apps.academics.signals import KIND_BY_MODEL
from apps.accounts.models import User


@dataclass(frozen=True, slots=True)
class RowUpdate:
    """One updated row: the stored values of the fields that changed (and of the
    timestamps the write bumps, ``updated_at``) before the write, and their new values."""

    pk: int
    before: dict[str, object]
    after: dict[str, object]


@dataclass(frozen=True)
class WriteResult:
    """What ``write_rows`` wrote: the new rows' ids in row order, then the updates."""

    created_ids: list[int]
    updates: list[RowUpdate]

    @property
    def counts(self) -> dict[str, int]:
        return {"new": len(self.created_ids), "update": len(self.updates)}


def build_instance(model: type[models.Model], attrs: dict) -> models.Model:
    """An unsaved instance from validated attributes, without ``Model.__init__``'s cost."""
    obj = model.__new__(model)
    obj._state = ModelState()
    obj.__dict__.update(attrs)
    obj.pk = None
    return obj


def write_rows(
    model: type[models.Model],
    rows: Sequence[BatchRow],
    *,
    actor: User | None,
    change_reason: str,
    source: str,
    origin: str = "",
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> WriteResult:
    """Insert the ``new`` rows and update the ``update`` rows of a validated batch.

    Other rows are left out. Atomic; history records carry ``actor`` and
    ``change_reason``; the change hook hears of the rows with ``source`` (``import``,
    ``seed`` …) and ``origin`` (what caused them, e.g. ``import:12``), with the grades
    posted and the new absences for the notice rules.
    """
    created = [row.attrs for row in rows if row.action == NEW]
    updated = [row for row in rows if row.action == UPDATE]
    with gc_paused(), changes.write_source(source, origin=origin), transaction.atomic():
        if model is Grade:
            _apply_posting(created, updated)
        ids = _create(model, created, actor, change_reason, batch_size, progress)
        updates, linked_before = _update(model, updated, actor, change_reason, batch_size)
        _announce(model, created, ids, updated, updates, linked_before, actor, source, origin)
    if progress:
        progress(1.0)
    return WriteResult(created_ids=ids, updates=updates)


def _apply_posting(created: list[dict], updated: list[BatchRow]) -> None:
    """The course's posting policy (``apps.academics.posting``), as the single services
    apply it: in a manual course new and changed grades land hidden."""
    course_ids = {attrs["course_id"] for attrs in created}
    course_ids.update(row.existing.course_id for row in updated)
    manual = posting.manual_course_ids(course_ids) if course_ids else set()

    def policy(course_id: int) -> str:
        return GradePosting.MANUAL if course_id in manual else GradePosting.AUTOMATIC

    now = timezone.now()
    for attrs in created:
        # Posted when written (a preview's rows may have been validated long before).
        attrs["posted_at"] = posting.posted_at_for_new(policy(attrs["course_id"]), now)
    for row in updated:
        stored = row.existing.posted_at
        posted_at = posting.posted_at_for_change(policy(row.existing.course_id), stored, now)
        if posted_at != stored:
            row.after["posted_at"] = posted_at  # in ``before`` too: a rollback restores it


def _create(model, rows: list[dict], actor, reason: str, batch_size: int, progress) -> list[int]:
    if not rows:
        return []
    if fastinsert.supported(model):
        return _insert_created(model, rows, actor, reason, progress)
    objs = [build_instance(model, attrs) for attrs in rows]
    bulk_create_with_history(objs, model, actor=actor, batch_size=batch_size, change_reason=reason)
    if progress:
        progress(0.75)
    return [obj.pk for obj in objs]


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
        progress(0.5)
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
        progress(0.75)
    return ids


def _update(model, rows: list[BatchRow], actor, reason: str, batch_size: int):
    """Apply ``after`` to the stored rows; returns the updates and the links they had."""
    if not rows:
        return [], []
    stamped = [f.attname for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
    linked = model not in (Student, Course)
    updates: list[RowUpdate] = []
    linked_before: list[tuple] = []
    fields: set[str] = set()
    for row in rows:
        obj = row.existing
        before = {name: getattr(obj, name) for name in row.after}
        for name in stamped:
            before[name] = getattr(obj, name)
        if linked:
            linked_before.append((obj.student_id, obj.course_id))
        for name, value in row.after.items():
            setattr(obj, name, value)
        fields.update(row.after)
        updates.append(RowUpdate(pk=obj.pk, before=before, after=row.after))
    bulk_update_with_history(
        [row.existing for row in rows],
        model,
        sorted(fields),
        actor=actor,
        batch_size=batch_size,
        change_reason=reason,
    )
    return updates, linked_before


def _announce(model, created, ids, updated, updates, linked_before, actor, source, origin):
    """One record in the change hook for the whole batch (sent once, on commit)."""
    if not ids and not updates:
        return
    student_ids: set[int] = set()
    course_ids: set[int] = set()
    if model is Student:
        student_ids.update(ids)
        student_ids.update(update.pk for update in updates)
    elif model is Course:
        course_ids.update(ids)
        course_ids.update(update.pk for update in updates)
    else:
        student_ids.update(attrs["student_id"] for attrs in created)
        course_ids.update(attrs["course_id"] for attrs in created)
        # Now and before: a record moved to another student or course touches both.
        for row in updated:
            student_ids.add(row.existing.student_id)
            course_ids.add(row.existing.course_id)
        for student_id, course_id in linked_before:
            student_ids.add(student_id)
            course_ids.add(course_id)
    grades_posted: dict[int, bool] = {}
    absences: dict[int, str | None] = {}
    if model is Grade:
        # Only what the students can see: hidden grades are announced when posted.
        grades_posted = {
            pk: False
            for pk, attrs in zip(ids, created, strict=True)
            if attrs["posted_at"] is not None
        }
        grades_posted.update(
            (row.existing.pk, True) for row in updated if row.existing.posted_at is not None
        )
    elif model is Attendance:
        absences = _new_absences(created, ids, updates)
    changes.record_change(
        kinds=[KIND_BY_MODEL[model]],
        student_ids=student_ids,
        course_ids=course_ids,
        actor=actor,
        source=source,
        origin=origin,
        grades_posted=grades_posted,
        absences=absences,
    )


def _new_absences(created, ids, updates) -> dict[int, str | None]:
    """Marks that are absences now and were not before: id → the status before (or None)."""
    absent = AttendanceStatus.ABSENT
    found: dict[int, str | None] = {
        pk: None for pk, attrs in zip(ids, created, strict=True) if attrs["status"] == absent
    }
    for update in updates:
        if update.after.get("status") == absent and update.before["status"] != absent:
            found[update.pk] = update.before["status"]
    return found
