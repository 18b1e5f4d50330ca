"""Turn an uploaded file into a header row and data rows of strings.

Secretaries send what their software saves: UTF-8 with or without a BOM, Windows-1253
or ISO-8859-7 from older Greek setups, Latin-1; commas, semicolons, tabs or pipes;
XLSX or old XLS. This module guesses all of that and refuses anything else with a
message a person can act on. It knows nothing about students or grades.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import PurePath

from django.utils.translation import gettext as _

CSV_EXTENSIONS = {".csv", ".tsv", ".txt"}
EXCEL_EXTENSIONS = {".xlsx", ".xls"}
DELIMITERS = ",;\t|"


class FileRejected(Exception):
    """The file as a whole cannot be imported; the message is shown to the user."""


@dataclass(frozen=True)
class Table:
    format: str
    encoding: str | None
    delimiter: str | None
    headers: list[str]
    # (row number as the user sees it in the file — header is row 1, cells)
    rows: list[tuple[int, list[str]]] = field(repr=False)


def read_table(data: bytes, filename: str, *, max_bytes: int, max_rows: int) -> Table:
    extension = PurePath(filename or "").suffix.lower()
    if extension not in CSV_EXTENSIONS | EXCEL_EXTENSIONS:
        raise FileRejected(
            _("“%(name)s” is not a file we can import. Save it as CSV (.csv, .tsv, .txt) "
              "or Excel (.xlsx, .xls) and try again.") % {"name": filename}
        )  # fmt: skip
    if not data or not data.strip():
        raise FileRejected(_("The file is empty."))
    if len(data) > max_bytes:
        raise FileRejected(
            _("The file is %(size)s MB; the largest file accepted is %(limit)s MB. "
              "Split it into smaller files.")
            % {"size": round(len(data) / 1_048_576, 1), "limit": round(max_bytes / 1_048_576, 1)}
        )  # fmt: skip
    if extension == ".xlsx":
        table = _read_xlsx(data, max_rows=max_rows)
    elif extension == ".xls":
        table = _read_xls(data, max_rows=max_rows)
    else:
        table = _read_csv(data, max_rows=max_rows)
    if not any(header.strip() for header in table.headers):
        raise FileRejected(_("The first row must hold the column names, but it is empty."))
    if not table.rows:
        raise FileRejected(_("The file has a header row but no data rows."))
    return table


# --- CSV ----------------------------------------------------------------------------------
def detect_encoding(data: bytes) -> str:
    """UTF-8 (BOM or not) first; otherwise tell Greek code pages from Latin-1.

    Greek text in a single-byte code page is made of runs of high bytes (whole words),
    while Western text has isolated accented letters inside ASCII words. Windows-1253
    and ISO-8859-7 agree on every Greek letter but Ά and the 0x80–0x9F range.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    high = [i for i, byte in enumerate(data) if byte >= 0xA0]
    in_runs = sum(
        1
        for i in high
        if (i > 0 and data[i - 1] >= 0xA0) or (i + 1 < len(data) and data[i + 1] >= 0xA0)
    )
    looks_greek = bool(high) and in_runs / len(high) > 0.5
    if not looks_greek:
        return "latin-1"
    if any(0x80 <= byte <= 0x9F for byte in data) or b"\xa2" in data:
        return "cp1253"
    if b"\xb6" in data:
        return "iso-8859-7"
    return "cp1253"


def detect_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines() if line.strip()][:20]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = lines[0]
        return max(DELIMITERS, key=header.count)


def _read_csv(data: bytes, *, max_rows: int) -> Table:
    encoding = detect_encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise FileRejected(
            _("The file's text encoding could not be recognised. Save it as “CSV UTF-8” and "
              "try again.")
        ) from None  # fmt: skip
    if "\x00" in text:
        raise FileRejected(
            _("The file contains binary data. Export it as CSV or Excel and try again.")
        )
    delimiter = detect_delimiter(text[:20_000])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as error:
        raise FileRejected(_("The CSV file is malformed: %(error)s") % {"error": error}) from None
    headers, body = _split_header(rows, max_rows)
    return Table("csv", encoding, delimiter, headers, body)


# --- Excel --------------------------------------------------------------------------------
def _cell_text(value) -> str:
    """Spreadsheet cells as the text a person sees: whole numbers without `.0`, ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(data: bytes, *, max_rows: int) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for damaged or mislabelled files
        raise FileRejected(
            _("The file could not be read as an Excel workbook (.xlsx). It may be damaged or "
              "saved in another format.")
        ) from None  # fmt: skip
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((number, [_cell_text(value) for value in values]))
            if number > max_rows + 1:
                break
    finally:
        workbook.close()
    headers, body = _split_header(rows, max_rows)
    return Table("xlsx", None, None, headers, body)


def _read_xls(data: bytes, *, max_rows: int) -> Table:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data)
    except Exception:  # xlrd raises XLRDError, CompDocError, struct errors…
        raise FileRejected(
            _("The file could not be read as an Excel 97–2003 workbook (.xls). It may be "
              "damaged or saved in another format.")
        ) from None  # fmt: skip
    sheet = book.sheet_by_index(0)
    rows = []
    for index in range(min(sheet.nrows, max_rows + 2)):
        cells = []
        for cell in sheet.row(index):
            if cell.ctype == xlrd.XL_CELL_DATE:
                cells.append(_cell_text(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)))
            else:
                cells.append(_cell_text(cell.value))
        rows.append((index + 1, cells))
    headers, body = _split_header(rows, max_rows)
    return Table("xls", None, None, headers, body)


# --- Shared -------------------------------------------------------------------------------
def _split_header(
    rows: list[tuple[int, list[str]]], max_rows: int
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Blank rows are skipped; the first non-blank row holds the column names."""
    rows = [(number, cells) for number, cells in rows if any((c or "").strip() for c in cells)]
    if not rows:
        return [], []
    headers = [(cell or "").strip() for cell in rows[0][1]]
    body = rows[1:]
    if len(body) > max_rows:
        raise FileRejected(
            _("The file has more than %(limit)s data rows. Split it into smaller files.")
            % {"limit": f"{max_rows:,}"}
        )
    return headers, body
