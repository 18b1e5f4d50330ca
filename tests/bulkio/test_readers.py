import datetime as dt
import io

import openpyxl
import pytest
import xlwt
from openpyxl.utils.datetime import MAC_EPOCH

from apps.bulkio.columns import (
    CellError,
    match_headers,
    missing_columns,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_study_year,
)
from apps.bulkio.readers import FileRejected, detect_delimiter, detect_encoding, read_table
from tests.bulkio import hostile

LIMITS = {"max_bytes": 1_000_000, "max_rows": 1_000}
GREEK_CSV = "Επώνυμο:;Όνομα:;Ηλ. Ταχυδρομείο:;Έτος Σπουδών:\nΆλφα;Ευάγγελος;e@example.org;Β'\n"


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("cp1253", "cp1253"),
        ("iso-8859-7", "iso-8859-7"),
    ],
)
def test_read_table_decodes_greek_registration_form_in_every_encoding(encoding, detected):
    data = GREEK_CSV.encode(encoding)

    table = read_table(data, "form.csv", **LIMITS)

    assert table.encoding == detected
    assert table.delimiter == ";"
    assert table.headers == ["Επώνυμο:", "Όνομα:", "Ηλ. Ταχυδρομείο:", "Έτος Σπουδών:"]
    assert table.rows == [(2, ("Άλφα", "Ευάγγελος", "e@example.org", "Β'"))]


def test_detect_encoding_tells_latin1_from_greek():
    data = "name,city\nJosé Müller,Zürich\n".encode("latin-1")

    assert detect_encoding(data) == "latin-1"
    assert read_table(data, "x.csv", **LIMITS).rows[0][1] == ("José Müller", "Zürich")


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_read_table_sniffs_delimiter(delimiter):
    text = delimiter.join(["student_id", "first_name", "notes"]) + "\n"
    text += delimiter.join(["S1", "Anna", "likes maths"]) + "\n"

    table = read_table(text.encode(), "x.tsv" if delimiter == "\t" else "x.csv", **LIMITS)

    assert table.delimiter == delimiter
    assert table.rows[0][1] == ("S1", "Anna", "likes maths")


def test_read_table_reads_xlsx_with_dates_and_whole_numbers():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["student_id", "enrollment_date", "study_year"])
    sheet.append(["S1", dt.datetime(2025, 9, 15), 2])
    buffer = io.BytesIO()
    workbook.save(buffer)

    table = read_table(buffer.getvalue(), "students.xlsx", **LIMITS)

    assert table.format == "xlsx"
    assert table.rows == [(2, ("S1", "2025-09-15", "2"))]


def test_read_table_reads_xls():
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    for column, value in enumerate(["student_id", "Όνομα", "study_year"]):
        sheet.write(0, column, value)
    for column, value in enumerate(["S1", "Ελένη", 3.0]):
        sheet.write(1, column, value)
    buffer = io.BytesIO()
    book.save(buffer)

    table = read_table(buffer.getvalue(), "old.xls", **LIMITS)

    assert table.headers == ["student_id", "Όνομα", "study_year"]
    assert table.rows == [(2, ("S1", "Ελένη", "3"))]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "x.csv", "The file is empty."),
        (b"   \n\n", "x.csv", "The file is empty."),
        (b"student_id,first_name\n", "x.csv", "header row but no data rows"),
        (b"a,b\n1,2\n", "x.pdf", "not a file we can import"),
        (b"not really a workbook", "x.xlsx", "could not be read as an Excel workbook"),
        (b"not really a workbook", "x.xls", "Excel 97"),
        (b"a,b\n\x00\x01,2\n", "x.csv", "binary data"),
    ],
)
def test_read_table_refuses_unreadable_files_with_a_clear_message(data, name, message):
    with pytest.raises(FileRejected, match=message):
        read_table(data, name, **LIMITS)


def test_read_table_enforces_size_and_row_limits():
    data = b"a\n" + b"1\n" * 20

    with pytest.raises(FileRejected, match="more than 10 data rows"):
        read_table(data, "x.csv", max_bytes=1_000, max_rows=10)
    with pytest.raises(FileRejected, match="largest file accepted"):
        read_table(data, "x.csv", max_bytes=10, max_rows=100)


def test_read_table_keeps_file_row_numbers_across_blank_lines():
    table = read_table(b"a,b\n\n1,2\n,\n3,4\n", "x.csv", **LIMITS)

    assert [number for number, _ in table.rows] == [3, 5]


def test_match_headers_understands_greek_form_and_ignores_extras():
    positions, ignored = match_headers(
        "students", ["Επώνυμο:", "ΟΝΟΜΑ", "Ηλ. Ταχυδρομείο:", "Α.Μ.", "Αγαπημένο χρώμα"]
    )

    assert positions == {"last_name": 0, "first_name": 1, "email": 2, "student_id": 3}
    assert ignored == ["Αγαπημένο χρώμα"]
    assert missing_columns("grades", {"student_id": 0}) == [
        "course_code",
        "assignment_name",
        "category",
        "grade",
    ]


def test_cell_parsers_accept_local_formats_and_refuse_nonsense():
    assert parse_date("15/09/2025") == dt.date(2025, 9, 15)
    assert parse_date("2025-09-15") == dt.date(2025, 9, 15)
    assert parse_decimal("17,5") == parse_decimal("17.5")
    assert [parse_study_year(v) for v in ["Α'", "Β΄", "γ", "Δ", "2"]] == [1, 2, 3, 4, 2]
    assert parse_bool("Ναι") is True and parse_bool("no") is False
    for parser, value in [
        (parse_date, "31/02/2025"),
        (parse_decimal, "abc"),
        (parse_bool, "maybe"),
    ]:
        with pytest.raises(CellError):
            parser(value)


def test_detect_delimiter_prefers_the_one_that_splits_every_line_alike():
    sample = "name;email;notes\nDoe, John;j@example.org;likes maths, physics\n"

    assert detect_delimiter(sample) == ";"


def test_read_table_gives_every_row_a_cell_per_column_and_drops_empty_cells_past_them():
    table = read_table(b"a,b,c\n1\n4,5,6,,,,\n7,8,9,,10\n", "x.csv", **LIMITS)

    assert table.rows == [(2, ("1", "", "")), (3, ("4", "5", "6")), (4, ("7", "8", "9", "", "10"))]


def test_read_table_reads_formula_results_booleans_errors_and_rich_text_from_xlsx():
    rows = (
        hostile.HEADER_ROW.replace("</row>", hostile.inline_cell("C1", "flag") + "</row>")
        + '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2"><f>1+1</f><v>2</v></c>'
        '<c r="C2" t="b"><v>1</v></c></row>'
        '<row r="3"><c r="A3" t="str"><f>A2</f><v>S2</v></c><c r="B3" t="e"><v>#DIV/0!</v></c>'
        "</row>"
    )
    strings = "<r><t>S</t></r><r><rPr><b/></rPr><t>1</t></r><rPh><t>ignored</t></rPh>"
    sst = f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si>{strings}</si></sst>'
    data = hostile.xlsx(hostile.sheet_xml(rows), shared_strings=sst)

    table = read_table(data, "grades.xlsx", **LIMITS)

    assert table.rows == [(2, ("S1", "2", "true")), (3, ("S2", "#DIV/0!", ""))]


def test_read_table_reads_dates_of_a_1904_workbook():
    workbook = openpyxl.Workbook()
    workbook.epoch = MAC_EPOCH
    workbook.active.append(["student_id", "date"])
    workbook.active.append(["S1", dt.date(2025, 9, 15)])
    buffer = io.BytesIO()
    workbook.save(buffer)

    table = read_table(buffer.getvalue(), "dates.xlsx", **LIMITS)

    assert table.rows == [(2, ("S1", "2025-09-15"))]


def test_read_table_keeps_only_the_columns_asked_for_and_remembers_the_file_header():
    data = b"Notes,a,Extra,b\nlong text,1,more text,2,past the header\n"

    table = read_table(data, "x.csv", **LIMITS, keep_column=lambda name: name in {"a", "b"})

    assert table.headers == ["a", "b"]
    assert table.file_headers == ["Notes", "a", "Extra", "b"]
    assert table.rows == [(2, ("1", "2"))]


def test_read_table_counts_dropped_columns_against_the_cell_limit():
    data = b"a,x,y\n" + b"1,2,3\n" * 4

    with pytest.raises(FileRejected, match="more than 10 cells"):
        read_table(data, "x.csv", **LIMITS, max_cells=10, keep_column=lambda name: name == "a")


def test_read_table_keeping_no_column_still_reads_the_header_for_the_message():
    table = read_table(b"x,y\n1,2\n", "x.csv", **LIMITS, keep_column=lambda name: False)

    assert table.headers == [] and table.rows == [(2, ())]
    assert table.file_headers == ["x", "y"]
