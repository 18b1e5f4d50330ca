"""Validate many records at once, by the same rules as the single services.

Callers hand typed values keyed by field name (a file's cells already read, or any other
batch source); linked records (enrollments, grades, attendance) name their student and
course by natural key, ``student_id`` and ``course_code``. Set-based: natural keys are
resolved with one query per table (chunked for very large batches), existing rows,
enrollments and course rules are fetched in bulk, and each row is checked by the model's
own rules: the field validators ``clean_fields`` would run (``FieldRules``, memoised per
value because a batch repeats the same categories, dates and maxima) and the model's
``clean()`` itself, run on an unsaved instance fed the pre-fetched enrollments
(``_known_enrollments``) and course rules (``_known_course_rules``). So a batch and the
single services refuse the same values with the same words.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models.base import ModelState
from django.utils.translation import gettext as _

from apps.academics.models import Attendance, Course, Enrollment, Grade, Student
from apps.academics.validators import clean_evaluation_rules

NEW, UPDATE, SKIP, ERROR = "new", "update", "skip", "error"
LOOKUP_CHUNK = 5000

# The natural key of each record a batch can write, in order. ``student_id`` and
# ``course_code`` of a linked record are its student's and course's natural keys.
KEY_FIELDS: MappingProxyType[type[models.Model], tuple[str, ...]] = MappingProxyType(
    {
        Student: ("student_id",),
        Course: ("course_code",),
        Enrollment: ("student_id", "course_code"),
        Grade: ("student_id", "course_code", "assignment_name"),
        Attendance: ("student_id", "course_code", "date", "period_number"),
    }
)
# Messages about a linked record's student or course are about its natural key.
LINK_FIELDS = {"student": "student_id", "course": "course_code"}

Progress = Callable[[float], None]


@dataclass(slots=True)
class BatchRow:
    """One record of a batch: typed values in, the verdict out (set by ``validate_rows``).

    ``action`` is ``new``, ``update``, ``skip`` (nothing changes) or ``error``;
    ``errors`` are ``(field, message)`` pairs. A new row carries every column to insert
    in ``attrs``; an update carries the stored row in ``existing`` and what changes in
    ``after``.
    """

    values: dict[str, object]
    errors: list[tuple[str, str]] = field(default_factory=list)
    action: str = NEW
    key: tuple | None = None
    attrs: dict[str, object] | None = None
    existing: models.Model | None = None
    after: dict[str, object] | None = None


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Hundreds of thousands of small objects and no cycles: the collector only slows us."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def value_fields(model: type[models.Model]) -> list[str]:
    """The fields a batch may set: editable, not the id, not a link (given by natural key)."""
    return [
        field.name
        for field in model._meta.concrete_fields
        if field.editable and not field.primary_key and not field.is_relation
    ]


# --- Field rules ----------------------------------------------------------------------------
MEMO_LIMIT = 50_000


class FieldRules:
    """The model's own field rules, applied to plain values without building instances.

    Each field keeps the validators Django would run in ``clean_fields`` (max length,
    regexes, decimal digits, min/max, choices, blank/null) and their messages; results
    are memoised per (field, value), for the first MEMO_LIMIT distinct values: a file of
    distinct notes would otherwise keep an entry per row. The cross-field rules are the
    model's ``clean()``, run by ``validate_rows``. ``defaults`` are the values of a new row
    before the batch's own values are laid over it (a field without a default starts empty,
    so ``clean()`` can fill it, as it does for a grade's assigned date).
    """

    def __init__(self, model: type[models.Model], names: Iterable[str] | None = None):
        self.model = model
        names = value_fields(model) if names is None else names
        self.fields = {name: model._meta.get_field(name) for name in names}
        self.choices = {
            name: {str(value) for value, _label in field.flatchoices}
            for name, field in self.fields.items()
            if field.choices
        }
        self.memo: dict[tuple, list[str]] = {}
        self.defaults = {
            field.attname: field.get_default()
            for field in model._meta.concrete_fields
            if not field.primary_key
        }
        # A UUID default (a record's OneRoster sourcedId) is drawn for each new row.
        self.fresh = [
            (field.attname, field)
            for field in model._meta.concrete_fields
            if isinstance(field, models.UUIDField) and callable(field.default)
        ]

    def new_row(self) -> dict[str, object]:
        """The values a new row starts from: the defaults, a fresh UUID where one is due."""
        row = dict(self.defaults)
        for name, model_field in self.fresh:
            row[name] = model_field.get_default()
        return row

    def field_errors(self, name: str, value) -> list[str]:
        """The messages ``clean_fields`` would give for this value of this field."""
        try:
            # repr keeps Decimal("7.5") and Decimal("7.500") apart (decimal places differ).
            key = (name, value if isinstance(value, str) else repr(value))
            return self.memo[key]
        except KeyError:
            messages = self._check(name, value)
            if len(self.memo) < MEMO_LIMIT:
                self.memo[key] = messages
            return messages
        except TypeError:  # unhashable (evaluation rules)
            return self._check(name, value)

    def row_errors(self, values: dict[str, object]) -> list[tuple[str, str]]:
        """Every field message of a row's values (blank values are ``validate_rows``')."""
        found = []
        for name, value in values.items():
            if value is not None and name in self.fields:
                found.extend((name, message) for message in self.field_errors(name, value))
        return found

    def _check(self, name: str, value) -> list[str]:
        field = self.fields[name]
        if value is None:
            return [] if field.null else [str(field.error_messages["null"])]
        if value in field.empty_values:
            return [] if field.blank else [str(field.error_messages["blank"])]
        if name in self.choices and str(value) not in self.choices[name]:
            return [str(field.error_messages["invalid_choice"] % {"value": value})]
        messages = []
        for validator in field.validators:
            try:
                validator(value)
            except ValidationError as error:
                messages.extend(str(message) for message in error.messages)
        return messages


# --- Natural keys ---------------------------------------------------------------------------
def assign_keys(model: type[models.Model], rows: Iterable[BatchRow]) -> None:
    """Set each valid row's natural key (``KEY_FIELDS``); a missing part is a row error.

    A key part the model has a default for (an attendance's period) takes the default.
    """
    names = KEY_FIELDS[model]
    defaults = {}
    for name in names:
        with contextlib.suppress(FieldDoesNotExist):
            model_field = model._meta.get_field(name)
            if model_field.has_default() and not model_field.is_relation:
                defaults[name] = model_field.get_default()
    required = _("This value is required.")
    for row in rows:
        if row.errors:
            continue
        values = row.values
        key = tuple([values.get(name) for name in names])
        if None in key or "" in key:  # a part missing: its default, else an error
            key = tuple(
                defaults[name] if values.get(name) is None and name in defaults else part
                for name, part in zip(names, key, strict=True)
            )
            missing = [name for name, part in zip(names, key, strict=True) if part in (None, "")]
            row.errors.extend((name, required) for name in missing)
        if not row.errors:
            row.key = key


# --- Bulk lookups ---------------------------------------------------------------------------
def _chunks(items: Iterable, size: int = LOOKUP_CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class _Lookups:
    """Everything the rows' checks need, read in bulk before the first row is checked."""

    rules: FieldRules
    course_scope: Collection[int] | None = None
    students: dict[str, int] = field(default_factory=dict)
    courses: dict[str, int] = field(default_factory=dict)
    existing: dict[tuple, models.Model] = field(default_factory=dict)
    enrolled: set[tuple[int, int]] = field(default_factory=set)
    course_rules: dict[int, list] = field(default_factory=dict)
    email_owner: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(
        cls, model, rows: list[BatchRow], rules: FieldRules, course_scope, claimed_emails
    ) -> _Lookups:
        lookups = cls(rules=rules, course_scope=course_scope)
        if claimed_emails is not None:
            lookups.email_owner = claimed_emails
        if model is Student:
            lookups._load_students(rows)
        elif model is Course:
            codes = {row.values["course_code"] for row in rows}
            for chunk in _chunks(codes):
                for course in Course.objects.filter(course_code__in=chunk):
                    lookups.existing[(course.course_code,)] = course
        else:
            lookups._load_links(model, rows)
        return lookups

    def _load_students(self, rows: list[BatchRow]) -> None:
        ids = {row.values["student_id"] for row in rows}
        for chunk in _chunks(ids):
            for student in Student.objects.filter(student_id__in=chunk):
                self.existing[(student.student_id,)] = student
        emails = {row.values.get("email") for row in rows} - {None, ""}
        for chunk in _chunks(emails):
            self.email_owner.update(
                Student.objects.filter(email__in=chunk).values_list("email", "student_id")
            )

    def _load_links(self, model, rows: list[BatchRow]) -> None:
        student_ids = {row.values["student_id"] for row in rows}
        for chunk in _chunks(student_ids):
            self.students.update(
                Student.objects.filter(student_id__in=chunk).values_list("student_id", "pk")
            )
        codes = {row.values["course_code"] for row in rows}
        for chunk in _chunks(codes):
            self.courses.update(
                Course.objects.filter(course_code__in=chunk).values_list("course_code", "pk")
            )
        student_pks = [self.students[s] for s in student_ids if s in self.students]
        course_pks = [self.courses[c] for c in codes if c in self.courses]
        if model is Grade:
            # One query for the rules of every course of the batch (Grade.clean reads them).
            for chunk in _chunks(course_pks):
                self.course_rules.update(
                    Course.objects.filter(pk__in=chunk).values_list("pk", "evaluation_rules")
                )
        if not student_pks or not course_pks:
            return
        extra_keys = KEY_FIELDS[model][2:]
        key_fields = ("student_id", "course_id", *extra_keys)
        stored = model.objects.filter(course_id__in=course_pks)
        if extra_keys:
            # Only the batch's assignments (dates): a batch of a big file sorted by
            # assignment would otherwise read every grade of every student it names.
            first = extra_keys[0]
            stored = stored.filter(**{f"{first}__in": {row.values[first] for row in rows}})
        for chunk in _chunks(student_pks):
            for obj in stored.filter(student_id__in=chunk):
                self.existing[tuple(getattr(obj, name) for name in key_fields)] = obj
            if model is not Enrollment:
                self.enrolled.update(
                    Enrollment.objects.filter(
                        course_id__in=course_pks, student_id__in=chunk
                    ).values_list("student_id", "course_id")
                )


# --- Rows -----------------------------------------------------------------------------------
def validate_rows(
    model: type[models.Model],
    rows: Sequence[BatchRow],
    *,
    rules: FieldRules | None = None,
    check_fields: bool = True,
    course_scope: Collection[int] | None = None,
    claimed_emails: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> None:
    """Decide each row's action (new, update, skip, error) and its messages, in place.

    ``check_fields=False`` when the caller has already run ``rules.field_errors`` on the
    values (an importer does it once per distinct cell); ``course_scope`` is the course
    ids whose marks the writer may touch (None: every course). Rows that arrive with
    errors are left alone (marked ``error``). ``claimed_emails`` (email → student ID),
    passed from one call to the next, carries the emails a batch's students took into the
    next batch of the same file.
    """
    with gc_paused():
        rules = rules or FieldRules(model)
        if check_fields:
            for row in rows:
                if not row.errors:
                    row.errors.extend(rules.row_errors(row.values))
        assign_keys(model, (row for row in rows if row.key is None))
        valid = [row for row in rows if not row.errors]
        lookups = _Lookups.load(model, valid, rules, course_scope, claimed_emails)
        if progress:
            progress(0.25)
        validate = _VALIDATORS[model]
        total = len(rows) or 1
        for index, row in enumerate(rows, start=1):
            if not row.errors:
                validate(row, lookups)
            if row.errors:
                row.action = ERROR
            if progress and index % 5000 == 0:
                progress(0.25 + 0.75 * index / total)
        if progress:
            progress(1.0)


def _candidate(
    model, current: dict, assigned: dict, lookups: _Lookups, *, is_new: bool
) -> models.Model:
    """An unsaved instance over ``current``, built without ``Model.__init__``'s cost."""
    obj = model.__new__(model)
    attrs = obj.__dict__
    attrs.update(current)
    if not is_new and hasattr(obj, "_remember_stored"):
        obj._remember_stored()  # as if read from the database, like the single path's row
    attrs.update(assigned)
    attrs["_state"] = ModelState()
    attrs["_known_enrollments"] = lookups.enrolled
    attrs["_known_course_rules"] = lookups.course_rules
    return obj


_NOT_COLUMNS = ("_state", "_known_enrollments", "_known_course_rules")


def _evaluate(row: BatchRow, current: dict, is_new: bool, lookups: _Lookups) -> None:
    """Validate the row's values over ``current`` (defaults or the stored row)."""
    rules = lookups.rules
    assigned: dict[str, object] = {}
    fields = rules.fields
    for name, value in row.values.items():
        if name not in fields:
            continue
        if value is None and not fields[name].null:
            # An empty value keeps what is there (the default for a new row), if it may.
            model_field = fields[name]
            if is_new and not model_field.has_default() and not model_field.blank:
                row.errors.append((name, str(model_field.error_messages["blank"])))
            continue
        assigned[name] = value
    if row.errors:
        return
    candidate = _candidate(rules.model, current, assigned, lookups, is_new=is_new)
    try:
        candidate.clean()
    except ValidationError as error:
        row.errors.extend(_messages(error))
        return
    attrs = candidate.__dict__
    # clean() may normalise (emails, phones, evaluation rules): keep what it produced.
    for name in assigned:
        assigned[name] = attrs[name]
    if is_new:
        for name in _NOT_COLUMNS:
            del attrs[name]
        row.action = NEW
        row.attrs = attrs
        return
    changed = {name: value for name, value in assigned.items() if current[name] != value}
    row.action = UPDATE if changed else SKIP
    row.after = changed


def _messages(error: ValidationError) -> list[tuple[str, str]]:
    if not hasattr(error, "error_dict"):
        return [("", message) for message in error.messages]
    found = []
    for name, messages in error.message_dict.items():
        column = LINK_FIELDS.get(name, "" if name == NON_FIELD_ERRORS else name)
        found.extend((column, str(message)) for message in messages)
    return found


def _stored(obj: models.Model) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def unique_message(model: type[models.Model], name: str) -> str:
    """The words of the model's own unique constraint on ``name``."""
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields == (name,):
            return str(constraint.violation_error_message)
    raise LookupError(f"{model._meta.label} has no unique constraint on {name}")


def _validate_student(row: BatchRow, lookups: _Lookups) -> None:
    existing = lookups.existing.get(row.key)
    current = _stored(existing) if existing else lookups.rules.new_row()
    _evaluate(row, current, existing is None, lookups)
    if row.errors:
        return
    row.existing = existing
    email = row.attrs.get("email") if existing is None else row.after.get("email")
    if email is None:
        return
    owner = lookups.email_owner.get(email)
    if owner is not None and owner != row.values["student_id"]:
        row.errors.append(("email", unique_message(Student, "email")))
        row.action = ERROR
        return
    lookups.email_owner[email] = row.values["student_id"]


def _validate_course(row: BatchRow, lookups: _Lookups) -> None:
    existing = lookups.existing.get(row.key)
    current = _stored(existing) if existing else lookups.rules.new_row()
    if existing is not None:
        # Rules saved before defaults were filled in still mean the same rules.
        with contextlib.suppress(ValidationError):
            current["evaluation_rules"] = clean_evaluation_rules(current["evaluation_rules"])
    _evaluate(row, current, existing is None, lookups)
    row.existing = existing


def _validate_linked(row: BatchRow, lookups: _Lookups) -> None:
    student_pk = lookups.students.get(row.values["student_id"])
    course_pk = lookups.courses.get(row.values["course_code"])
    if student_pk is None:
        row.errors.append(
            ("student_id", _("No student with ID “%(id)s”.") % {"id": row.values["student_id"]})
        )
    if course_pk is None:
        row.errors.append(
            (
                "course_code",
                _("No course with code “%(code)s”.") % {"code": row.values["course_code"]},
            )
        )
    elif lookups.course_scope is not None and course_pk not in lookups.course_scope:
        row.errors.append(("course_code", _("You do not teach this course.")))
    if row.errors:
        return
    key = (student_pk, course_pk, *row.key[2:])
    existing = lookups.existing.get(key)
    if existing is not None:
        current = _stored(existing)
    else:
        current = lookups.rules.new_row()
        current["student_id"], current["course_id"] = student_pk, course_pk
    _evaluate(row, current, existing is None, lookups)
    row.existing = existing


_VALIDATORS = {
    Student: _validate_student,
    Course: _validate_course,
    Enrollment: _validate_linked,
    Grade: _validate_linked,
    Attendance: _validate_linked,
}
