"""Workbooks that real spreadsheet programs do write (prefixed tags, phonetic guides, rows
without numbers, a styles part left out) read as people expect; damaged ones (no sheet, a
sheet link to nowhere, endless styles, an endless shared string) are refused in a sentence."""

from __future__ import annotations

import io
import zipfile

import pytest

from apps.bulkio.readers import FileRejected, read_table
from tests.bulkio import hostile

LIMITS = {"max_bytes": 25 * 1_048_576, "max_rows": 200_000}
DAMAGED = "could not be read as an Excel workbook"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def workbook(sheet: str, *, book: str = hostile.WORKBOOK, relations: str = "", parts=None):
    """One sheet, with the workbook part, its relations and any extra parts as given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", hostile.CONTENT_TYPES % "")
        archive.writestr("_rels/.rels", hostile.ROOT_RELS)
        archive.writestr("xl/workbook.xml", book)
        archive.writestr("xl/_rels/workbook.xml.rels", hostile.WORKBOOK_RELS % relations)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, content in (parts or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def styles(xfs: str, num_fmts: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN_NS}">'
        f"<numFmts>{num_fmts}</numFmts><cellXfs>{xfs}</cellXfs></styleSheet>"
    )


def read(data: bytes):
    return read_table(data, "grades.xlsx", **LIMITS)


def refusal(data: bytes) -> str:
    with pytest.raises(FileRejected) as refused:
        read(data)
    return str(refused.value)


def test_xlsx_with_namespace_prefixed_tags_reads_its_rows():
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{MAIN_NS}"><x:sheetData>'
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>student_id</x:t></x:is></x:c>'
        '<x:c r="B1" t="inlineStr"><x:is><x:t>grade</x:t></x:is></x:c></x:row>'
        '<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>S1</x:t></x:is></x:c>'
        '<x:c r="B2"><x:v>17.5</x:v></x:c></x:row></x:sheetData></x:worksheet>'
    )

    table = read(workbook(sheet))

    assert table.headers == ["student_id", "grade"]
    assert table.rows == [(2, ("S1", "17.5"))]


def test_xlsx_phonetic_guide_is_not_read_into_the_cell():
    name = '<c r="A2" t="inlineStr"><is><t>山田</t><rPh sb="0" eb="2"><t>ヤマダ</t></rPh></is></c>'
    sheet = hostile.sheet_xml(hostile.HEADER_ROW + f'<row r="2">{name}<c r="B2"><v>9</v></c></row>')

    table = read(workbook(sheet))

    assert table.rows == [(2, ("山田", "9"))]


def test_xlsx_rows_without_numbers_follow_one_another():
    rows = (
        '<row><c t="inlineStr"><is><t>student_id</t></is></c>'
        '<c t="inlineStr"><is><t>grade</t></is></c></row>'
        '<row><c t="inlineStr"><is><t>S1</t></is></c><c><v>7</v></c></row>'
        '<row><c t="inlineStr"><is><t>S2</t></is></c><c><v>8</v></c></row>'
    )

    table = read(workbook(hostile.sheet_xml(rows)))

    assert table.rows == [(2, ("S1", "7")), (3, ("S2", "8"))]


def test_xlsx_whose_styles_part_is_missing_still_reads_numbers():
    data = workbook(
        hostile.sheet_xml(hostile.HEADER_ROW + hostile.DATA_ROW), relations=hostile.STYLES_REL
    )

    assert read(data).rows == [(2, ("S1", "17.5"))]


def test_xlsx_style_with_a_garbled_format_id_reads_the_number_as_a_number():
    row = f'<row r="2">{hostile.inline_cell("A2", "S1")}<c r="B2" s="0"><v>45000</v></c></row>'
    data = workbook(
        hostile.sheet_xml(hostile.HEADER_ROW + row),
        relations=hostile.STYLES_REL,
        parts={"xl/styles.xml": styles('<xf numFmtId="fourteen"/>')},
    )

    assert read(data).rows == [(2, ("S1", "45000"))]


def test_xlsx_date_cell_beyond_the_calendar_reads_as_its_number():
    row = f'<row r="2">{hostile.inline_cell("A2", "S1")}<c r="B2" s="0"><v>99999999</v></c></row>'
    data = workbook(
        hostile.sheet_xml(hostile.HEADER_ROW + row),
        relations=hostile.STYLES_REL,
        parts={"xl/styles.xml": styles('<xf numFmtId="14"/>')},
    )

    assert read(data).rows == [(2, ("S1", "99999999"))]


def test_xlsx_without_a_sheet_is_refused_as_damaged():
    book = hostile.WORKBOOK.replace('<sheet name="Sheet1" sheetId="1" r:id="rId1"/>', "")

    message = refusal(workbook(hostile.sheet_xml(hostile.HEADER_ROW), book=book))

    assert DAMAGED in message


def test_xlsx_whose_sheet_link_leads_nowhere_is_refused_as_damaged():
    book = hostile.WORKBOOK.replace('r:id="rId1"', 'r:id="rId9"')

    message = refusal(workbook(hostile.sheet_xml(hostile.HEADER_ROW), book=book))

    assert DAMAGED in message


def test_xlsx_with_more_cell_styles_than_excel_allows_is_refused_as_damaged():
    data = workbook(
        hostile.sheet_xml(hostile.HEADER_ROW + hostile.DATA_ROW),
        relations=hostile.STYLES_REL,
        parts={"xl/styles.xml": styles('<xf numFmtId="0"/>' * 65_537)},
    )

    assert DAMAGED in refusal(data)


def test_xlsx_with_more_number_formats_than_excel_allows_is_refused_as_damaged():
    formats = "".join(f'<numFmt numFmtId="{n}" formatCode="0"/>' for n in range(65_537))
    data = workbook(
        hostile.sheet_xml(hostile.HEADER_ROW + hostile.DATA_ROW),
        relations=hostile.STYLES_REL,
        parts={"xl/styles.xml": styles('<xf numFmtId="0"/>', formats)},
    )

    assert DAMAGED in refusal(data)


def test_xlsx_shared_string_longer_than_a_cell_may_be_is_refused_with_the_limit():
    shared = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}">'
        f"<si><t>{'x' * 131_073}</t></si></sst>"
    )
    row = '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'

    data = hostile.xlsx(hostile.sheet_xml(hostile.HEADER_ROW + row), shared_strings=shared)

    assert refusal(data) == "The workbook has a cell longer than 131,072 characters."
