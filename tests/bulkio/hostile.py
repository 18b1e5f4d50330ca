"""Hostile files, made by the tests: bombs, damaged workbooks, odd text.

Each function returns the file's bytes. The XLSX files are written part by part with
``zipfile`` so they can say what a real spreadsheet program would never say (a sheet
dimension of a million rows, a cell reference that is not one, a DTD).
"""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable

from apps.bulkio.reading import FileRejected


def traced(read: Callable[[], object]) -> tuple[object, int]:
    """(what ``read`` returned, or the refusal it raised; peak bytes allocated meanwhile)."""
    tracemalloc.start()
    try:
        outcome = read()
    except FileRejected as refusal:
        outcome = refusal
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return outcome, peak


def assert_refused(outcome, message: str) -> None:
    """Refused, naming ``message``, in one short sentence (maybe with a hint)."""
    assert isinstance(outcome, FileRejected), outcome
    text = str(outcome)
    assert message in text, text
    assert len(text) < 200 and text.count(". ") <= 1


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "%s</Types>"
)
SHARED_STRINGS_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>%s</Relationships>'
)
SHARED_STRINGS_REL = (
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/>'
)
STYLES_REL = (
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/>'
)
SHEET_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def inline_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_xml(rows: str, *, dimension: str = "A1:B2", prolog: str = "") -> str:
    return (
        f'{prolog or SHEET_OPEN}<dimension ref="{dimension}"/>'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )


HEADER_ROW = f'<row r="1">{inline_cell("A1", "student_id")}{inline_cell("B1", "grade")}</row>'
DATA_ROW = f'<row r="2">{inline_cell("A2", "S1")}<c r="B2"><v>17.5</v></c></row>'


def xlsx(sheet: str | bytes, *, shared_strings: str | None = None, extra: dict | None = None):
    """A workbook with one sheet, written part by part."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        shared = shared_strings is not None
        archive.writestr("[Content_Types].xml", CONTENT_TYPES % (SHARED_STRINGS_TYPE * shared))
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        styled = "xl/styles.xml" in (extra or {})
        relations = SHARED_STRINGS_REL * shared + STYLES_REL * styled
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS % relations)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared_strings is not None:
            archive.writestr("xl/sharedStrings.xml", shared_strings)
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def plain_xlsx() -> bytes:
    return xlsx(sheet_xml(HEADER_ROW + DATA_ROW))


def rows_xml(rows) -> str:
    """<row> elements from (row number, cells): text as inline strings, numbers as values."""
    parts = []
    for number, cells in rows:
        parts.append(f'<row r="{number}">')
        for index, value in enumerate(cells):
            reference = f"{chr(ord('A') + index)}{number}"
            if isinstance(value, str):
                parts.append(inline_cell(reference, value))
            else:
                parts.append(f'<c r="{reference}"><v>{value}</v></c>')
        parts.append("</row>")
    return "".join(parts)


def dimension_bomb_xlsx(rows=None) -> bytes:
    """1.6 KB: declares every cell of the sheet, holds a couple of rows."""
    body = rows_xml(rows) if rows else HEADER_ROW + DATA_ROW
    return xlsx(sheet_xml(body, dimension="A1:XFD1048576"))


def last_row_xlsx() -> bytes:
    """A header, one row, and one stray cell on the sheet's last row, far to the right."""
    stray = f'<row r="1048576">{inline_cell("XFD1048576", "x")}</row>'
    return xlsx(sheet_xml(HEADER_ROW + DATA_ROW + stray, dimension="A1:XFD1048576"))


def far_row_xlsx() -> bytes:
    """A header, one row, and one real row on the sheet's last row: a million rows apart."""
    last = f'<row r="1048576">{inline_cell("A1048576", "S2")}<c r="B1048576"><v>9</v></c></row>'
    return xlsx(sheet_xml(HEADER_ROW + DATA_ROW + last))


def bad_reference_xlsx(reference: str) -> bytes:
    row = f'<row r="2">{inline_cell(reference, "S1")}</row>'
    return xlsx(sheet_xml(HEADER_ROW + row))


def entity_bomb_xlsx() -> bytes:
    """A "billion laughs" DTD in the sheet: real workbooks have no DTD at all."""
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
    )
    prolog = f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>' + SHEET_OPEN[21:]
    row = f'<row r="2">{inline_cell("A2", "&i;")}</row>'
    return xlsx(sheet_xml(HEADER_ROW + row, prolog=prolog))


def zip_bomb_xlsx(unpacked_mb: int = 1024, *, declared_mb: int | None = None) -> bytes:
    """A valid workbook whose sheet unpacks to ``unpacked_mb`` MB of blank space.

    Each megabyte of blanks is deflated once and its block repeated (a full flush makes
    the blocks independent), so even a gigabyte takes a moment to make. ``declared_mb``
    lets the zip directory lie about the unpacked size.
    """
    head = (SHEET_OPEN + '<dimension ref="A1:B2"/><sheetData>' + HEADER_ROW + DATA_ROW).encode()
    tail = b"</sheetData></worksheet>"
    blank = b" " * 1_048_576
    blocks = unpacked_mb - 1
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated_head = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    deflated_blank = compressor.compress(blank) + compressor.flush(zlib.Z_FULL_FLUSH)
    body = deflated_head + deflated_blank * blocks + compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(head)
    for _block in range(blocks):
        crc = zlib.crc32(blank, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + blocks * len(blank) + len(tail)
    declared = size if declared_mb is None else declared_mb * 1_048_576
    return _replace_member(xlsx(""), "xl/worksheets/sheet1.xml", body, crc, declared)


def _replace_member(archive_bytes: bytes, name: str, body: bytes, crc: int, size: int) -> bytes:
    """Rebuild a zip with one member's deflated data and declared size swapped in."""
    source = zipfile.ZipFile(io.BytesIO(archive_bytes))
    out = io.BytesIO()
    central = []
    for info in source.infolist():
        if info.filename == name:
            data, member_crc, member_size = body, crc, size
        else:
            raw = source.read(info.filename)
            compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
            data = compressor.compress(raw) + compressor.flush()
            member_crc, member_size = zlib.crc32(raw), len(raw)
        encoded = info.filename.encode()
        offset = out.tell()
        sizes = (member_crc, len(data), member_size, len(encoded))
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, *sizes, 0))
        out.write(encoded)
        out.write(data)
        header = (b"PK\x01\x02", 20, 20, 0, 8, 0, 0, *sizes, 0, 0, 0, 0, 0, offset)
        entry = struct.pack("<4s6H3L5H2L", *header)
        central.append(entry + encoded)
    directory_offset = out.tell()
    directory = b"".join(central)
    out.write(directory)
    count = len(central)
    end = (b"PK\x05\x06", 0, 0, count, count, len(directory), directory_offset, 0)
    out.write(struct.pack("<4s4H2LH", *end))
    return out.getvalue()


def many_members_zip(count: int = 5_000) -> bytes:
    """A zip whose directory lists many tiny members: an index that costs memory to read."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for index in range(count):
            archive.writestr(f"{index}", b"")
    return buffer.getvalue()


def shared_strings_xlsx(strings: list[str], rows: str, *, extra: dict | None = None) -> bytes:
    items = "".join(f"<si><t>{text}</t></si>" for text in strings)
    sst = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    )
    return xlsx(sheet_xml(rows), shared_strings=sst, extra=extra)


# --- CSV ------------------------------------------------------------------------------------
def blank_lines_csv(megabytes: float) -> bytes:
    return b"student_id,grade\n" + b"\n" * int(megabytes * 1_048_576)


def many_columns_csv(columns: int = 1_000_000) -> bytes:
    header = ",".join(f"c{index}" for index in range(columns))
    return (header + "\n" + "1," * (columns - 1) + "1\n").encode()


def huge_line_csv(megabytes: float) -> bytes:
    return b"student_id,grade\nS1," + b"9" * int(megabytes * 1_048_576) + b"\n"


def short_cells_csv(cells: int) -> bytes:
    """Many distinct short cells: what makes a table of strings expensive to hold."""
    width = 10
    lines = [",".join(f"c{column}" for column in range(width))]
    row = []
    for index in range(cells):
        row.append(f"{index:x}")
        if len(row) == width:
            lines.append(",".join(row))
            row = []
    return ("\n".join(lines) + "\n").encode()


# --- XLS ------------------------------------------------------------------------------------
def xls(cells) -> bytes:
    """An Excel 97–2003 workbook from (row, column, value) triples."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1", cell_overwrite_ok=True)
    for row, column, value in cells:
        sheet.write(row, column, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def wide_rows_xls(rows: int = 65_535) -> bytes:
    """One number per row in the last column: every row padded to 256 cells when read."""
    header = [(0, 0, "student_id"), (0, 1, "grade")]
    return xls(header + [(row, 255, row) for row in range(1, rows + 1)])


def distinct_strings_xls(count: int) -> bytes:
    """Many distinct short strings: a shared-string table as long as the sheet."""
    header = [(0, 0, "student_id"), (0, 1, "grade")]
    return xls(header + [(1 + index // 200, index % 200, f"{index:x}") for index in range(count)])
