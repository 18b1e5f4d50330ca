"""The school registry's student lists (XLS/XLSX reports): a title block above the header
row, Greek headers, a footer, and rows without a registration number matched by names."""

from __future__ import annotations

import io

import openpyxl
import pytest
import xlwt

from apps.academics.models import Student
from apps.bulkio.columns import known_column
from apps.bulkio.importing.name_match import normalise_name
from apps.bulkio.importing.plan import build_plan
from apps.bulkio.importing.resources import RESOURCES
from apps.bulkio.readers import FileRejected, read_table
from apps.bulkio.reading.limits import HEADER_SEARCH_ROWS
from tests.bulkio.conftest import upload
from tests.factories import StudentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

HEADER = [
    "Α/Α",
    "Αριθμός μητρώου:",
    "ΕΠΩΝΥΜΟ",
    "ΟΝΟΜΑ",
    "Όνομα πατέρα:",
    "Κηδεμόνας",
    "Τ.Κ.",
    "Κινητό",
    "eMail",
    "Τμήμα",
]
# Rows 1-4: school, title, blank, and a line that names two known columns itself.
TITLE = [
    ["1ο ΕΠΑΛ Αιγάλεω"],
    ["Κατάσταση μαθητών ανά τμήμα"],
    [],
    ["Σχολικό έτος:", "2025-2026", "Τμήμα:", "ΤΠ-Α1"],
]
FOOTER = [[], ["Σύνολο μαθητών: 3"], ["", "", "", "", "", "Ο Διευθυντής"]]


def registry_row(number, student_id, last, first, father, email, *, mobile="6912345678"):
    return [number, student_id, last, first, father, "Γονέας", "12242", mobile, email, "ΤΠ-Α1"]


def registry_rows(data_rows):
    return [*TITLE, HEADER, *data_rows, *FOOTER]


def registry_xlsx(data_rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in registry_rows(data_rows):
        sheet.append(row)
    sheet.merge_cells("A1:J1")
    sheet.merge_cells("A2:J2")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def registry_xls(data_rows) -> bytes:
    book = xlwt.Workbook()
    sheet = book.add_sheet("Μαθητές")
    rows = registry_rows(data_rows)
    sheet.write_merge(0, 0, 0, 9, rows[0][0])
    sheet.write_merge(1, 1, 0, 9, rows[1][0])
    for r, row in enumerate(rows[2:], start=2):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def papadopoulos():
    return StudentFactory(
        student_id="R100",
        last_name="Παπαδόπουλος",
        first_name="Γεώργιος",
        father_name="Νικόλαος",
        email="g.papadopoulos@example.org",
        mobile_phone="",
        class_division="ΤΠ-Β1",
    )


def _preview(admin_api, data: bytes, name: str):
    response = upload(admin_api, "students", data, name=name)
    assert response.status_code == 201, response.content
    return admin_api.get(f"/api/v1/imports/{response.json()['id']}/").json()


def _errors(job) -> dict[int, str]:
    return {error["row"]: error["message"] for error in job["errors"]}


# --- Reading: the header row below a title block ----------------------------------------------
@pytest.mark.parametrize("make, name", [(registry_xlsx, "registry.xlsx"), (registry_xls, "r.xls")])
def test_read_table_finds_the_header_row_below_a_registry_title_block(make, name):
    data = make([registry_row(1, "R1", "Άλφα", "Άννα", "Ιωάννης", "a@example.org")])

    table = read_table(
        data, name, max_bytes=10**7, max_rows=100, keep_column=known_column("students")
    )

    assert table.header_row == 5
    assert table.file_headers == HEADER
    assert [number for number, _cells in table.rows] == [6]
    assert table.footer_rows == (8, 9)
    assert table.headers == [h for h in HEADER if h not in ("Α/Α", "Κηδεμόνας", "Τ.Κ.")]


def test_read_table_generic_file_keeps_its_first_row_as_header():
    data = b"student_id,first_name,last_name,email\nS1,Anna,Alpha,a@example.org\n"

    table = read_table(
        data, "plain.csv", max_bytes=10**6, max_rows=10, keep_column=known_column("students")
    )
    generic = read_table(data, "plain.csv", max_bytes=10**6, max_rows=10)

    assert (table.header_row, generic.header_row) == (1, 1)
    assert [n for n, _ in table.rows] == [n for n, _ in generic.rows] == [2]


def test_read_table_without_a_title_block_keeps_a_trailing_single_cell_row():
    data = "student_id,first_name,last_name,email\nS1,Anna,Alpha,a@example.org\nΣύνολο: 1\n"

    table = read_table(
        data.encode(),
        "plain.csv",
        max_bytes=10**6,
        max_rows=10,
        keep_column=known_column("students"),
    )

    assert [n for n, _ in table.rows] == [2, 3]
    assert table.footer_rows == ()


def test_import_title_block_longer_than_the_search_says_the_first_row_is_not_a_header(
    admin_api,
):
    title = [[f"Γραμμή τίτλου {n}"] for n in range(HEADER_SEARCH_ROWS)]
    data_row = registry_row(1, "R1", "Άλφα", "Άννα", "Ιωάννης", "a@example.org")
    workbook = openpyxl.Workbook()
    for row in [*title, HEADER, data_row]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = upload(admin_api, "students", buffer.getvalue(), name="long-title.xlsx")

    assert response.status_code == 400
    message = str(response.json())
    assert "Required columns are missing" in message
    assert "The file's columns are: Γραμμή τίτλου 0" in message


# --- Importing a registry report -------------------------------------------------------------
@pytest.mark.parametrize("make, name", [(registry_xlsx, "registry.xlsx"), (registry_xls, "r.xls")])
def test_import_registry_report_matches_by_names_and_updates_the_student(
    admin_api, papadopoulos, make, name
):
    other = StudentFactory(student_id="R200", last_name="Νικολάου", first_name="Κώστας")
    data = make(
        [
            registry_row(
                1, "", "ΠΑΠΑΔΟΠΟΥΛΟΣ", "Γεωργιος", "ΝΙΚΟΛΑΟΣ", "g.papadopoulos@example.org"
            ),
            registry_row(2, "R200", "ΝΙΚΟΛΑΟΥ", "ΚΩΣΤΑΣ", "", other.email, mobile="6999999999"),
        ]
    )

    job = _preview(admin_api, data, name)
    confirm = admin_api.post(f"/api/v1/imports/{job['id']}/confirm/")

    assert job["totals"] == {"new": 0, "update": 2, "skip": 0, "error": 0}
    assert [row["row"] for row in job["rows"]] == [6, 7]
    assert job["header_row"] == 5
    assert job["rows"][0]["data"]["student_id"] == "R100"
    assert {"Α/Α", "Κηδεμόνας", "Τ.Κ."} <= set(job["ignored_columns"])
    assert confirm.json()["status"] == "applied"
    papadopoulos.refresh_from_db()
    assert (papadopoulos.student_id, papadopoulos.last_name) == ("R100", "ΠΑΠΑΔΟΠΟΥΛΟΣ")
    assert (papadopoulos.mobile_phone, papadopoulos.class_division) == ("6912345678", "ΤΠ-Α1")
    assert Student.objects.count() == 2


def test_import_registry_without_registration_column_matches_final_sigma_and_accents(admin_api):
    StudentFactory(
        student_id="R300", last_name="Γεωργίου", first_name="Νίκος", father_name="Σταύρος"
    )
    content = (
        "Επώνυμο:;Όνομα:;Πατρώνυμο;Κινητό;E-mail\n"
        "ΓΕΩΡΓΙΟΥ;ΝΙΚΟΣ;ΣΤΑΥΡΟΣ;6900000001;nikos@example.org\n"
    )

    job = _preview(admin_api, content.encode(), "names.csv")

    assert job["totals"]["update"] == 1
    assert job["columns"][0] == "student_id"
    assert job["rows"][0]["data"]["student_id"] == "R300"


def test_import_registry_two_students_with_the_same_names_is_an_error_naming_both(
    admin_api, papadopoulos
):
    StudentFactory(
        student_id="R101",
        last_name="Παπαδοπουλος",
        first_name="ΓΕΩΡΓΙΟΣ",
        father_name="Νικόλαος",
    )
    data = registry_xlsx(
        [registry_row(1, "", "Παπαδόπουλος", "Γεώργιος", "Νικόλαος", "g.p@example.org")]
    )

    job = _preview(admin_api, data, "registry.xlsx")

    assert job["totals"]["error"] == 1
    assert "R100, R101" in _errors(job)[6]
    assert Student.objects.get(student_id="R100").email == "g.papadopoulos@example.org"


def test_import_registry_two_rows_naming_the_same_student_are_both_errors(admin_api, papadopoulos):
    data = registry_xlsx(
        [
            registry_row(1, "", "Παπαδόπουλος", "Γεώργιος", "Νικόλαος", "one@example.org"),
            registry_row(2, "", "ΠΑΠΑΔΟΠΟΥΛΟΣ", "ΓΕΩΡΓΙΟΣ", "ΝΙΚΟΛΑΟΣ", "two@example.org"),
        ]
    )

    job = _preview(admin_api, data, "registry.xlsx")

    assert job["totals"] == {"new": 0, "update": 0, "skip": 0, "error": 2}
    errors = _errors(job)
    assert "Row 7" in errors[6] and "R100" in errors[6]
    assert "Row 6" in errors[7] and "R100" in errors[7]


def test_import_registry_row_matching_no_student_needs_a_registration_number(admin_api):
    data = registry_xls([registry_row(1, "", "Καινούργιος", "Άρης", "Πέτρος", "new@example.org")])

    job = _preview(admin_api, data, "registry.xls")

    assert job["totals"] == {"new": 0, "update": 0, "skip": 0, "error": 1}
    assert "registration number" in _errors(job)[6]
    assert "Καινούργιος Άρης" in _errors(job)[6]
    assert not Student.objects.exists()


def test_import_registry_row_with_registration_number_still_creates_the_student(admin_api):
    data = registry_xlsx([registry_row(1, "R500", "Νέα", "Ελένη", "Πέτρος", "el@example.org")])

    job = _preview(admin_api, data, "registry.xlsx")
    admin_api.post(f"/api/v1/imports/{job['id']}/confirm/")

    assert job["totals"]["new"] == 1
    assert Student.objects.get(student_id="R500").father_name == "Πέτρος"


def test_import_without_registration_number_or_names_still_says_what_is_missing(admin_api):
    content = "Επώνυμο;Όνομα;eMail\nΆλφα;Άννα;a@example.org\n"

    response = upload(admin_api, "students", content, name="two-names.csv")

    assert response.status_code == 400
    assert "Required columns are missing: student_id" in str(response.json())


# --- Names and cost -------------------------------------------------------------------------
def test_normalise_name_ignores_accents_case_final_sigma_and_spacing():
    assert normalise_name(" ΠΑΠΑΔΟΠΟΎΛΟΣ ") == normalise_name("παπαδοπουλος")
    assert normalise_name("Μαρία-Ελένη") == normalise_name("ΜΑΡΙΑ  ΕΛΕΝΗ")
    assert normalise_name("Νίκος") != normalise_name("Νίκη")


def test_build_plan_matches_500_rows_by_names_in_a_bounded_number_of_queries(
    django_assert_max_num_queries,
):
    students = [
        Student(
            student_id=f"R{n:04d}",
            last_name=f"Επώνυμο{n}",
            first_name="Μαρία",
            father_name="Γιάννης",
            email=f"r{n}@example.org",
        )
        for n in range(500)
    ]
    Student.objects.bulk_create(students)
    rows = [
        registry_row(n, "", f"ΕΠΩΝΥΜΟ{n}", "ΜΑΡΙΑ", "ΓΙΑΝΝΗΣ", f"r{n}@example.org", mobile="")
        for n in range(500)
    ]
    table = read_table(
        registry_xlsx(rows),
        "registry.xlsx",
        max_bytes=10**7,
        max_rows=1000,
        keep_column=known_column("students"),
    )

    with django_assert_max_num_queries(3):
        plan = build_plan(RESOURCES["students"], table)

    assert plan.totals["update"] == 500
    assert plan.header_row == 5


def test_read_table_counts_the_title_block_against_the_cell_limit():
    title = [[f"Τίτλος {row}-{column}" for column in range(10)] for row in range(10)]
    data_row = registry_row(1, "R1", "Άλφα", "Άννα", "Ιωάννης", "a@example.org")
    workbook = openpyxl.Workbook()
    for row in [*title, HEADER, data_row]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    limits = {"max_bytes": 10**7, "max_rows": 100, "max_cells": 100}
    keep = known_column("students")

    small = read_table(registry_xlsx([data_row]), "r.xlsx", keep_column=keep, **limits)
    with pytest.raises(FileRejected, match="more than 100 cells"):
        read_table(buffer.getvalue(), "title.xlsx", keep_column=keep, **limits)

    assert small.header_row == 5
