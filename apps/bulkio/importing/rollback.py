"""Undo an import exactly, or say which rows were changed since and refuse (409).

Reverse order of the change log: created rows are removed, updated rows get their
previous values back (including when they were last changed), removed rows come back.
A conflict is a row whose current values differ from what the import left, or a
created row that is already gone; ``force`` restores what it can regardless. The writes
themselves are academics' (``apps.academics.batch.revert_rows``); this module reads the
change log, finds the conflicts and turns the recorded JSON back into values.

Scope is checked again at rollback time, before the conflicts: every row the rollback
would touch must be writable by the person rolling back *now* (a teacher's marks in the
courses they currently teach; admins everything). One row outside is enough to refuse
the whole rollback (``RollbackOutOfScope``, answered 403) with nothing written: a teacher
who lost a course since the import cannot remove or restore marks in it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps as django_apps
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.academics import scoping
from apps.academics.batch import dependent_ids, gc_paused, revert_rows, stored_rows
from apps.academics.batch.reverting import RevertResult
from apps.academics.models import (
    Attendance,
    Course,
    DailyPerformance,
    Enrollment,
    Grade,
    Student,
)
from apps.academics.services import course_set_teachers
from apps.accounts.models import User
from apps.bulkio.importing.values import to_json
from apps.bulkio.models import ChangeAction, ImportChange, ImportJob
from apps.bulkio.oneroster import accounts as oneroster_accounts


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


class RollbackOutOfScope(Exception):
    """Rows the rollback would touch are outside what the acting user may write now."""

    def __init__(self, rows: list[int]):
        self.rows = rows
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return ngettext(
            "%(count)s row of this import is in a course you do not teach now; nothing was "
            "rolled back. Ask an administrator to roll the import back.",
            "%(count)s rows of this import are in courses you do not teach now; nothing was "
            "rolled back. Ask an administrator to roll the import back.",
            len(self.rows),
        ) % {"count": len(self.rows)}


# The records a teacher may write (in their own courses); everything else is admins'.
MARK_MODELS = (Grade, Attendance, DailyPerformance)


def _value(field: models.Field, value):
    return field.to_python(value) if value is not None else None


def _fields(model) -> dict[str, models.Field]:
    """Change records are keyed by attname (``student_id`` for a foreign key)."""
    return {field.attname: field for field in model._meta.concrete_fields}


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
        busy = _busy(job, model, [i[2] for i in items if i[3] == ChangeAction.CREATE])
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


def _busy(job: ImportJob, model, created: list[int]) -> set[int]:
    """Created students or courses that gained records since: records the same import
    created (a OneRoster package writes a student and their enrollments) go with it."""
    busy = dependent_ids(model, created)
    if not busy:
        return busy
    link = "student_id" if model is Student else "course_id"
    since: set[int] = set()
    for related in (Enrollment, Grade, Attendance, DailyPerformance):
        own = ImportChange.objects.filter(
            job=job, model=related._meta.label, action=ChangeAction.CREATE
        ).values("object_id")
        since.update(
            related.objects.filter(**{f"{link}__in": list(busy)})
            .exclude(pk__in=own)
            .values_list(link, flat=True)
            .distinct()
        )
    return since


def rows_out_of_scope(loaded: dict[str, tuple], actor) -> list[int]:
    """File rows whose record the actor may not write now: a mark in a course they do not
    teach (the course the row is in now, and the one it was in before or after the import),
    or any other kind of record for anyone but an admin."""
    allowed = scoping.markable_course_ids(actor)
    if allowed is None:
        return []
    rows: set[int] = set()
    for model, items, current in loaded.values():
        if model not in MARK_MODELS:
            rows.update(item[0] for item in items)
            continue
        for row, _label, object_id, _action, before, after in items:
            courses = {
                (current.get(object_id) or {}).get("course_id"),
                (before or {}).get("course_id"),
                (after or {}).get("course_id"),
            }
            courses.discard(None)
            if not courses <= allowed:
                rows.add(row)
    return sorted(rows)


def _load(job: ImportJob) -> dict[str, tuple]:
    loaded = {}
    for label, items in _changes_by_model(job).items():
        model = django_apps.get_model(label)
        loaded[label] = (model, items, stored_rows(model, [item[2] for item in items]))
    return loaded


@transaction.atomic
def undo_changes(job: ImportJob, *, actor, force: bool, source: str, origin: str) -> dict[str, int]:
    with gc_paused():
        return _undo(job, actor=actor, force=force, source=source, origin=origin)


def _undo(job: ImportJob, *, actor, force: bool, source: str, origin: str) -> dict[str, int]:
    loaded = _load(job)
    out_of_scope = rows_out_of_scope(loaded, actor)
    if out_of_scope:
        raise RollbackOutOfScope(out_of_scope)
    conflicts = find_conflicts(job, loaded)
    if conflicts and not force:
        raise RollbackConflict(conflicts)
    reason = _("rollback of import #%(id)s") % {"id": job.pk}
    counts = {"removed": 0, "restored": 0, "recreated": 0}
    for model, items, current in loaded.values():
        result = _revert(
            model, items, current, actor=actor, reason=reason, source=source, origin=origin
        )
        counts["removed"] += result.removed
        counts["restored"] += result.restored
        counts["recreated"] += result.recreated
    return counts


def _revert(model, items, current, *, actor, reason: str, source: str, origin: str):
    """The change records of one model → academics' batch undo of those rows."""
    if model is Course.teachers.through:
        return _unlink_teachers(items, current, actor=actor)
    if model is User:  # accounts a OneRoster package created
        return oneroster_accounts.remove_created(items, current)
    fields = _fields(model)
    remove: list[int] = []
    restore: dict[int, dict] = {}
    recreate: dict[int, dict] = {}
    for _row, _label, object_id, action, before, _after in items:
        if action == ChangeAction.CREATE and object_id in current:
            remove.append(object_id)
        elif action == ChangeAction.UPDATE and object_id in current:
            restore[object_id] = {name: _value(fields[name], v) for name, v in before.items()}
        elif action == ChangeAction.DELETE and object_id not in current:
            recreate[object_id] = {name: _value(fields[name], v) for name, v in before.items()}
    return revert_rows(
        model,
        remove=remove,
        restore=restore,
        recreate=recreate,
        stored=current,
        actor=actor,
        change_reason=reason,
        source=source,
        origin=origin,
    )


def _unlink_teachers(items, current, *, actor) -> RevertResult:
    """Teachers an import added to courses (a OneRoster package) leave them again, through
    the course service, so the courses' history records it."""
    by_course: dict[int, set[int]] = defaultdict(set)
    for _row, _label, object_id, action, _before, _after in items:
        if action == ChangeAction.CREATE and object_id in current:
            link = current[object_id]
            by_course[link["course_id"]].add(link["user_id"])
    for course in Course.all_objects.filter(pk__in=by_course).prefetch_related("teachers"):
        kept = [user for user in course.teachers.all() if user.pk not in by_course[course.pk]]
        course_set_teachers(course=course, teachers=kept, actor=actor)
    removed = sum(len(users) for users in by_course.values())
    return RevertResult(removed=removed, restored=0, recreated=0)
