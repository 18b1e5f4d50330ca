"""GET /api/v1/imports/{id}/failed-rows.csv|xlsx: the rows with errors, as the user uploaded
them plus an `error` column, to fix and upload again."""

import csv
import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from apps.academics.models import Grade
from tests.bulkio.conftest import upload
from tests.bulkio.test_registry_reports import HEADER as REGISTRY_HEADER
from tests.bulkio.test_registry_reports import registry_row, registry_xlsx
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    StudentFactory,
    StudentUserFactory,
    TeacherFactory,
)

pytestmark = pytest.mark.django_db

RULES = [{"category": "Final", "weight": 100}]
HEADER = "Tutor,student_id,course_code,assignment_name,category,grade,max_grade\n"


@pytest.fixture
def enrolled():
    student, course = StudentFactory(), CourseFactory(evaluation_rules=RULES)
    EnrollmentFactory(student=student, course=course)
    return student, course


def grades_file(student, course) -> str:
    """Rows 2 and 4 are fine; row 3 has a bad grade; row 5 a bad grade and max grade."""
    s, c = student.student_id, course.course_code
    return HEADER + (
        f"Ms Kosta,{s},{c},Lab 1,Final,70,100\n"
        f'=HYPERLINK("http://x"),{s},{c},Lab 2,Final,seventy,100\n'
        f"Ms Kosta,{s},{c},Lab 3,Final,80,100\n"
        f"Mr Pappas,{s},{c},Lab 4,Final,ninety,lots\n"
    )


def download(client, job_id, fmt="csv"):
    return client.get(f"/api/v1/imports/{job_id}/failed-rows.{fmt}")


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def xlsx_rows(response) -> list[list[str]]:
    data = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    return [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(
        values_only=True)]  # fmt: skip


def previewed(client, content, **kwargs) -> int:
    response = upload(client, "grades", content, mode="skip_invalid", **kwargs)
    assert response.status_code == 201
    return response.json()["id"]


def test_failed_rows_csv_has_only_the_failed_rows_with_every_column_and_the_errors(
    admin_api, enrolled
):
    job_id = previewed(admin_api, grades_file(*enrolled))

    response = download(admin_api, job_id)

    rows = csv_rows(response)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="data-failed-rows.csv"'
    assert rows[0] == [*HEADER.strip().split(","), "error"]
    assert [row[3] for row in rows[1:]] == ["Lab 2", "Lab 4"]
    assert rows[1][6:] == ["100", "grade: “seventy” is not a number."]
    assert rows[2][-1] == "grade: “ninety” is not a number.; max_grade: “lots” is not a number."


def test_failed_rows_neutralise_formulas_as_every_export_does(admin_api, enrolled):
    job_id = previewed(admin_api, grades_file(*enrolled))

    from_csv = csv_rows(download(admin_api, job_id))
    from_xlsx = xlsx_rows(download(admin_api, job_id, "xlsx"))

    assert from_csv[1][0] == '\'=HYPERLINK("http://x")'
    assert from_xlsx[1][0] == '\'=HYPERLINK("http://x")'


def test_failed_rows_xlsx_has_the_same_rows(admin_api, enrolled):
    job_id = previewed(admin_api, grades_file(*enrolled))

    response = download(admin_api, job_id, "xlsx")

    rows = xlsx_rows(response)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert rows[0] == [*HEADER.strip().split(","), "error"]
    assert [row[3] for row in rows[1:]] == ["Lab 2", "Lab 4"]
    assert rows[2][-1].startswith("grade: “ninety” is not a number.")


def test_failed_rows_fixed_and_uploaded_again_import(admin_api, enrolled):
    job_id = previewed(admin_api, grades_file(*enrolled))
    rows = csv_rows(download(admin_api, job_id))
    rows[1][5], rows[2][5:7] = "75", ["85", "100"]
    fixed = io.StringIO()
    csv.writer(fixed).writerows(rows)

    again = upload(admin_api, "grades", fixed.getvalue(), name="fixed.csv")
    confirm = admin_api.post(f"/api/v1/imports/{again.json()['id']}/confirm/")

    assert again.status_code == 201
    assert again.json()["totals"] == {"new": 2, "update": 0, "skip": 0, "error": 0}
    assert again.json()["ignored_columns"] == ["Tutor", "error"]
    assert confirm.json()["status"] == "applied"
    assert sorted(Grade.objects.values_list("assignment_name", "grade")) == [
        ("Lab 2", 75),
        ("Lab 4", 85),
    ]


def test_failed_rows_of_a_mapped_file_keep_its_own_headers_and_reimport_with_the_map(
    admin_api, enrolled
):
    student, course = enrolled
    content = "Matrikel,Kurs,Aufgabe,Art,Note\n" + (
        f"{student.student_id},{course.course_code},Lab 1,Final,70\n"
        f"{student.student_id},{course.course_code},Lab 2,Final,x\n"
    )
    column_map = dict(
        zip(["Matrikel", "Kurs", "Aufgabe", "Art", "Note"],
            ["student_id", "course_code", "assignment_name", "category", "grade"], strict=True)
    )  # fmt: skip
    job_id = admin_api.post(
        "/api/v1/imports/",
        {"resource": "grades", "mode": "skip_invalid", "column_map": json.dumps(column_map),
         "file": SimpleUploadedFile("book.csv", content.encode())},
        format="multipart",
    ).json()["id"]  # fmt: skip
    rows = csv_rows(download(admin_api, job_id))
    rows[1][4] = "72"
    fixed = io.StringIO()
    csv.writer(fixed).writerows(rows)

    again = upload(admin_api, "grades", fixed.getvalue())

    assert rows[0] == ["Matrikel", "Kurs", "Aufgabe", "Art", "Note", "error"]
    assert rows[1][-1] == "Note: “x” is not a number."
    assert again.json()["column_map_remembered"] is True
    assert again.json()["totals"]["new"] == 1


def test_failed_rows_of_an_applied_import_are_the_rows_it_skipped(admin_api, enrolled):
    job_id = previewed(admin_api, grades_file(*enrolled))
    admin_api.post(f"/api/v1/imports/{job_id}/confirm/")

    rows = csv_rows(download(admin_api, job_id))

    assert Grade.objects.count() == 2
    assert [row[3] for row in rows[1:]] == ["Lab 2", "Lab 4"]


def test_failed_rows_of_a_report_start_at_its_header_row(admin_api):
    data = registry_xlsx(
        [
            registry_row(1, "R1", "Alpha", "Anna", "Nikos", "anna@example.org"),
            registry_row(2, "R2", "Beta", "Babis", "Petros", "not-an-email"),
        ]
    )
    response = upload(admin_api, "students", data, name="registry.xlsx", mode="skip_invalid")

    rows = csv_rows(download(admin_api, response.json()["id"]))

    assert response.json()["header_row"] > 1
    assert rows[0] == [*REGISTRY_HEADER, "error"]
    assert [row[1] for row in rows[1:]] == ["R2"]
    assert rows[1][-1].startswith("eMail: ")


def test_failed_rows_are_the_owners_or_an_admins(enrolled, admin_api):
    student, course = enrolled
    teacher, other = TeacherFactory(), TeacherFactory()
    course.teachers.add(teacher)
    owner = APIClient()
    owner.force_authenticate(teacher)
    job_id = previewed(owner, grades_file(student, course))
    others, students = APIClient(), APIClient()
    others.force_authenticate(other)
    students.force_authenticate(StudentUserFactory())

    assert download(owner, job_id).status_code == 200
    assert download(admin_api, job_id).status_code == 200
    assert download(others, job_id).status_code == 404
    assert download(students, job_id).status_code == 403


def test_failed_rows_of_an_import_without_errors_are_refused(admin_api, enrolled):
    student, course = enrolled
    content = HEADER + f"x,{student.student_id},{course.course_code},Lab,Final,70,100\n"
    job_id = previewed(admin_api, content)

    response = download(admin_api, job_id)
    unknown = download(admin_api, job_id, "pdf")

    assert response.status_code == 409
    assert response.json()["detail"] == "This import has no rows with errors to download."
    assert admin_api.get(f"/api/v1/imports/{job_id}/").json()["failed_rows"] is None
    assert unknown.status_code == 404


def test_failed_rows_take_the_same_queries_for_ten_or_six_hundred_rows(
    admin_api, enrolled, django_assert_max_num_queries
):
    student, course = enrolled

    def bad_rows(count):
        lines = "".join(
            f"t,{student.student_id},{course.course_code},Lab {n},Final,bad,100\n"
            for n in range(count)
        )
        return previewed(admin_api, HEADER + lines)

    small, large = bad_rows(10), bad_rows(600)

    with django_assert_max_num_queries(12) as few:
        assert len(csv_rows(download(admin_api, small))) == 11
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(csv_rows(download(admin_api, large))) == 601


def test_import_page_offers_the_failed_rows_download(client, admin_user, enrolled):
    client.force_login(admin_user)
    api = APIClient()
    api.force_authenticate(admin_user)
    job_id = previewed(api, grades_file(*enrolled))

    page = client.get(f"/bulk/imports/{job_id}/").content.decode()

    assert f'href="/api/v1/imports/{job_id}/failed-rows.csv"' in page
    assert f'href="/api/v1/imports/{job_id}/failed-rows.xlsx"' in page
