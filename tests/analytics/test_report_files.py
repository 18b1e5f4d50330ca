"""The grades, attendance and course reports as files: every section a sheet, the charts in
the PDF, statuses and weekdays in words."""

import io

from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader
from rest_framework.test import APIClient


def get(user, name, *args, **params):
    client = APIClient()
    client.force_authenticate(user)
    return client.get(reverse(f"analytics-api:{name}", args=args), params)


def pdf_text(response) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def sheet_values(workbook, name: str) -> list[list]:
    return [[cell.value for cell in row] for row in workbook[name].iter_rows()]


def test_grades_report_as_a_workbook_has_a_sheet_per_section(school, admin_user):
    response = get(admin_user, "grades", format="xlsx")

    workbook = load_workbook(io.BytesIO(response.content))
    assert response.status_code == 200
    assert workbook.sheetnames[0] == "Overview"
    assert len(workbook.sheetnames) >= 3
    overview = [value for row in sheet_values(workbook, "Overview") for value in row]
    assert any(isinstance(value, int | float) for value in overview)


def test_grades_report_as_pdf_draws_the_grade_histogram(school, admin_user):
    response = get(admin_user, "grades", format="pdf")

    assert response["Content-Type"] == "application/pdf"
    assert "Grades by percentage" in pdf_text(response)


def test_attendance_report_names_statuses_and_weekdays_in_words(school, admin_user):
    response = get(admin_user, "attendance", format="xlsx")

    workbook = load_workbook(io.BytesIO(response.content))
    words = {str(value) for name in workbook.sheetnames for row in sheet_values(workbook, name)
             for value in row if value is not None}  # fmt: skip
    assert {"Present", "Absent", "Late", "Excused"} <= words
    assert words & {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}


def test_attendance_report_as_pdf_draws_the_weekday_chart(school, admin_user):
    response = get(admin_user, "attendance", format="pdf")

    assert "Attendance rate by weekday (%)" in pdf_text(response)


def test_course_report_as_pdf_shows_the_course_and_its_final_grades_chart(school, admin_user):
    response = get(admin_user, "course-detail", school.math.pk, format="pdf")

    text = pdf_text(response)
    assert response.status_code == 200
    assert "MATH1" in text
    assert "Final grades" in text
