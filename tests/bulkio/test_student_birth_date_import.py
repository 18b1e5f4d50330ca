"""A student's date of birth in files: read under its English and Greek (registry) headers
in ISO and day/month/year forms, refused with the row named when out of range, and
exported as a column that re-imports unchanged."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.utils import timezone

from apps.academics.models import Student
from tests.bulkio.conftest import upload
from tests.factories import StudentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _confirm(api, preview) -> dict:
    assert preview.status_code == 201, preview.content
    return api.post(f"/api/v1/imports/{preview.json()['id']}/confirm/").json()


# --- Import -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "cell"),
    [
        ("date_of_birth", "2009-03-14"),
        ("Date of birth", "14/03/2009"),
        ("DOB", "14.03.2009"),
        ("Ημερομηνία γέννησης", "14/03/2009"),
        ("Ημερομηνία Γέννησης:", "14-03-2009"),
        ("Ημ/νία γέννησης", "14/3/2009"),
        ("ΗΜ/ΝΙΑ ΓΕΝΝΗΣΗΣ", "2009-03-14"),
    ],
)
def test_import_students_reads_the_date_of_birth_under_its_aliases(admin_api, header, cell):
    content = (
        f"student_id,first_name,last_name,email,{header}\nB1,Anna,Alpha,a@example.org,{cell}\n"
    )

    applied = _confirm(admin_api, upload(admin_api, "students", content))

    assert applied["status"] == "applied"
    assert Student.objects.get(student_id="B1").date_of_birth == dt.date(2009, 3, 14)


def test_import_registry_report_reads_a_date_of_birth_cell_under_a_greek_header(admin_api):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["1ο ΕΠΑΛ Αιγάλεω"])
    sheet.append(["Κατάσταση μαθητών"])
    sheet.append([])
    sheet.append(["Αριθμός μητρώου:", "Επώνυμο", "Όνομα", "Ημ/νία γέννησης", "eMail"])
    sheet.append(["R1", "Άλφα", "Άννα", dt.datetime(2008, 11, 3), "a@example.org"])
    sheet.append(["R2", "Βήτα", "Βασίλης", "03/11/2008", "b@example.org"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    preview = upload(admin_api, "students", buffer.getvalue(), name="registry.xlsx")
    applied = _confirm(admin_api, preview)

    assert preview.json()["header_row"] == 4
    assert applied["status"] == "applied"
    born = dict(Student.objects.values_list("student_id", "date_of_birth"))
    assert born == {"R1": dt.date(2008, 11, 3), "R2": dt.date(2008, 11, 3)}


def test_import_students_refuses_a_date_of_birth_out_of_range_naming_the_row(admin_api):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    content = (
        "student_id,first_name,last_name,email,date_of_birth\n"
        "B1,Anna,Alpha,a@example.org,01/01/1890\n"
        f"B2,Babis,Beta,b@example.org,{tomorrow}\n"
        "B3,Chloe,Gamma,c@example.org,31/02/2009\n"
        "B4,Dora,Delta,d@example.org,\n"
    )

    job = upload(admin_api, "students", content).json()

    assert job["totals"] == {"new": 1, "update": 0, "skip": 0, "error": 3}
    messages = {error["row"]: error["message"] for error in job["errors"]}
    assert "The date of birth cannot be before 1900-01-01." in messages[2]
    assert "The date of birth cannot be in the future." in messages[3]
    assert "is not a date" in messages[4]


# --- Export -----------------------------------------------------------------------------------
def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_export_students_has_the_date_of_birth_column_and_re_imports_unchanged(admin_api):
    StudentFactory(student_id="B1", date_of_birth=dt.date(2009, 3, 14))
    StudentFactory(student_id="B2")

    everything = admin_api.get("/api/v1/exports/students.csv")
    chosen = _csv(admin_api.get("/api/v1/exports/students.csv?columns=student_id,date_of_birth"))
    exported = b"".join(everything.streaming_content)
    again = upload(admin_api, "students", exported, name="students.csv").json()

    assert chosen == [["student_id", "date_of_birth"], ["B1", "2009-03-14"], ["B2", ""]]
    assert "date_of_birth" in exported.decode("utf-8-sig").splitlines()[0].split(",")
    assert again["totals"] == {"new": 0, "update": 0, "skip": 2, "error": 0}


def test_export_page_offers_the_date_of_birth_column(client, admin_user):
    client.force_login(admin_user)

    page = client.get("/bulk/exports/", {"resource": "students"}).content.decode()

    assert 'value="date_of_birth"' in page
    assert "Date of birth" in page
