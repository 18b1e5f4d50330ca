"""Excel 97–2003 files that cannot hold a table we can read: one from Excel 4 or older, a
workbook without a sheet, a sheet with more filled cells than an import may have. Each is
refused in a sentence before xlrd builds anything."""

import struct

import pytest

from apps.bulkio.readers import FileRejected, read_table
from tests.bulkio import hostile

LIMITS = {"max_bytes": 10 * 1_048_576, "max_rows": 200_000}
DAMAGED = "could not be read as an Excel 97–2003 workbook (.xls)"


def record(code: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", code, len(data)) + data


def refusal(data: bytes, **limits) -> str:
    with pytest.raises(FileRejected) as refused:
        read_table(data, "grades.xls", **{**LIMITS, **limits})
    return str(refused.value)


def test_xls_from_excel_4_is_refused_as_another_format():
    excel_4 = record(0x0409, struct.pack("<HHH", 0, 0x0100, 0)) + record(0x000A)

    assert DAMAGED in refusal(excel_4)


def test_xls_workbook_without_a_sheet_is_refused_as_damaged():
    globals_only = record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))

    assert DAMAGED in refusal(globals_only + record(0x000A))


def test_xls_with_more_filled_cells_than_allowed_is_refused_naming_the_limit():
    cells = [(row, column, row * 10 + column) for row in range(6) for column in range(5)]

    message = refusal(hostile.xls(cells), max_cells=20)

    assert message == "The file has more than 20 cells. Split it into smaller files."
