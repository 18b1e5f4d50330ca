"""GET /api/v1/exports/oneroster.zip: the school as OneRoster 1.1 CSV (SPEC §7)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.academics.models import Student
from apps.bulkio.oneroster import schema
from sms.version import VERSION
from tests.factories import (
    CourseFactory,
    GradeFactory,
    StudentFactory,
    StudentUserFactory,
    TeacherFactory,
    enroll,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/exports/oneroster.zip"
RULES = [{"category": "Homework", "weight": 40}, {"category": "Final", "weight": 60}]


def make_school(*, students: int = 3) -> dict:
    """A teacher's course and a second course, students enrolled in both, graded."""
    teacher = TeacherFactory(username="mteacher", first_name="Maria", last_name="Papa")
    networks = CourseFactory(
        course_code="NET101",
        course_name="Computer Networks",
        semester="2025 Fall",
        evaluation_rules=RULES,
        teachers=[teacher],
    )
    databases = CourseFactory(
        course_code="DB201", course_name="Databases", semester="2026 Spring", evaluation_rules=[]
    )
    people = [StudentFactory() for _ in range(students)]
    for number, student in enumerate(people):
        enroll(student, networks)
        enroll(student, databases)
        GradeFactory(
            student=student,
            course=networks,
            assignment_name="Lab 1",
            category="Homework",
            grade=Decimal(70 + number),
            date_assigned=dt.date(2025, 10, 1),
            date_submitted=dt.date(2025, 10, 3 + number),
        )
        GradeFactory(
            student=student,
            course=networks,
            assignment_name="Final",
            category="Final",
            grade=Decimal("88.50"),
            max_grade=Decimal("100"),
            date_assigned=dt.date(2026, 1, 20),
        )
    return {"teacher": teacher, "networks": networks, "databases": databases, "students": people}


def read_zip(data: bytes) -> dict[str, list[list[str]]]:
    """Every file of the zip as rows of cells, the header first."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: list(csv.reader(io.StringIO(archive.read(name).decode("utf-8"))))
            for name in archive.namelist()
        }


def as_records(files: dict, name: str) -> list[dict[str, str]]:
    header, *rows = files[name]
    return [dict(zip(header, row, strict=True)) for row in rows]


def download(client) -> bytes:
    response = client.get(URL)
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


def test_oneroster_export_admin_gets_every_file_with_the_headers_in_order(admin_api):
    make_school()

    files = read_zip(download(admin_api))

    assert list(files) == [schema.MANIFEST, *schema.FILES]
    for name in schema.FILES:
        assert tuple(files[name][0]) == schema.HEADERS[name], name
    assert tuple(files[schema.MANIFEST][0]) == schema.MANIFEST_HEADERS
    manifest = dict(files[schema.MANIFEST][1:])
    assert manifest["oneroster.version"] == "1.1"
    assert manifest["file.users"] == "bulk"
    assert manifest["file.demographics"] == "absent"


def test_oneroster_export_names_the_school_and_the_version_it_came_from(admin_api, settings):
    settings.SMS_SCHOOL_NAME = "1ο ΕΠΑΛ Αθηνών"

    files = read_zip(download(admin_api))

    assert as_records(files, schema.ORGS)[0]["name"] == "1ο ΕΠΑΛ Αθηνών"
    manifest = dict(files[schema.MANIFEST][1:])
    assert (manifest["source.systemName"], manifest["source.systemCode"]) == ("SMS", VERSION)


def test_oneroster_export_rows_carry_the_schools_records(admin_api):
    school = make_school(students=2)
    student = school["students"][0]

    files = read_zip(download(admin_api))

    users = as_records(files, schema.USERS)
    assert [u["role"] for u in users] == ["student", "student", "teacher"]
    first = next(u for u in users if u["identifier"] == student.student_id)
    assert first["sourcedId"] == str(student.sourced_id)
    assert first["givenName"] == student.first_name
    assert first["status"] == "active"
    assert first["enabledUser"] == "true"
    assert first["dateLastModified"].endswith("Z")
    courses = as_records(files, schema.COURSES)
    assert {c["courseCode"] for c in courses} == {"NET101", "DB201"}
    sessions = as_records(files, schema.ACADEMIC_SESSIONS)
    assert {s["title"] for s in sessions} == {"2025 Fall", "2026 Spring"}
    fall = next(s for s in sessions if s["title"] == "2025 Fall")
    assert (fall["startDate"], fall["endDate"]) == ("2025-09-20", "2026-01-20")
    enrollments = as_records(files, schema.ENROLLMENTS)
    assert sum(e["role"] == "student" for e in enrollments) == 4
    assert sum(e["role"] == "teacher" for e in enrollments) == 1
    items = as_records(files, schema.LINE_ITEMS)
    lab = next(i for i in items if i["title"] == "Lab 1")
    assert (lab["assignDate"], lab["dueDate"], lab["resultValueMax"]) == (
        "2025-10-01",
        "2025-10-04",
        "100.00",
    )
    assert {c["title"] for c in as_records(files, schema.CATEGORIES)} == {"Homework", "Final"}
    results = as_records(files, schema.RESULTS)
    assert len(results) == 4
    assert {r["score"] for r in results} >= {"70.00", "71.00", "88.50"}


def test_oneroster_export_leaves_out_removed_students_and_dropped_enrollments(admin_api):
    school = make_school(students=2)
    gone, other = school["students"]
    Student.objects.filter(pk=gone.pk).update(deleted_at=dt.datetime.now(dt.UTC))
    other.enrollments.filter(course=school["databases"]).update(status="dropped")

    files = read_zip(download(admin_api))

    identifiers = [u["identifier"] for u in as_records(files, schema.USERS)]
    assert gone.student_id not in identifiers
    student_rows = [e for e in as_records(files, schema.ENROLLMENTS) if e["role"] == "student"]
    assert len(student_rows) == 1
    assert len(as_records(files, schema.RESULTS)) == 2


def test_oneroster_export_neutralises_formulas(admin_api):
    StudentFactory(first_name="=HYPERLINK(1)", last_name="@SUM(A1)")

    files = read_zip(download(admin_api))

    user = as_records(files, schema.USERS)[0]
    assert user["givenName"] == "'=HYPERLINK(1)"
    assert user["familyName"] == "'@SUM(A1)"


def test_oneroster_export_sourced_ids_are_stable_between_exports(admin_api):
    make_school()

    first, second = read_zip(download(admin_api)), read_zip(download(admin_api))

    assert first == second


@pytest.mark.parametrize("role", ["teacher", "student"])
def test_oneroster_export_refuses_teachers_and_students(role, teacher_user, student_user):
    client = APIClient()
    client.force_authenticate(teacher_user if role == "teacher" else student_user)

    response = client.get(URL)

    assert response.status_code == 403


def test_oneroster_export_asks_anonymous_users_to_sign_in():
    response = APIClient().get(URL)

    assert response.status_code == 401


def test_oneroster_export_query_count_does_not_grow_with_students(
    admin_api, django_assert_max_num_queries
):
    school = make_school(students=2)
    download(admin_api)
    for _ in range(30):
        student = StudentFactory(user=StudentUserFactory())
        enroll(student, school["networks"])
        GradeFactory(student=student, course=school["networks"], category="Homework")

    with django_assert_max_num_queries(16):
        files = read_zip(download(admin_api))

    assert len(as_records(files, schema.RESULTS)) == 2 * 2 + 30
