"""What every reader shares: the table it returns, its limits, and the rows it collects.

The limits are enforced while a file is read, row by row, so that a file breaking one is
refused at the first breach, before it costs memory: a file of 25 MB can unfold into
gigabytes of empty rows or cells otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

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
# A report (a registry's student list) has a title block above its header row: with a
# KeepColumn the header row is looked for among this many first non-blank rows, and must
# name at least this many known columns.
HEADER_SEARCH_ROWS = 30
MIN_KNOWN_HEADERS = 2


class FileRejected(Exception):
    """The file as a whole cannot be imported; the message is shown to the user."""


# Whether a column is worth keeping, by its name: the importer keeps only the columns its
# resource knows, so a file's extra columns never cost the memory of their cells.
KeepColumn = Callable[[str], bool]


@dataclass(frozen=True)
class Table:
    format: str
    encoding: str | None
    delimiter: str | None
    # The columns kept; without a KeepColumn, every column of the header row.
    headers: list[str]
    # (row number as the user sees it in the file, cells). A row has a cell for each kept
    # header; when every column is kept, also the filled cells past them.
    rows: list[tuple[int, tuple[str, ...]]] = field(repr=False)
    # The header row as the file has it, kept columns or not (for messages and previews).
    file_headers: list[str] = field(default_factory=list)
    # The header row's number: 1, or below a report's title block.
    header_row: int = 1
    # A report's footer (a total, a signature) after the data: rows dropped, not imported.
    footer_rows: tuple[int, ...] = ()


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
    dropped, so only filled cells make a row wider than the header. With ``keep_column``
    only the cells of the columns it keeps are stored; the limits still count every cell.

    With ``keep_column`` a file may also be a report: the header row is the one naming the
    most known columns (at least ``MIN_KNOWN_HEADERS``; the first of equals) among the first
    ``HEADER_SEARCH_ROWS`` non-blank rows; the rows above it (school, title, date, merged
    cells) are its title block, counted against the limits and dropped. If no row names
    enough known columns, the first non-blank row is the header, as for any file, so the
    missing-columns message names the file's first row. In a report (a title block was
    found), trailing rows that fill at most one known column (``Σύνολο: 25``, a signature)
    are its footer and dropped too: no row of any resource is valid with a single cell.
    """

    def __init__(self, limits: Limits, keep_column: KeepColumn | None = None):
        self.limits = limits
        self.keep_column = keep_column
        self.file_headers: list[str] | None = None
        self.headers: list[str] | None = None
        self.header_row = 1
        self._report = False  # a title block was found above the header row
        self._pick: Callable[[Sequence[str]], tuple[str, ...]] | None = None
        self.columns = 0  # the header row's width, up to its last named column
        self.rows: list[tuple[int, tuple[str, ...]]] = []
        self.cells = 0
        self.text_chars = 0
        self._interned: dict[str, str] = {}
        # While the header row is looked for: the rows read so far, and their known names.
        self._leading: list[tuple[int, Sequence[str], int]] | None = (
            [] if keep_column is not None else None
        )

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
            if self._leading is None:
                self.header_row = number
                self._start(cells[:width])
            else:
                self._look_for_header(number, list(cells[:width]))
            return
        self._add_row(number, cells, width)

    def _add_row(self, number: int, cells: Sequence[str], width: int, counted: int = 0) -> None:
        """``counted``: how many of the row's cells the limits have counted already."""
        columns = self.columns
        if len(self.rows) >= self.limits.max_rows:
            raise too_many_rows(self.limits.max_rows)
        if width < len(cells):
            cells = cells[:width]
        elif width < columns:
            cells = [*cells, *[""] * (columns - width)]
        if counted:
            self._count(number, [""] * (len(cells) - counted))  # the padding only
        else:
            self._count(number, cells)
        if self._pick is not None:
            cells = self._pick(cells)
        interned = self._interned
        if len(interned) < INTERN_LIMIT:
            kept = tuple(map(interned.setdefault, cells, cells))
        else:
            kept = tuple(map(interned.get, cells, cells))
        self.rows.append((number, kept))

    def _count(self, number: int, cells: Sequence[str]) -> None:
        limits = self.limits
        self.cells += len(cells)
        if self.cells > limits.max_cells:
            raise too_many_cells(limits.max_cells)
        lengths = tuple(map(len, cells))
        if max(lengths, default=0) > MAX_CELL_CHARS:
            raise cell_too_long(number, MAX_CELL_CHARS)
        self.text_chars += sum(lengths)
        if self.text_chars > limits.max_text_chars:
            raise too_much_text(limits.max_text_chars)

    # --- A report's title block -----------------------------------------------------------
    def _look_for_header(self, number: int, cells: list[str]) -> None:
        keep = self.keep_column
        self._count(number, cells)  # as it is read, whatever the row turns out to be
        known = sum(1 for cell in cells if cell.strip() and keep(self._header(cell)))
        self._leading.append((number, cells, known))
        if len(self._leading) >= HEADER_SEARCH_ROWS:
            self._choose_header()

    def _choose_header(self) -> None:
        leading, self._leading = self._leading or [], None
        if not leading:
            return
        best = max(range(len(leading)), key=lambda i: (leading[i][2], -i))
        if leading[best][2] < MIN_KNOWN_HEADERS:
            best = 0  # not a report: the first row is the header, as for any file
        # The rows above the header are the title block: counted as read, never data.
        number, cells, _known = leading[best]
        self.header_row = number
        self._report = best > 0
        self._start(cells)
        for number, cells, _known in leading[best + 1 :]:
            self._add_row(number, cells, len(cells), counted=len(cells))

    def _drop_footer(self) -> tuple[int, ...]:
        rows = self.rows
        if len(self.headers or ()) < MIN_KNOWN_HEADERS:
            return ()  # the missing-columns message will say what is wrong
        end = len(rows)
        while end and sum(1 for cell in rows[end - 1][1] if cell.strip()) <= 1:
            end -= 1
        if not end:
            return ()  # the footer is never the whole table: such rows are row errors
        footer = tuple(number for number, _cells in rows[end:])
        del rows[end:]
        return footer

    def _start(self, cells: Sequence[str]) -> None:
        self.file_headers = [self._header(cell) for cell in cells]
        self.columns = len(cells)
        if self.keep_column is None:
            self.headers = self.file_headers
            return
        kept = [i for i, name in enumerate(self.file_headers) if name and self.keep_column(name)]
        self.headers = [self.file_headers[i] for i in kept]
        if len(kept) == 1:
            index = kept[0]
            self._pick = lambda cells: (cells[index],)
        else:
            # itemgetter() of no index is an error; of several it returns their tuple.
            self._pick = itemgetter(*kept) if kept else (lambda cells: ())

    @staticmethod
    def _header(cell: str) -> str:
        # Only the known column names matter; an essay in the header row is just ignored.
        name = cell.strip()
        return name if len(name) <= MAX_HEADER_CHARS else name[: MAX_HEADER_CHARS - 1] + "…"

    def table(self, format: str, encoding: str | None, delimiter: str | None) -> Table:
        if self._leading is not None:
            self._choose_header()
        if not self.file_headers or not any(self.file_headers):
            raise FileRejected(_("The first row must hold the column names, but it is empty."))
        footer = self._drop_footer() if self._report else ()
        if not self.rows:
            raise FileRejected(_("The file has a header row but no data rows."))
        return Table(
            format,
            encoding,
            delimiter,
            self.headers,
            self.rows,
            self.file_headers,
            header_row=self.header_row,
            footer_rows=footer,
        )
