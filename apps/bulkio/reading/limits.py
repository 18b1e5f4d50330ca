"""What every reader shares: the table it returns, its limits, and the rows it collects.

The limits are enforced while a file is read, row by row, so that a file breaking one is
refused at the first breach, before it costs memory: a file of 25 MB can unfold into
gigabytes of empty rows or cells otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Hard limits of the readers themselves, far above anything a person types: a cell
# (Excel's own limit is 32,767 characters), a record of a text file, a column name.
MAX_CELL_CHARS = 131_072
MAX_ROW_CHARS = 1_048_576
MAX_HEADER_CHARS = 200
# Repeated cell texts (course codes, dates, marks) are kept once; the first this many
# distinct texts are remembered.
INTERN_LIMIT = 100_000


class FileRejected(Exception):
    """The file as a whole cannot be imported; the message is shown to the user."""


@dataclass(frozen=True)
class Table:
    format: str
    encoding: str | None
    delimiter: str | None
    headers: list[str]
    # (row number as the user sees it in the file — header is row 1, cells). A row has a
    # cell for each header, and more only where the file has filled cells past them.
    rows: list[tuple[int, tuple[str, ...]]] = field(repr=False)


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int
    max_columns: int
    max_cells: int
    max_unpacked_bytes: int
    # Characters of cell text in the whole table; a text file cannot reach it, a workbook
    # whose shared strings are repeated in every cell can.
    max_text_chars: int = 32 * 1_048_576

    @classmethod
    def from_settings(cls, *, max_bytes: int, max_rows: int, **overrides) -> Limits:
        values = {
            "max_columns": settings.SMS_BULKIO_MAX_COLUMNS,
            "max_cells": settings.SMS_BULKIO_MAX_CELLS,
            "max_unpacked_bytes": settings.SMS_BULKIO_MAX_UNPACKED_BYTES,
        }
        values.update({name: value for name, value in overrides.items() if value is not None})
        return cls(max_bytes=max_bytes, max_rows=max_rows, **values)


# --- Refusals: one short sentence naming the limit -----------------------------------------
def too_many_rows(limit: int) -> FileRejected:
    return FileRejected(
        _("The file has more than %(limit)s data rows. Split it into smaller files.")
        % {"limit": f"{limit:,}"}
    )


def too_many_columns(limit: int) -> FileRejected:
    return FileRejected(
        _("The file has more than %(limit)s columns. Remove the columns you do not need.")
        % {"limit": f"{limit:,}"}
    )


def too_many_cells(limit: int) -> FileRejected:
    return FileRejected(
        _("The file has more than %(limit)s cells. Split it into smaller files.")
        % {"limit": f"{limit:,}"}
    )


def too_much_text(limit: int) -> FileRejected:
    return FileRejected(
        _("The file holds more than %(limit)s characters of text. Split it into smaller files.")
        % {"limit": f"{limit:,}"}
    )


def cell_too_long(row: int, limit: int) -> FileRejected:
    return FileRejected(
        _("Row %(row)s has a cell longer than %(limit)s characters.")
        % {"row": row, "limit": f"{limit:,}"}
    )


def row_too_long(row: int, limit: int) -> FileRejected:
    return FileRejected(
        _("Row %(row)s is longer than %(limit)s characters.") % {"row": row, "limit": f"{limit:,}"}
    )


def short_list(names: Sequence[str], *, shown: int = 10, width: int = 40) -> str:
    """Names for a message: the first few, each cut short, and how many more there are."""
    cut = [name if len(name) <= width else name[: width - 1] + "…" for name in names[:shown]]
    text = ", ".join(cut)
    hidden = len(names) - len(cut)
    if hidden > 0:
        text += ngettext(" and %(count)s more", " and %(count)s more", hidden) % {
            "count": f"{hidden:,}"
        }
    return text


# --- Rows -----------------------------------------------------------------------------------
class TableBuilder:
    """Collects rows as a reader finds them, refusing the file at the first breached limit.

    Blank rows are skipped; the first non-blank row holds the column names. Every data row
    has a cell for each column named (padded with empty cells); empty cells past those are
    dropped, so only filled cells make a row wider than the header.
    """

    def __init__(self, limits: Limits):
        self.limits = limits
        self.headers: list[str] | None = None
        self.columns = 0  # the header row's width, up to its last named column
        self.rows: list[tuple[int, tuple[str, ...]]] = []
        self.cells = 0
        self.text_chars = 0
        self._interned: dict[str, str] = {}

    def add(self, number: int, cells: Sequence[str]) -> None:
        if not any(map(str.strip, cells)):
            return
        columns = self.columns
        width = len(cells)
        while width > columns and not cells[width - 1].strip():
            width -= 1
        limits = self.limits
        if width > limits.max_columns:
            raise too_many_columns(limits.max_columns)
        if self.headers is None:
            self.headers = [self._header(cell) for cell in cells[:width]]
            self.columns = width
            return
        if len(self.rows) >= limits.max_rows:
            raise too_many_rows(limits.max_rows)
        if width < len(cells):
            cells = cells[:width]
        elif width < columns:
            cells = [*cells, *[""] * (columns - width)]
        self.cells += len(cells)
        if self.cells > limits.max_cells:
            raise too_many_cells(limits.max_cells)
        lengths = tuple(map(len, cells))
        if max(lengths) > MAX_CELL_CHARS:
            raise cell_too_long(number, MAX_CELL_CHARS)
        self.text_chars += sum(lengths)
        if self.text_chars > limits.max_text_chars:
            raise too_much_text(limits.max_text_chars)
        interned = self._interned
        if len(interned) < INTERN_LIMIT:
            kept = tuple(map(interned.setdefault, cells, cells))
        else:
            kept = tuple(map(interned.get, cells, cells))
        self.rows.append((number, kept))

    @staticmethod
    def _header(cell: str) -> str:
        # Only the known column names matter; an essay in the header row is just ignored.
        name = cell.strip()
        return name if len(name) <= MAX_HEADER_CHARS else name[: MAX_HEADER_CHARS - 1] + "…"

    def table(self, format: str, encoding: str | None, delimiter: str | None) -> Table:
        if not self.headers or not any(self.headers):
            raise FileRejected(_("The first row must hold the column names, but it is empty."))
        if not self.rows:
            raise FileRejected(_("The file has a header row but no data rows."))
        return Table(format, encoding, delimiter, self.headers, self.rows)
