"""Export API consistency and the import/export pages' labels."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.bulkio.models import ExportJob
from tests.factories import CourseFactory, EnrollmentFactory, StudentFactory

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_export_job_accepts_a_single_course_as_well_as_a_list(admin_api):
    course = CourseFactory()

    single = admin_api.post(
        "/api/v1/exports/",
        {"resource": "students", "format": "csv", "filters": {"course": course.pk}},
        format="json",
    )

    assert single.status_code == 202
    assert ExportJob.objects.get(pk=single.json()["id"]).filters["course"] == [course.pk]


def test_export_job_filter_errors_are_nested_under_filters(admin_api):
    response = admin_api.post(
        "/api/v1/exports/",
        {"resource": "students", "format": "csv", "filters": {"course": "abc"}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"filters": {"course": ["Enter a whole number."]}}


def test_export_stream_unknown_resource_is_a_404_with_a_text_detail(admin_api):
    response = admin_api.get("/api/v1/exports/bogus.csv")

    assert response.status_code == 404
    assert response.json() == {"detail": "Unknown resource “bogus”."}


def test_export_stream_search_narrows_rows_like_the_crud_list(admin_api):
    StudentFactory(student_id="QA-F1", last_name="Found")
    StudentFactory(student_id="ZZ-9", last_name="Other")

    response = admin_api.get("/api/v1/exports/students.csv?search=QA-F1&columns=student_id")

    assert _rows(response) == [["student_id"], ["QA-F1"]]


def test_export_job_search_is_kept_and_applied(admin_api, django_capture_on_commit_callbacks):
    StudentFactory(student_id="QA-F2", last_name="Found")
    StudentFactory(student_id="ZZ-8", last_name="Other")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(
            "/api/v1/exports/",
            {"resource": "students", "format": "csv", "filters": {"search": "qa-f2"}},
            format="json",
        )

    job = ExportJob.objects.get(pk=response.json()["id"])
    assert job.filters == {"search": "qa-f2"}
    assert job.row_count == 1


def test_export_page_offers_scoped_courses_and_divisions_as_choices(client, teacher_user):
    mine = CourseFactory(course_code="MINE1", teachers=[teacher_user])
    CourseFactory(course_code="THEIRS1")
    EnrollmentFactory(student=StudentFactory(class_division="B7"), course=mine)
    client.force_login(teacher_user)

    page = client.get("/bulk/exports/").content.decode()

    assert f'<option value="{mine.pk}">MINE1' in page
    assert "THEIRS1" not in page
    assert '<option value="B7">B7</option>' in page
    assert ">Student ID<" in page


def test_export_page_course_choice_filters_the_download(client, admin_user):
    course = CourseFactory()
    EnrollmentFactory(course=course)
    client.force_login(admin_user)

    response = client.post(
        "/bulk/exports/", {"resource": "students", "format": "csv", "course": str(course.pk)}
    )

    assert response.status_code == 302
    assert f"course={course.pk}" in response["Location"]


def test_import_preview_shows_column_and_action_labels(client, admin_user):
    client.force_login(admin_user)
    content = "student_id,first_name,last_name,email\nS1,Ana,Alpha,ana@example.org\nS2,B,B,bad\n"

    job_url = client.post(
        "/bulk/imports/new/",
        {"resource": "students", "mode": "all_or_nothing",
         "file": SimpleUploadedFile("s.csv", content.encode())},
    )["Location"]  # fmt: skip
    page = client.get(job_url).content.decode()

    assert "<th>Student ID</th>" in page
    assert 'data-action="new">New<' in page
    assert 'data-action="error">Error<' in page
    assert 'aria-current="step">Confirm<' in page


def test_import_page_lists_templates_by_resource_name(client, teacher_user):
    client.force_login(teacher_user)

    page = client.get("/bulk/imports/new/").content.decode()

    assert "<li>Grades: <a" in page
    assert "<li>grades:" not in page
