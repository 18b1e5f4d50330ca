"""The students report as a file lists each student's risk reasons in one cell, as the page
shows them."""

import csv
import io

from django.urls import reverse
from rest_framework.test import APIClient


def test_students_report_csv_lists_risk_reasons_in_one_cell(school, admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    page = client.get(reverse("analytics-api:students")).json()

    response = client.get(reverse("analytics-api:students"), {"format": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == "Student ID")
    header = rows[header_at]
    by_id = {row[0]: dict(zip(header, row, strict=False)) for row in rows[header_at + 1 :] if row}
    ben = next(item for item in page["results"] if item["student_id"] == school.ben.student_id)
    cell = by_id[school.ben.student_id]["Risk reasons"]
    assert len(ben["risk_reasons"]) >= 2
    assert cell.count("; ") == len(ben["risk_reasons"]) - 1
    assert by_id[school.ben.student_id]["Risk level"] == "high"
