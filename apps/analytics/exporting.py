"""Tables to files: CSV, XLSX (one sheet per section) and PDF (WeasyPrint).

Shared by the analytics exports and meant for any other export: a ``Section`` is a
titled table with typed columns. Text cells go through ``sms.spreadsheets.safe_cell``,
the one rule that neutralises spreadsheet formulas in every export.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from django.template.loader import render_to_string

from sms.spreadsheets import safe_cell

# Column kinds and their spreadsheet number formats.
NUMBER_FORMATS = {
    "int": "0",
    "num": "0.00",
    "percent": '0.00"%"',
    "date": "yyyy-mm-dd",
    "text": "@",
}
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_CONTENT_TYPE = "application/pdf"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"


@dataclass
class Section:
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)


@dataclass
class Chart:
    title: str
    svg: str


def _cell(value, kind: str):
    if value is None:
        return None
    if kind in ("int", "num", "percent") and isinstance(value, int | float):
        return value
    if kind == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return safe_cell(value)
    if isinstance(value, list):
        value = "; ".join(str(item) for item in value)
    if isinstance(value, bool | int | float | dt.date):
        return value
    return safe_cell(str(value))


def to_csv(sections: list[Section], header: list[tuple[str, str]]) -> bytes:
    """All sections one after another, each under its title, blank lines between them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for label, value in header:
        writer.writerow([safe_cell(label), safe_cell(value)])
    for section in sections:
        writer.writerow([])
        writer.writerow([safe_cell(str(section.title))])
        writer.writerow([safe_cell(str(column.label)) for column in section.columns])
        for row in section.rows:
            writer.writerow(
                ["" if (v := _cell(row.get(c.key), c.kind)) is None else v for c in section.columns]
            )
    # A BOM lets spreadsheet programs read Greek names as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, used: set[str]) -> str:
    base = _SHEET_BAD.sub(" ", title).strip()[:28] or "Sheet"
    name, number = base, 2
    while name.lower() in used:
        name, number = f"{base[:25]} {number}", number + 1
    used.add(name.lower())
    return name


def to_xlsx(sections: list[Section], header: list[tuple[str, str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    bold = Font(bold=True)
    for section in sections:
        sheet = workbook.create_sheet(_sheet_name(str(section.title), used))
        for label, value in header:
            sheet.append([safe_cell(label), safe_cell(value)])
        sheet.append([])
        sheet.append([safe_cell(str(column.label)) for column in section.columns])
        header_row = sheet.max_row
        for cell in sheet[header_row]:
            cell.font = bold
        for row in section.rows:
            sheet.append([_cell(row.get(column.key), column.kind) for column in section.columns])
        for index, column in enumerate(section.columns, start=1):
            letter = sheet.cell(row=header_row, column=index).column_letter
            sheet.column_dimensions[letter].width = max(12, min(40, len(column.label) + 4))
            for (cell,) in sheet.iter_rows(
                min_row=header_row + 1, min_col=index, max_col=index, max_row=sheet.max_row
            ):
                cell.number_format = NUMBER_FORMATS.get(column.kind, "General")
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_pdf(
    *,
    title: str,
    sections: list[Section],
    header: list[tuple[str, str]],
    charts: list[Chart] | None = None,
) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "analytics/export_pdf.html",
        {"title": title, "sections": sections, "header": header, "charts": charts or []},
    )
    return HTML(string=html).write_pdf()
