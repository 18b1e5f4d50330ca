"""Old Excel workbooks (.xls, Excel 97–2003), read through xlrd with its costs bounded.

xlrd holds a whole sheet in memory, and its shared-string table before that. So the
workbook's record stream is scanned first — the shared-string count, then the first
sheet's cells and the width of each of its rows — and a workbook that would break a
limit is refused before xlrd builds anything. Rows are then handed over one at a time,
each freed in xlrd once copied.
"""

from __future__ import annotations

import struct
from array import array

from django.utils.translation import gettext as _

from apps.bulkio.reading.cells import cell_text
from apps.bulkio.reading.limits import (
    FileRejected,
    KeepColumn,
    Limits,
    Table,
    TableBuilder,
    too_many_cells,
    too_many_columns,
)

EOF, SST, MULRK = 0x000A, 0x00FC, 0x00BD
BOFS = frozenset({0x0009, 0x0209, 0x0409, 0x0809})  # BIFF2, 3, 4, 5–8
# Records of one cell each, whose data starts with its row and column (BIFF2–BIFF8).
SINGLE_CELLS = frozenset(
    {0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x0206, 0x0406, 0x0203, 0x027E, 0x00FD, 0x0204,
     0x0205, 0x00D6}
)  # fmt: skip
MAX_SHEET_ROWS = 65_536
_RECORD = struct.Struct("<HH")


def damaged() -> FileRejected:
    return FileRejected(
        _("The file could not be read as an Excel 97–2003 workbook (.xls). It may be "
          "damaged or saved in another format.")
    )  # fmt: skip


class _Silent:
    def write(self, _text: str) -> None:
        pass


def read_xls(data: bytes, limits: Limits, keep_column: KeepColumn | None = None) -> Table:
    import xlrd
    from xlrd.biffh import XL_WORKBOOK_GLOBALS
    from xlrd.book import Book

    book = Book()
    try:
        book.biff2_8_load(file_contents=data, logfile=_Silent(), on_demand=True, ragged_rows=True)
        book.biff_version = book.getbof(XL_WORKBOOK_GLOBALS)
        if book.biff_version not in xlrd.book.SUPPORTED_VERSIONS or book.biff_version < 50:
            raise damaged()  # Excel 4 and older: files from before 1995
        _check_globals(book.mem, book.base, book.stream_len, limits)
        book.parse_globals()
        book._sheet_list = [None for _name in book._sheet_names]
        book.nsheets = len(book._sheet_list)
        if not book.nsheets:
            raise damaged()
        _check_sheet(book.mem, book._sh_abs_posn[0], book.stream_len, limits)
        sheet = book.sheet_by_index(0)
        return _rows(book, sheet, limits, keep_column)
    except FileRejected:
        raise
    except Exception:  # xlrd raises XLRDError, CompDocError, struct and assertion errors…
        raise damaged() from None
    finally:
        book.release_resources()


def _records(mem, position: int, end: int):
    """(code, data offset, length) of each record of the substream starting at ``position``,
    up to its EOF; substreams nested in it (charts) are walked through, not stopped at."""
    unpack = _RECORD.unpack_from
    depth = 0
    while position + 4 <= end:
        code, length = unpack(mem, position)
        yield code, position + 4, length
        if code in BOFS:
            depth += 1
        elif code == EOF:
            depth -= 1
            if depth <= 0:
                return
        position += 4 + length


def _check_globals(mem, position: int, end: int, limits: Limits) -> None:
    """The shared-string table may not list more strings than a table may have cells."""
    for code, offset, length in _records(mem, position, end):
        if code == SST and length >= 8:
            unique = struct.unpack_from("<i", mem, offset + 4)[0]
            if unique > limits.max_cells:
                raise too_many_cells(limits.max_cells)


def _check_sheet(mem, position: int, end: int, limits: Limits) -> None:
    """Count the cells xlrd would build for the first sheet, padding within rows included."""
    widths = array("H", bytes(2 * MAX_SHEET_ROWS))
    cells = 0
    for code, offset, length in _records(mem, position, end):
        if code in SINGLE_CELLS and length >= 4:
            row, column = _RECORD.unpack_from(mem, offset)
            count = 1
        elif code == MULRK and length >= 6:
            row, column = _RECORD.unpack_from(mem, offset)
            last = struct.unpack_from("<H", mem, offset + length - 2)[0]
            count = max(1, last - column + 1)
            column = last
        else:
            continue
        cells += count
        if column >= limits.max_columns:
            raise too_many_columns(limits.max_columns)
        if column >= widths[row]:
            widths[row] = column + 1
        if cells > limits.max_cells:
            raise too_many_cells(limits.max_cells)
    if sum(widths) > limits.max_cells:
        raise too_many_cells(limits.max_cells)


def _rows(book, sheet, limits: Limits, keep_column: KeepColumn | None) -> Table:
    import xlrd

    builder = TableBuilder(limits, keep_column)
    date_type, datemode = xlrd.XL_CELL_DATE, book.datemode
    as_datetime = xlrd.xldate.xldate_as_datetime
    values, types = sheet._cell_values, sheet._cell_types
    for index in range(sheet.nrows):
        row_types = types[index]
        cells = [
            cell_text(as_datetime(value, datemode) if kind == date_type else value)
            for value, kind in zip(values[index], row_types, strict=False)
        ]
        values[index] = types[index] = None  # copied: let xlrd's row go
        builder.add(index + 1, cells)
    return builder.table("xls", None, None)
