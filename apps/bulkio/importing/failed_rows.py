"""The rows of an import that failed, as a file to correct and upload again.

The file has the uploaded file's own header row (every column, mapped or not) and an
``error`` column, and only the rows with errors, in file order. The rows are found by
planning the stored file again, batch by batch as the preview does (the preview keeps only
the first errors), with the job's column map and its owner's course scope: a row's errors
are checked against the current data. Each batch's failed rows are written to a temporary
file as soon as they are known, so memory holds the file's cells (within the upload
limits) and one batch, whatever the number of errors. Cells are written as every export
writes them (``safe_cell``): a formula-like text gets a leading apostrophe, which the
importer takes off again.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import PurePath

from django.conf import settings
from django.utils.translation import gettext as _

from apps.bulkio.columns import FAILED_ROWS_ERROR_COLUMN
from apps.bulkio.importing.jobs import course_scope, read_upload
from apps.bulkio.importing.plan import ERROR, RowPlan, build_plan, check_columns
from apps.bulkio.importing.resources import RESOURCES
from apps.bulkio.models import ImportJob, ImportStatus
from apps.bulkio.oneroster import RESOURCE as ONEROSTER
from apps.bulkio.readers import Table, read_table
from apps.bulkio.reading.limits import HEADER_SEARCH_ROWS, TableBuilder
from sms.spreadsheets import safe_cell

__all__ = ["CONTENT_TYPES", "file_name", "has_failed_rows", "write_failed_rows"]

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Kept in memory up to this size, then on disk.
SPOOL_BYTES = 1_048_576


def has_failed_rows(job: ImportJob) -> bool:
    """Previewed or applied (or failed after its preview) with rows in error."""
    if job.resource == ONEROSTER or not job.previewed_at:
        return False
    if job.status not in (ImportStatus.PREVIEWED, ImportStatus.APPLIED, ImportStatus.FAILED):
        return False
    totals = job.applied_totals if job.status == ImportStatus.APPLIED else job.totals
    return bool((totals or {}).get(ERROR))


def file_name(job: ImportJob, fmt: str) -> str:
    stem = PurePath(job.original_name).stem[:80] or "import"
    return f"{stem}-failed-rows.{fmt}"


def write_failed_rows(job: ImportJob, fmt: str):
    """A temporary file (at its start) holding the failed rows as ``fmt`` (csv or xlsx)."""
    with job.file.open("rb") as handle:
        data = handle.read()
    table = _whole_table(job, data)
    del data
    output = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned
    sink = _CsvSink(output) if fmt == "csv" else _XlsxSink(output)
    header = table.file_headers
    sink.write([*header, FAILED_ROWS_ERROR_COLUMN])
    positions, _ignored = check_columns(job.resource, table, job.column_map)
    names = {field: header[index] for field, index in positions.items()}
    width = len(header)
    cursor = iter(table.rows)

    def write(_plan, rows: list[RowPlan]) -> None:
        for row in rows:
            number, cells = next(cursor)
            if number != row.row:  # the plan reads the table's rows in order, one each
                raise RuntimeError(f"row {row.row} planned where row {number} was read")
            if row.action != ERROR:
                continue
            cells = [*cells[:width], *[""] * (width - len(cells))]
            sink.write([*cells, _messages(row, names)])

    build_plan(
        RESOURCES[job.resource],
        table,
        course_scope=course_scope(job.user),
        on_batch=write,
        column_map=job.column_map,
    )
    sink.close()
    output.seek(0)
    return output


def _messages(row: RowPlan, names: dict[str, str]) -> str:
    """Every message of the row, each after the column it is about."""
    parts = []
    for field, message in row.errors:
        column = names.get(field, field)
        parts.append(f"{column}: {message}" if column else message)
    return "; ".join(parts) or _("This row has an error.")


def _whole_table(job: ImportJob, data: bytes) -> Table:
    """The stored file with every column, its header row where the import found it.

    The import's own reading (``read_upload``) tells where the header row is (below a
    report's title block) and which rows were a footer; the file is then read again
    keeping every column, and cut the same way.
    """
    found = read_upload(data, job.original_name, job.resource, job.column_map)
    header_row, footer = found.header_row, set(found.footer_rows)
    del found
    whole = read_table(
        data,
        job.original_name,
        max_bytes=settings.SMS_BULKIO_MAX_UPLOAD_BYTES,
        max_rows=settings.SMS_BULKIO_MAX_ROWS + HEADER_SEARCH_ROWS,  # and a title block
    )
    if whole.header_row == header_row:
        headers = whole.headers
    else:  # a report: the generic read took the title block's first row for the header
        cells = next(cells for number, cells in whole.rows if number == header_row)
        headers = [TableBuilder._header(cell) for cell in cells]
        while headers and not headers[-1]:
            headers.pop()
    rows = [row for row in whole.rows if row[0] > header_row and row[0] not in footer]
    # The plan matches the columns over the whole header row: every column is kept here.
    return Table(
        whole.format,
        whole.encoding,
        whole.delimiter,
        headers,
        rows,
        headers,
        header_row=header_row,
    )


class _CsvSink:
    def __init__(self, output):
        self.output = output
        self.buffer = io.StringIO()
        self.buffer.write("\ufeff")  # as the exports: spreadsheet programs read UTF-8
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def write(self, cells: list[str]) -> None:
        self.writer.writerow([safe_cell(cell) for cell in cells])
        if self.buffer.tell() > 65_536:
            self._flush()

    def _flush(self) -> None:
        self.output.write(self.buffer.getvalue().encode("utf-8"))
        self.buffer.seek(0)
        self.buffer.truncate()

    def close(self) -> None:
        self._flush()


class _XlsxSink:
    def __init__(self, output):
        import xlsxwriter

        self.workbook = xlsxwriter.Workbook(
            output,
            {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
        )
        self.sheet = self.workbook.add_worksheet(str(_("Failed rows"))[:31])
        self.number = 0

    def write(self, cells: list[str]) -> None:
        write_string = self.sheet.write_string
        for column, cell in enumerate(cells):
            if cell:
                write_string(self.number, column, safe_cell(cell))
        self.number += 1

    def close(self) -> None:
        self.workbook.close()
