"""Turn an uploaded file into a header row and data rows of strings.

CSV (and other delimited text) in the encodings Greek schools' software saves, XLSX and
old XLS. Each reader streams the file and enforces the limits (rows, columns, cells,
unpacked size) as it reads, so a hostile file is refused at the first breach with one
short sentence naming the limit. This package knows nothing about students or grades.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from django.utils.translation import gettext as _

from apps.bulkio.reading.cells import cell_text
from apps.bulkio.reading.limits import FileRejected, KeepColumn, Limits, Table, short_list
from apps.bulkio.reading.text import detect_delimiter, detect_encoding

CSV_EXTENSIONS = {".csv", ".tsv", ".txt"}
EXCEL_EXTENSIONS = {".xlsx", ".xls"}
_NOT_BLANK = re.compile(rb"\S")

__all__ = [
    "FileRejected",
    "KeepColumn",
    "Limits",
    "Table",
    "cell_text",
    "detect_delimiter",
    "detect_encoding",
    "read_table",
    "short_list",
]


def read_table(
    data: bytes,
    filename: str,
    *,
    max_bytes: int,
    max_rows: int,
    max_columns: int | None = None,
    max_cells: int | None = None,
    max_unpacked_bytes: int | None = None,
    keep_column: KeepColumn | None = None,
) -> Table:
    """Limits not given come from the SMS_BULKIO_* settings.

    ``keep_column``: which columns to keep, by name; the others are read, counted against
    the limits and dropped, so their cells cost no memory (default: keep every column).
    """
    extension = PurePath(filename or "").suffix.lower()
    if extension not in CSV_EXTENSIONS | EXCEL_EXTENSIONS:
        raise FileRejected(
            _("“%(name)s” is not a file we can import. Save it as CSV (.csv, .tsv, .txt) "
              "or Excel (.xlsx, .xls) and try again.") % {"name": (filename or "")[:100]}
        )  # fmt: skip
    if len(data) > max_bytes:
        raise FileRejected(
            _("The file is %(size)s MB; the largest file accepted is %(limit)s MB. "
              "Split it into smaller files.")
            % {"size": round(len(data) / 1_048_576, 1), "limit": round(max_bytes / 1_048_576, 1)}
        )  # fmt: skip
    if not _NOT_BLANK.search(data):
        raise FileRejected(_("The file is empty."))
    limits = Limits.from_settings(
        max_bytes=max_bytes,
        max_rows=max_rows,
        max_columns=max_columns,
        max_cells=max_cells,
        max_unpacked_bytes=max_unpacked_bytes,
    )
    if extension == ".xlsx":
        from apps.bulkio.reading.xlsx import read_xlsx

        return read_xlsx(data, limits, keep_column)
    if extension == ".xls":
        from apps.bulkio.reading.xls import read_xls

        return read_xls(data, limits, keep_column)
    from apps.bulkio.reading.text import read_csv

    return read_csv(data, limits, keep_column)
