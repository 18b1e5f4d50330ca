"""The dry run: every row of a file turned into an action (new, update, skip, error).

This module reads: cells become typed values (memoised per distinct text, each distinct
value checked once by the model's field rules) and a natural key seen twice in the file
is an error. Deciding what each row does — natural keys resolved, existing rows found,
the model's own rules applied — is academics' batch validation
(``apps.academics.batch.validate_rows``). The same plan drives the apply step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from apps.academics.batch import (
    ERROR,
    NEW,
    SKIP,
    UPDATE,
    BatchRow,
    FieldRules,
    assign_keys,
    gc_paused,
    validate_rows,
)
from apps.bulkio.columns import CellError, match_headers, missing_columns
from apps.bulkio.importing.resources import ResourceSpec
from apps.bulkio.importing.values import unescape_formula
from apps.bulkio.readers import FileRejected, Table, short_list

__all__ = [
    "ERROR",
    "NEW",
    "SKIP",
    "UPDATE",
    "Plan",
    "Progress",
    "RowPlan",
    "build_plan",
    "check_columns",
    "gc_paused",
]


@dataclass(slots=True)
class RowPlan(BatchRow):
    """A batch row that remembers where it came from: its row number and its cells."""

    row: int = 0
    raw: dict[str, str] = field(default_factory=dict)


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
        rules = FieldRules(spec.model, spec.value_fields)
        rows = _parse_rows(spec, table, positions, present, rules)
        _mark_duplicates(spec, rows)
        if progress:
            progress(0.2)
        validate_rows(
            spec.model,
            rows,
            rules=rules,
            check_fields=False,  # done above, once per distinct cell
            course_scope=course_scope,
            progress=(lambda fraction: progress(0.2 + 0.8 * fraction)) if progress else None,
        )
    _forget_cells_not_shown(rows)
    return Plan(spec=spec, present=present, ignored_columns=ignored, rows=rows)


def _forget_cells_not_shown(rows: list[RowPlan]) -> None:
    """The preview shows the cells of its first rows and of error rows only; the others'
    cell dicts are a few hundred bytes a row that a 200,000-row file cannot afford."""
    shown = settings.SMS_BULKIO_PREVIEW_ROWS
    for row in rows[shown:]:
        if row.action != ERROR:
            row.raw = {}


def check_columns(resource: str, headers: list[str]) -> tuple[dict[str, int], list[str]]:
    positions, ignored = match_headers(resource, headers)
    missing = missing_columns(resource, positions)
    if missing:
        raise FileRejected(
            _("Required columns are missing: %(missing)s. The file's columns are: %(found)s.")
            % {"missing": ", ".join(missing), "found": short_list([h for h in headers if h])}
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
    rules: FieldRules,
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
    assign_keys(spec.model, rows)
    seen: dict[tuple, int] = {}
    for row in rows:
        if row.errors:
            continue
        first = seen.setdefault(row.key, row.row)
        if first != row.row:
            row.errors.append(
                (
                    spec.key[-1] if len(spec.key) > 1 else spec.key[0],
                    _("Duplicate of row %(row)s: the same %(key)s appears twice in the file.")
                    % {"row": first, "key": " / ".join(spec.key)},
                )
            )
