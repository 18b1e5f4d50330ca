"""Records to files: CSV (streamed), XLSX (constant memory), PDF (WeasyPrint).

The columns are the import columns, written the way the importer reads them, so an
export re-imports unchanged (its preview is all "skip"). Text cells that a spreadsheet
would run as formulas get a leading apostrophe, which the importer takes off again.
Every export is scoped by ``apps.academics.scoping`` and takes the record filters of
``apps.academics.filtering`` (the analytics take the same).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from apps.academics import scoping
from apps.academics.filtering import RecordFilters, parse_filters, search_text
from apps.bulkio.importing.resources import RESOURCES, ResourceSpec
from apps.bulkio.readers import short_list
from sms.spreadsheets import safe_cell

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
CHUNK = 2000
NUMERIC_PARSERS = {"parse_decimal", "parse_int", "parse_study_year"}
DATE_FIELDS = {
    "students": "enrollment_date",
    "enrollments": "enrolled_at",
    "grades": "date_assigned",
    "attendance": "date",
}


class ExportRefused(Exception):
    """The export asked for cannot be produced as asked; the message is for people."""


@dataclass(frozen=True)
class ExportRequest:
    resource: str
    format: str
    columns: tuple[str, ...]
    filters: RecordFilters

    @property
    def spec(self) -> ResourceSpec:
        return RESOURCES[self.resource]


def filters_from_data(data: dict) -> RecordFilters:
    """The record filters from a stored dict (jobs, schedules); raises DRF errors."""
    return dataclasses.replace(parse_filters(data), extra=search_extra((data or {}).get("search")))


def search_extra(text) -> tuple[tuple[str, str], ...]:
    """A free-text ``search`` rides in the filters' extras (and so in their cache token)."""
    text = search_text(text)
    return (("search", text),) if text else ()


def _search(qs: QuerySet, resource: str, text: str) -> QuerySet:
    """The CRUD list's ``search``, on the same fields: every word matches one of them."""
    from apps.academics.api import views as crud

    fields = {
        "students": crud.StudentViewSet.search_fields,
        "courses": crud.CourseViewSet.search_fields,
        "enrollments": crud.EnrollmentViewSet.search_fields,
        "grades": crud.GradeViewSet.search_fields,
        "attendance": crud.AttendanceViewSet.search_fields,
    }[resource]
    for word in text.replace(",", " ").split():
        match = Q()
        for name in fields:
            match |= Q(**{f"{name}__icontains": word})
        qs = qs.filter(match)
    return qs


def make_request(resource: str, fmt: str, columns, filters: RecordFilters) -> ExportRequest:
    if resource not in RESOURCES:
        raise ExportRefused(_("Unknown resource “%(name)s”.") % {"name": resource})
    if fmt not in CONTENT_TYPES:
        raise ExportRefused(_("Unknown format “%(name)s”.") % {"name": fmt})
    known = RESOURCES[resource].columns
    columns = [c for c in (columns or []) if c]
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise ExportRefused(
            _("Unknown columns: %(unknown)s. Choose from: %(known)s.")
            % {"unknown": short_list(unknown), "known": ", ".join(known)}
        )
    chosen = tuple(c for c in known if c in columns) if columns else tuple(known)
    return ExportRequest(resource=resource, format=fmt, columns=chosen, filters=filters)


# --- Rows -----------------------------------------------------------------------------------
def queryset_for(request: ExportRequest, user) -> QuerySet:
    f = request.filters
    name = request.resource
    if name == "students":
        qs = scoping.students_for(user)
        if f.class_division:
            qs = qs.filter(class_division=f.class_division)
        if f.study_year:
            qs = qs.filter(study_year=f.study_year)
        if f.students:
            qs = qs.filter(pk__in=f.students)
        if f.courses or f.semester:
            # Only courses the user can see: a course filter never counts who takes another's.
            links = {"pk__in": f.courses} if f.courses else {}
            if f.semester:
                links["semester"] = f.semester
            taking = scoping.enrollments_in_visible_courses(user, **links)
            qs = qs.filter(pk__in=taking.values("student_id"))
    elif name == "courses":
        qs = scoping.courses_for(user)
        if f.courses:
            qs = qs.filter(pk__in=f.courses)
        if f.semester:
            qs = qs.filter(semester=f.semester)
    else:
        qs = {
            "enrollments": scoping.enrollments_for,
            "grades": scoping.grades_for,
            "attendance": scoping.attendance_for,
        }[name](user)
        if f.courses:
            qs = qs.filter(course_id__in=f.courses)
        if f.students:
            qs = qs.filter(student_id__in=f.students)
        if f.class_division:
            qs = qs.filter(student__class_division=f.class_division)
        if f.study_year:
            qs = qs.filter(student__study_year=f.study_year)
        if f.semester:
            qs = qs.filter(course__semester=f.semester)
    if search := dict(f.extra).get("search"):
        qs = _search(qs, name, search)
    date_field = DATE_FIELDS.get(name)
    if date_field and f.date_from:
        qs = qs.filter(**{f"{date_field}__gte": f.date_from})
    if date_field and f.date_to:
        qs = qs.filter(**{f"{date_field}__lte": f.date_to})
    return qs


TEXT_PARSERS = {
    "parse_text",
    "parse_upper",
    "parse_lower",
    "normalise_attendance_status",
    "parse_enrollment_status",
}


def _bool_text(value) -> str:
    return "" if value is None else ("true" if value else "false")


def _transform(spec: ResourceSpec, column: str):
    """What a stored value needs before it is a cell; None when it is fine as it is."""
    custom = spec.formatters.get(column)
    if custom:
        return lambda value: safe_cell(custom(value))
    kind = spec.parsers[column].__name__
    if kind == "parse_bool":
        return _bool_text
    if kind in TEXT_PARSERS:
        return safe_cell
    return None


def iter_rows(request: ExportRequest, user) -> Iterator[list]:
    """Rows straight from the database in chunks: text made safe, numbers and dates as is."""
    spec = request.spec
    paths = [spec.export_paths.get(column, column) for column in request.columns]
    transforms = [
        (index, transform)
        for index, column in enumerate(request.columns)
        if (transform := _transform(spec, column)) is not None
    ]
    for values in queryset_for(request, user).values_list(*paths).iterator(chunk_size=CHUNK):
        values = list(values)
        for index, transform in transforms:
            values[index] = transform(values[index])
        yield values


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def count_rows(request: ExportRequest, user) -> int:
    return queryset_for(request, user).count()


# --- Files ----------------------------------------------------------------------------------
def stream_csv(request: ExportRequest, user) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # A BOM lets spreadsheet programs read Greek names as UTF-8; the importer ignores it.
    buffer.write("\ufeff")
    writer.writerow(request.columns)
    rows = []
    for row in iter_rows(request, user):
        rows.append(row)
        if len(rows) == CHUNK:
            writer.writerows(rows)
            rows.clear()
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    writer.writerows(rows)
    yield buffer.getvalue().encode("utf-8")


def to_csv(request: ExportRequest, user) -> bytes:
    return b"".join(stream_csv(request, user))


def to_xlsx(request: ExportRequest, user, progress=None) -> bytes:
    import xlsxwriter

    spec = request.spec
    numeric = [spec.parsers[c].__name__ in NUMERIC_PARSERS for c in request.columns]
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet(str(spec.name)[:31])
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, request.columns, bold)
    sheet.freeze_panes(1, 0)
    write_string, write_number = sheet.write_string, sheet.write_number
    for number, row in enumerate(iter_rows(request, user), start=1):
        for column, value in enumerate(row):
            if value is None or value == "":
                continue
            if numeric[column]:
                write_number(number, column, float(value))
            elif isinstance(value, str):
                write_string(number, column, value)
            else:
                write_string(number, column, _text(value))
        if progress and number % 10_000 == 0:
            progress(number)
    workbook.close()
    return output.getvalue()


def header_lines(request: ExportRequest, user) -> list[tuple[str, str]]:
    now = timezone.localtime()
    lines = [
        (_("Generated"), now.strftime("%Y-%m-%d %H:%M")),
        (_("By"), getattr(user, "username", "") or "—"),
    ]
    lines += request.filters.as_display()
    return lines


PDF_LINE_CHARS = 180  # A4 landscape, 7 pt DejaVu Sans Mono
PDF_BLOCK_LINES = 48  # about a page; each block repeats the column names
PDF_MAX_CELL = 40


def _pdf_widths(columns: list[str], rows: list[list[str]]) -> list[int]:
    widths = [len(column) for column in columns]
    for row in rows:
        for index, cell in enumerate(row):
            if len(cell) > widths[index]:
                widths[index] = min(len(cell), PDF_MAX_CELL)
    # Too wide for the page: take characters from the widest columns first.
    while sum(widths) + 2 * (len(widths) - 1) > PDF_LINE_CHARS and max(widths) > 6:
        widest = widths.index(max(widths))
        widths[widest] -= 1
    return widths


def _pdf_line(cells: list[str], widths: list[int]) -> str:
    parts = []
    for cell, width in zip(cells, widths, strict=True):
        if len(cell) > width:
            cell = cell[: width - 1] + "…"
        parts.append(cell.ljust(width))
    return escape("  ".join(parts).rstrip())


def to_pdf(request: ExportRequest, user, *, max_rows: int | None = None) -> bytes:
    """A monospaced, column-aligned listing: WeasyPrint lays out text lines far faster
    than table cells (5,000 rows in seconds instead of most of a minute)."""
    from weasyprint import HTML

    limit = max_rows if max_rows is not None else settings.SMS_BULKIO_PDF_MAX_ROWS
    if count_rows(request, user) > limit:
        raise ExportRefused(
            _("A PDF can hold at most %(limit)s rows; narrow the filters or choose CSV/XLSX.")
            % {"limit": f"{limit:,}"}
        )
    rows = [[_text(cell) for cell in row] for row in iter_rows(request, user)]
    columns = list(request.columns)
    widths = _pdf_widths(columns, rows)
    header = _pdf_line(columns, widths)
    blocks = [
        "\n".join(_pdf_line(row, widths) for row in rows[start : start + PDF_BLOCK_LINES])
        for start in range(0, len(rows), PDF_BLOCK_LINES)
    ]
    html = render_to_string(
        "bulkio/export_pdf.html",
        {
            "title": RESOURCES[request.resource].model._meta.verbose_name_plural.capitalize(),
            "header": header_lines(request, user),
            "column_line": header,
            "blocks": blocks,
            "count": len(rows),
        },
    )
    return HTML(string=html).write_pdf()


def render(request: ExportRequest, user, *, pdf_max_rows: int | None = None) -> bytes:
    if request.format == "csv":
        return to_csv(request, user)
    if request.format == "xlsx":
        return to_xlsx(request, user)
    return to_pdf(request, user, max_rows=pdf_max_rows)


def file_name(request: ExportRequest) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{request.resource}-{stamp}.{request.format}"


# --- Templates --------------------------------------------------------------------------------
def template_file(resource: str, fmt: str) -> bytes:
    """Headers and one sample row, in CSV or XLSX."""
    spec = RESOURCES[resource]
    headers = spec.columns
    sample = [spec.sample.get(column, "") for column in headers]
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")
        csv.writer(buffer, lineterminator="\r\n").writerows([headers, sample])
        return buffer.getvalue().encode("utf-8")
    import xlsxwriter

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"strings_to_formulas": False})
    sheet = workbook.add_worksheet(resource)
    sheet.write_row(0, 0, headers, workbook.add_format({"bold": True}))
    for column, text in enumerate(sample):
        sheet.write_string(1, column, text)
    workbook.close()
    return output.getvalue()
