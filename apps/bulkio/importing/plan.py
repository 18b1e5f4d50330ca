"""The dry run: every row of a file turned into an action (new, update, skip, error).

This module reads: cells become typed values (memoised per distinct text, each distinct
value checked once by the model's field rules) and a natural key seen twice in the file
is an error. Deciding what each row does — natural keys resolved, existing rows found,
the model's own rules applied — is academics' batch validation
(``apps.academics.batch.validate_rows``). The same plan drives the apply step.

A file is planned in batches of ``PLAN_BATCH_ROWS``: each batch is read, validated, handed
to ``on_batch`` (the apply step writes it there) and forgotten, so the memory a plan takes
does not grow with the file. What outlives a batch is small: the totals, the rows the
preview shows, the first errors, and a digest of every natural key seen (for duplicates).
"""

from __future__ import annotations

import hashlib
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
from apps.bulkio.columns import CellError, ColumnMap, match_headers, missing_columns
from apps.bulkio.importing.name_match import NameMatcher
from apps.bulkio.importing.resources import ResourceSpec
from apps.bulkio.importing.values import unescape_formula
from apps.bulkio.readers import FileRejected, Table, short_list

__all__ = [
    "ERROR",
    "NEW",
    "SKIP",
    "UPDATE",
    "MissingColumns",
    "Plan",
    "Progress",
    "RowPlan",
    "build_plan",
    "check_columns",
    "gc_paused",
]

# Rows validated (and, when applying, written) together: large enough that the lookups
# are a handful of queries per batch, small enough that a batch's objects stay a few MB.
PLAN_BATCH_ROWS = 5000
# Row errors a plan keeps for the preview; beyond it they are only counted.
ERRORS_CAP = 10_000


@dataclass(slots=True)
class RowPlan(BatchRow):
    """A batch row that remembers where it came from: its row number and its cells."""

    row: int = 0
    raw: dict[str, str] = field(default_factory=dict)


@dataclass
class Plan:
    """What a file's rows will do: the totals, and the rows and errors a preview shows.

    ``shown`` holds the first ``SMS_BULKIO_PREVIEW_ROWS`` rows, then error rows up to ten
    times as many; ``errors`` the first ``ERRORS_CAP`` errors as (row, field, message).
    """

    spec: ResourceSpec
    present: list[str]
    ignored_columns: list[str]
    totals: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys((NEW, UPDATE, SKIP, ERROR), 0)
    )
    shown: list[RowPlan] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    error_count: int = 0
    row_count: int = 0
    # Where the file's header row is (below a report's title block) and the footer dropped.
    header_row: int = 1
    footer_rows: tuple[int, ...] = ()

    def keep(self, rows: list[RowPlan]) -> None:
        """Count a validated batch and remember what the preview shows of it."""
        limit = settings.SMS_BULKIO_PREVIEW_ROWS
        totals, shown, errors = self.totals, self.shown, self.errors
        for row in rows:
            totals[row.action] += 1
            if len(shown) < limit or (row.action == ERROR and len(shown) < limit * 10):
                shown.append(row)
            else:
                row.raw = {}  # its cells are never shown: a few hundred bytes a row
            if row.errors:
                self.error_count += len(row.errors)
                room = ERRORS_CAP - len(errors)
                if room > 0:
                    errors.extend((row.row, name, message) for name, message in row.errors[:room])
        self.row_count += len(rows)

    @property
    def error_rows(self) -> list[RowPlan]:
        """The error rows among the shown ones."""
        return [row for row in self.shown if row.action == ERROR]

    def pin(self, rows: list[RowPlan]) -> None:
        """Show these rows too (those the impact names), in file order."""
        seen = {row.row for row in self.shown}
        extra = {row.row: row for row in rows if row.row not in seen}
        if extra:
            self.shown = sorted([*self.shown, *extra.values()], key=lambda row: row.row)


Progress = Callable[[float], None]
OnBatch = Callable[["Plan", list[RowPlan]], None]
Observe = Callable[[list[RowPlan]], None]


def build_plan(
    spec: ResourceSpec,
    table: Table,
    *,
    course_scope: set[int] | None = None,
    progress: Progress | None = None,
    on_batch: OnBatch | None = None,
    observe: Observe | None = None,
    column_map: ColumnMap | None = None,
) -> Plan:
    """``course_scope``: the course ids the user may write marks in (None: every course).
    ``column_map``: the file's headers the user mapped to fields (the job's own).

    ``on_batch`` gets each validated batch in file order before the next one is read; a
    writer that writes there makes the later batches validate against what it wrote.
    ``observe`` sees each validated batch before the plan forgets the cells it does not
    show (the preview's impact, ``importing.impact``).
    """
    positions, ignored = check_columns(spec.name, table, column_map)
    present = [name for name in spec.parsers if name in positions]
    plan = Plan(
        spec=spec,
        present=present,
        ignored_columns=ignored,
        header_row=table.header_row,
        footer_rows=table.footer_rows,
    )
    rules = FieldRules(spec.model, spec.value_fields)
    cells = _CellReader(spec, positions, present, rules)
    # Students without a registration number are found by their names.
    names = NameMatcher.for_table(spec.name, table, positions, unescape=unescape_formula)
    if names and "student_id" not in present:
        plan.present = ["student_id", *present]  # the preview shows whom each row found
    duplicates = _Duplicates(spec)
    claimed_emails: dict[str, str] = {}
    total = len(table.rows) or 1
    with gc_paused():
        for start in range(0, len(table.rows), PLAN_BATCH_ROWS):
            rows = cells.read(table.rows[start : start + PLAN_BATCH_ROWS])
            if names:
                names.resolve(rows)
            duplicates.mark(rows)
            validate_rows(
                spec.model,
                rows,
                rules=rules,
                check_fields=False,  # done by the cell reader, once per distinct cell
                course_scope=course_scope,
                claimed_emails=claimed_emails,
            )
            if observe:
                observe(rows)
            plan.keep(rows)
            if on_batch:
                on_batch(plan, rows)
            if progress:
                progress(min(1.0, (start + PLAN_BATCH_ROWS) / total))
    return plan


def check_columns(
    resource: str, table: Table, column_map: ColumnMap | None = None
) -> tuple[dict[str, int], list[str]]:
    """The position of each field among the table's columns, and the file's ignored headers.

    A table read for the resource keeps only the columns it knows (``known_column``), so the
    ignored names come from the file's whole header row. ``column_map`` adds the user's own
    names for fields (or ignores a column).
    """
    positions, ignored = match_headers(resource, table.headers, column_map)
    if table.file_headers != table.headers:
        ignored = match_headers(resource, table.file_headers, column_map)[1]
    missing = missing_columns(resource, positions)
    if missing:
        found = [header for header in table.file_headers or table.headers if header]
        raise MissingColumns(
            _("Required columns are missing: %(missing)s. The file's columns are: %(found)s.")
            % {"missing": ", ".join(missing), "found": short_list(found)}
        )
    return positions, ignored


class MissingColumns(FileRejected):
    """Required columns are not found; the wizard then offers to map the file's columns."""


# --- Cells ----------------------------------------------------------------------------------
MEMO_LIMIT = 50_000
_MISSING = object()


class _CellReader:
    """Cells → typed values and their field-rule messages, memoised per distinct text
    across the whole file."""

    def __init__(self, spec: ResourceSpec, positions, present: list[str], rules: FieldRules):
        self.rules = rules
        self.max_chars = settings.SMS_BULKIO_MAX_CELL_CHARS
        self.too_long = _(
            "The cell is too long (%(length)s characters; at most %(limit)s are accepted)."
        )
        self.columns = [
            (name, positions[name], spec.parsers[name], name in rules.fields, {})
            for name in present
        ]

    def read(self, table_rows) -> list[RowPlan]:
        max_chars = self.max_chars
        rows = []
        for number, cells in table_rows:
            width = len(cells)
            raw: dict[str, str] = {}
            values: dict[str, object] = {}
            errors: list[tuple[str, str]] = []
            for name, index, parse, checked, memo in self.columns:
                text = cells[index] if index < width else ""
                if text and text[0] == "'":
                    text = unescape_formula(text)
                raw[name] = text
                found = memo.get(text, _MISSING)
                if found is _MISSING:
                    found = self._read_cell(name, text, parse, checked)
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

    def _read_cell(self, name, text, parse, checked):
        if len(text) > self.max_chars:
            return None, [self.too_long % {"length": len(text), "limit": self.max_chars}]
        try:
            value = parse(text)
        except CellError as error:
            return None, [str(error)]
        if checked and value is not None:
            return value, self.rules.field_errors(name, value)
        return value, []


class _Duplicates:
    """A natural key seen twice in one file: the later row is an error (which one wins?).

    Keys seen are kept as 16-byte digests, ~120 bytes each with their row number, where the
    tuples themselves take ~350; a collision is as likely as guessing a 128-bit key.
    """

    def __init__(self, spec: ResourceSpec):
        self.spec = spec
        self.first_row: dict[bytes, int] = {}
        self.column = spec.key[-1] if len(spec.key) > 1 else spec.key[0]
        self.message = _("Duplicate of row %(row)s: the same %(key)s appears twice in the file.")

    def mark(self, rows: list[RowPlan]) -> None:
        assign_keys(self.spec.model, rows)
        first_row, blake2b = self.first_row, hashlib.blake2b
        for row in rows:
            if row.errors:
                continue
            digest = blake2b(repr(row.key).encode(), digest_size=16).digest()
            first = first_row.setdefault(digest, row.row)
            if first != row.row:
                row.errors.append(
                    (self.column, self.message % {"row": first, "key": " / ".join(self.spec.key)})
                )
