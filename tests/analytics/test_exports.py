"""Analytics files: each format opened and read back."""

import csv
import io

from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader
from rest_framework.test import APIClient

from apps.analytics.exporting import Column, Section, to_csv
from sms.spreadsheets import safe_cell


def _get(user, name, *args, **params):
    client = APIClient()
    client.force_authenticate(user)
    return client.get(reverse(f"analytics-api:{name}", args=args), params)


def test_csv_export_has_the_same_figures(school, admin_user):
    response = _get(admin_user, "courses", format="csv")

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == "Course code")
    math = rows[header_at + 1]
    assert math[:4] == ["MATH1", "Mathematics", "2", "66.0"]


def test_xlsx_export_has_one_sheet_per_section_with_number_formats(school, admin_user):
    response = _get(admin_user, "dashboard", format="xlsx")

    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [
        "Overview",
        "Grade distribution",
        "Attendance trend",
        "Top courses",
        "Bottom courses",
    ]
    trend = workbook["Attendance trend"]
    values = [(row[0].value, row[1].value, row[1].number_format) for row in trend.iter_rows()]
    data_rows = [v for v in values if v[1] == 33.33]
    assert data_rows and data_rows[0][2] == '0.00"%"'
    assert str(data_rows[0][0]).startswith("2025-10-06")


def test_pdf_export_shows_filters_generated_at_and_greek_names(school, admin_user):
    school.ana.first_name, school.ana.last_name = "Ελένη", "Παπαδοπούλου"
    school.ana.save()

    response = _get(admin_user, "students", format="pdf", class_division="A1")

    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Παπαδοπούλου Ελένη" in text
    assert "Class division" in text and "A1" in text
    assert "Generated at" in text


def test_pdf_export_of_dashboard_contains_charts(school, admin_user):
    response = _get(admin_user, "dashboard", format="pdf")

    reader = PdfReader(io.BytesIO(response.content))
    text = reader.pages[0].extract_text()
    assert "Final grades by letter" in text
    assert "Attendance rate by week" in text


def test_unknown_export_format_is_refused(school, admin_user):
    response = _get(admin_user, "dashboard", format="docx")

    assert response.status_code == 400
    assert "format" in response.json()


def test_safe_cell_neutralises_spreadsheet_formulas():
    cells = [safe_cell(value) for value in ("=SUM(A1)", "+1", "-2", "@cmd", "plain", 5)]

    assert cells == ["'=SUM(A1)", "'+1", "'-2", "'@cmd", "plain", 5]


def test_csv_writer_neutralises_formulas_in_names():
    section = Section("Students", [Column("name", "Name")], [{"name": "=HYPERLINK(1)"}])

    content = to_csv([section], []).decode("utf-8-sig")

    assert "'=HYPERLINK(1)" in content
