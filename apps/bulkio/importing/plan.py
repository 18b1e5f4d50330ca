"""The dry run: every row of a file turned into an action (new, update, skip, error).

Set-based: natural keys are resolved with one query per table (chunked for very large
files), existing rows are fetched in bulk, and each row is validated in Python by the
models' own ``clean_fields``/``clean`` on an unsaved (or fetched) instance, with the
enrollment check fed from a pre-fetched set. The same plan drives the apply step.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.academics.models import Attendance, Course, Enrollment, Grade, Student
from apps.academics.validators import clean_evaluation_rules, validate_not_future
from apps.bulkio.columns import CellError, match_headers, missing_columns
from apps.bulkio.importing.resources import ResourceSpec
from apps.bulkio.importing.values import unescape_formula
from apps.bulkio.readers import FileRejected, Table

NEW, UPDATE, SKIP, ERROR = "new", "update", "skip", "error"
LOOKUP_CHUNK = 5000
LINK_FIELDS = {"student": "student_id", "course": "course_code"}


@dataclass(slots=True)
class RowPlan:
    row: int
    raw: dict[str, str]
    values: dict[str, object]
    errors: list[tuple[str, str]] = field(default_factory=list)
    action: str = NEW
    key: tuple | None = None
    # new: every attribute of the row to insert; update: the stored row and what changes.
    attrs: dict[str, object] | None = None
    existing: models.Model | None = None
    after: dict[str, object] | None = None


@dataclass
class Plan:
    spec: ResourceSpec
    present: list[str]
    ignored_columns: list[str]
    rows: list[RowPlan]

    @property
    def totals(self) -> dict[str, int]:
        totals = {NEW: 0, UPDATE: 0, SKIP: 0, ERROR: 0}
        for row in self.rows:
            totals[row.action] += 1
        return totals

    @property
    def error_rows(self) -> list[RowPlan]:
        return [row for row in self.rows if row.action == ERROR]


Progress = Callable[[float], None]


def build_plan(
    spec: ResourceSpec,
    table: Table,
    *,
    course_scope: set[int] | None = None,
    progress: Progress | None = None,
) -> Plan:
    """``course_scope``: the course ids the user may write marks in (None: every course)."""
    positions, ignored = check_columns(spec.name, table.headers)
    present = [name for name in spec.parsers if name in positions]
    with gc_paused():
        return _build(spec, table, positions, present, ignored, course_scope, progress)


@contextlib.contextmanager
def gc_paused():
    """Hundreds of thousands of small objects and no cycles: the collector only slows us."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _build(spec, table, positions, present, ignored, course_scope, progress) -> Plan:
    rules = _Rules(spec.model, spec.value_fields)
    rows = _parse_rows(spec, table, positions, present, rules)
    _mark_duplicates(spec, rows)
    if progress:
        progress(0.2)
    context = _Context.load(spec, rows, course_scope, rules)
    if progress:
        progress(0.4)
    validate = _VALIDATORS[spec.name]
    total = len(rows) or 1
    for index, row in enumerate(rows, start=1):
        if not row.errors:
            validate(spec, row, context)
        if row.errors:
            row.action = ERROR
        if progress and index % 5000 == 0:
            progress(0.4 + 0.6 * index / total)
    return Plan(spec=spec, present=present, ignored_columns=ignored, rows=rows)


def check_columns(resource: str, headers: list[str]) -> tuple[dict[str, int], list[str]]:
    positions, ignored = match_headers(resource, headers)
    missing = missing_columns(resource, positions)
    if missing:
        raise FileRejected(
            _("Required columns are missing: %(missing)s. The file's columns are: %(found)s.")
            % {"missing": ", ".join(missing), "found": ", ".join(h for h in headers if h)}
        )
    return positions, ignored


# --- Cells ----------------------------------------------------------------------------------
MEMO_LIMIT = 50_000
_MISSING = object()


def _parse_rows(
    spec: ResourceSpec,
    table: Table,
    positions: dict[str, int],
    present: list[str],
    rules: _Rules,
) -> list[RowPlan]:
    """Cells → typed values and their field-rule messages, memoised per distinct text."""
    max_chars = settings.SMS_BULKIO_MAX_CELL_CHARS
    too_long = _("The cell is too long (%(length)s characters; at most %(limit)s are accepted).")
    columns = [
        (name, positions[name], spec.parsers[name], name in rules.fields, {}) for name in present
    ]
    rows = []
    for number, cells in table.rows:
        width = len(cells)
        raw: dict[str, str] = {}
        values: dict[str, object] = {}
        errors: list[tuple[str, str]] = []
        for name, index, parse, checked, memo in columns:
            text = cells[index] if index < width else ""
            if text and text[0] == "'":
                text = unescape_formula(text)
            raw[name] = text
            found = memo.get(text, _MISSING)
            if found is _MISSING:
                found = _read_cell(name, text, parse, checked, rules, max_chars, too_long)
                if len(memo) < MEMO_LIMIT:
                    memo[text] = found
            value, messages = found
            if messages:
                if len(text) > max_chars:
                    raw[name] = text[:80] + "…"
                errors.extend((name, message) for message in messages)
            else:
                values[name] = value
        rows.append(RowPlan(row=number, raw=raw, values=values, errors=errors))
    return rows


def _read_cell(name, text, parse, checked, rules, max_chars, too_long):
    if len(text) > max_chars:
        return None, [too_long % {"length": len(text), "limit": max_chars}]
    try:
        value = parse(text)
    except CellError as error:
        return None, [str(error)]
    if checked and value is not None:
        return value, rules.field_errors(name, value)
    return value, []


def _mark_duplicates(spec: ResourceSpec, rows: list[RowPlan]) -> None:
    """A natural key seen twice in one file: the later row is an error (which one wins?)."""
    seen: dict[tuple, int] = {}
    required = _("This value is required.")
    for row in rows:
        if row.errors:
            continue
        key = []
        for name in spec.key:
            value = row.values.get(name)
            if name == "period_number" and value is None:
                value = 1
            if value in (None, ""):
                row.errors.append((name, required))
            key.append(value)
        if row.errors:
            continue
        row.key = tuple(key)
        first = seen.setdefault(row.key, row.row)
        if first != row.row:
            row.errors.append(
                (
                    spec.key[-1] if len(spec.key) > 1 else spec.key[0],
                    _("Duplicate of row %(row)s: the same %(key)s appears twice in the file.")
                    % {"row": first, "key": " / ".join(spec.key)},
                )
            )


# --- Bulk lookups ---------------------------------------------------------------------------
def _chunks(items: Iterable, size: int = LOOKUP_CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class _Context:
    students: dict[str, int] = field(default_factory=dict)
    courses: dict[str, int] = field(default_factory=dict)
    existing: dict[tuple, models.Model] = field(default_factory=dict)
    enrolled: set[tuple[int, int]] = field(default_factory=set)
    email_owner: dict[str, str] = field(default_factory=dict)
    course_scope: set[int] | None = None
    rules: _Rules | None = None

    @classmethod
    def load(cls, spec: ResourceSpec, rows: list[RowPlan], course_scope, rules) -> _Context:
        context = cls(course_scope=course_scope, rules=rules)
        good = [row for row in rows if not row.errors]
        if spec.name == "students":
            ids = {row.values["student_id"] for row in good}
            for chunk in _chunks(ids):
                for student in Student.objects.filter(student_id__in=chunk):
                    context.existing[(student.student_id,)] = student
            emails = {row.values.get("email") for row in good} - {None, ""}
            for chunk in _chunks(emails):
                context.email_owner.update(
                    Student.objects.filter(email__in=chunk).values_list("email", "student_id")
                )
            return context
        if spec.name == "courses":
            codes = {row.values["course_code"] for row in good}
            for chunk in _chunks(codes):
                for course in Course.objects.filter(course_code__in=chunk):
                    context.existing[(course.course_code,)] = course
            return context
        context._load_links(spec, good)
        return context

    def _load_links(self, spec: ResourceSpec, rows: list[RowPlan]) -> None:
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
        if not student_pks or not course_pks:
            return
        model = spec.model
        key_fields = {
            "enrollments": ("student_id", "course_id"),
            "grades": ("student_id", "course_id", "assignment_name"),
            "attendance": ("student_id", "course_id", "date", "period_number"),
        }[spec.name]
        for chunk in _chunks(student_pks):
            for obj in model.objects.filter(course_id__in=course_pks, student_id__in=chunk):
                self.existing[tuple(getattr(obj, name) for name in key_fields)] = obj
            if model is not Enrollment:
                self.enrolled.update(
                    Enrollment.objects.filter(
                        course_id__in=course_pks, student_id__in=chunk
                    ).values_list("student_id", "course_id")
                )


# --- Row validation -------------------------------------------------------------------------
class _Rules:
    """The model's own field rules, applied to plain values without building instances.

    Each field keeps the validators Django would run in ``clean_fields`` (max length,
    regexes, decimal digits, min/max, choices, blank/null); results are memoised per
    (field, value) because a file repeats the same categories, dates and maxima. The
    cross-field rules are the model's ``clean()`` itself, run on a light row object.
    """

    def __init__(self, model: type[models.Model], names: list[str]):
        self.model = model
        self.fields = {name: model._meta.get_field(name) for name in names}
        self.choices = {
            name: {str(value) for value, _label in field.flatchoices}
            for name, field in self.fields.items()
            if field.choices
        }
        self.today = timezone.localdate()
        self.memo: dict[tuple, list[str]] = {}
        self.defaults = {
            field.attname: field.get_default()
            for field in model._meta.concrete_fields
            if not field.primary_key
        }

    def field_errors(self, name: str, value) -> list[str]:
        try:
            # repr keeps Decimal("7.5") and Decimal("7.500") apart (decimal places differ).
            key = (name, value if isinstance(value, str) else repr(value))
            return self.memo[key]
        except KeyError:
            messages = self.memo[key] = self._check(name, value)
            return messages
        except TypeError:  # unhashable (evaluation rules)
            return self._check(name, value)

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
            if validator is validate_not_future:  # same rule, without a time zone lookup per call
                if value > self.today:
                    messages.append(str(_("The date cannot be in the future.")))
                continue
            try:
                validator(value)
            except ValidationError as error:
                messages.extend(str(message) for message in error.messages)
        return messages


class _RowObject(SimpleNamespace):
    """Stands in for an unsaved instance when the model's ``clean()`` runs."""


def _evaluate(spec, row: RowPlan, rules: _Rules, current: dict, is_new: bool, context) -> None:
    """Validate the row's values over ``current`` (defaults or the stored row)."""
    assigned: dict[str, object] = {}
    fields = rules.fields
    for name, value in row.values.items():
        if name not in fields:
            continue
        if value is None and not fields[name].null:
            if is_new and not fields[name].has_default():
                row.errors.append((name, str(fields[name].error_messages["blank"])))
            continue
        assigned[name] = value
    if row.errors:
        return
    candidate = _RowObject(**current)
    candidate.__dict__.update(assigned)
    candidate._known_enrollments = context.enrolled
    try:
        rules.model.clean(candidate)
    except ValidationError as error:
        row.errors.extend(_messages(error))
        return
    # clean() may normalise (emails, phones, evaluation rules): keep what it produced.
    for name in assigned:
        assigned[name] = getattr(candidate, name)
    if is_new:
        row.action = NEW
        attrs = candidate.__dict__
        del attrs["_known_enrollments"]
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


def _validate_student(spec: ResourceSpec, row: RowPlan, context: _Context) -> None:
    existing = context.existing.get(row.key)
    rules = context.rules
    current = _stored(existing) if existing else dict(rules.defaults)
    _evaluate(spec, row, rules, current, existing is None, context)
    if row.errors:
        return
    row.existing = existing
    email = (row.attrs or {}).get("email") if existing is None else row.after.get("email")
    if email is None:
        return
    owner = context.email_owner.get(email)
    if owner is not None and owner != row.values["student_id"]:
        row.errors.append(("email", _("A student with this email already exists.")))
        row.action = ERROR
        return
    context.email_owner[email] = row.values["student_id"]


def _validate_course(spec: ResourceSpec, row: RowPlan, context: _Context) -> None:
    existing = context.existing.get(row.key)
    rules = context.rules
    current = _stored(existing) if existing else dict(rules.defaults)
    if existing is not None:
        # Rules saved before defaults were filled in still mean the same rules.
        with contextlib.suppress(ValidationError):
            current["evaluation_rules"] = clean_evaluation_rules(current["evaluation_rules"])
    _evaluate(spec, row, rules, current, existing is None, context)
    row.existing = existing


def _validate_linked(spec: ResourceSpec, row: RowPlan, context: _Context) -> None:
    student_pk = context.students.get(row.values["student_id"])
    course_pk = context.courses.get(row.values["course_code"])
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
    elif context.course_scope is not None and course_pk not in context.course_scope:
        row.errors.append(("course_code", _("You do not teach this course.")))
    if row.errors:
        return
    key = (student_pk, course_pk, *row.key[2:])
    existing = context.existing.get(key)
    if existing is not None:
        current = _stored(existing)
    else:
        current = dict(context.rules.defaults)
        current["student_id"], current["course_id"] = student_pk, course_pk
    _evaluate(spec, row, context.rules, current, existing is None, context)
    row.existing = existing


_VALIDATORS = {
    "students": _validate_student,
    "courses": _validate_course,
    "enrollments": _validate_linked,
    "grades": _validate_linked,
    "attendance": _validate_linked,
}

# Models whose rows an import writes, by resource (used by rollback and snapshots).
MODELS = {
    "students": Student,
    "courses": Course,
    "enrollments": Enrollment,
    "grades": Grade,
    "attendance": Attendance,
}
