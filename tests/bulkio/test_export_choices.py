"""Exports with the filters people choose, files long enough to stream in pieces, PDFs
built in the background, and export jobs that fail, repeat or linger: each gives the rows
asked for, or a job that says why it failed, and never another user's file."""

import csv
import datetime as dt
import io
import os
import time

import pytest
from pypdf import PdfReader

from apps.bulkio import export_jobs, exporting, leases
from apps.bulkio.models import ExportJob
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    GradeFactory,
    StudentFactory,
    TeacherFactory,
)

pytestmark = pytest.mark.django_db


def rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def first_column(response) -> list[str]:
    return [row[0] for row in rows(response)[1:]]


@pytest.fixture
def run_export(admin_api, django_capture_on_commit_callbacks):
    """Ask for a background export (run at once: Celery is eager here); its job as read."""

    def run(client=admin_api, **payload) -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            created = client.post("/api/v1/exports/", payload, format="json")
        assert created.status_code == 202, created.content
        return client.get(f"/api/v1/exports/{created.json()['id']}/").json()

    return run


def test_student_export_by_division_and_year_lists_only_those_students(admin_api):
    StudentFactory(student_id="S-A2-2", class_division="A2", study_year=2)
    StudentFactory(student_id="S-A2-1", class_division="A2", study_year=1)
    StudentFactory(student_id="S-B1-2", class_division="B1", study_year=2)

    response = admin_api.get(
        "/api/v1/exports/students.csv", {"class_division": "A2", "study_year": 2}
    )

    assert response.status_code == 200
    assert first_column(response) == ["S-A2-2"]


def test_student_export_of_chosen_students_lists_only_them(admin_api):
    chosen, other = StudentFactory(student_id="S-ONE"), StudentFactory(student_id="S-TWO")

    response = admin_api.get("/api/v1/exports/students.csv", {"student": chosen.pk})

    assert first_column(response) == ["S-ONE"]
    assert other.student_id not in first_column(response)


def test_course_export_of_one_course_lists_only_it(admin_api):
    chosen = CourseFactory(course_code="NET101")
    CourseFactory(course_code="DB201")

    response = admin_api.get("/api/v1/exports/courses.csv", {"course": chosen.pk})

    assert first_column(response) == ["NET101"]


def test_grade_export_by_study_year_and_date_lists_only_those_grades(admin_api):
    course = CourseFactory()
    second_year = StudentFactory(student_id="Y2", study_year=2)
    first_year = StudentFactory(student_id="Y1", study_year=1)
    for student in (second_year, first_year):
        EnrollmentFactory(student=student, course=course)
        GradeFactory(student=student, course=course, date_assigned=dt.date(2025, 10, 1))
    GradeFactory(student=second_year, course=course, date_assigned=dt.date(2025, 9, 1))

    response = admin_api.get(
        "/api/v1/exports/grades.csv", {"study_year": 2, "date_from": "2025-09-15"}
    )

    assert first_column(response) == ["Y2"]


def test_csv_export_longer_than_one_piece_has_each_row_once_under_one_header(
    admin_api, monkeypatch
):
    monkeypatch.setattr(exporting, "CHUNK", 3)
    StudentFactory.create_batch(10)

    table = rows(admin_api.get("/api/v1/exports/students.csv"))

    assert table[0][0] == "student_id"
    assert sum(1 for row in table if row[0] == "student_id") == 1
    assert len(table) == 11
    assert len({row[0] for row in table[1:]}) == 10


def test_background_csv_export_in_many_pieces_is_whole_when_ready(run_export, monkeypatch):
    monkeypatch.setattr(exporting, "CHUNK", 1)
    StudentFactory.create_batch(12)

    job = run_export(resource="students", format="csv")

    assert (job["status"], job["progress"], job["row_count"]) == ("ready", 100, 12)


def test_background_pdf_export_is_a_pdf_with_the_rows(admin_api, run_export):
    StudentFactory(student_id="S-PDF-1", last_name="Παπαδόπουλος")

    job = run_export(resource="students", format="pdf")
    download = admin_api.get(job["download_url"])

    data = b"".join(download.streaming_content)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert job["status"] == "ready"
    assert data.startswith(b"%PDF")
    assert "S-PDF-1" in text
    assert "Παπαδόπουλος" in text


def test_export_job_whose_columns_are_no_longer_known_fails_with_the_reason(admin_user):
    job = ExportJob.objects.create(
        user=admin_user, resource="students", format="csv", columns=["student_id", "shoe_size"]
    )

    export_jobs.run_export(job.pk, token="worker")

    job.refresh_from_db()
    assert job.status == "failed"
    assert "Unknown columns: shoe_size." in job.error_message
    assert not job.file


def test_export_job_delivered_again_after_it_is_ready_is_left_alone(run_export):
    StudentFactory()
    job = run_export(resource="students", format="csv")
    before = ExportJob.objects.values("status", "file", "finished_at").get(pk=job["id"])

    export_jobs.run_export(job["id"], token="late-delivery")

    assert ExportJob.objects.values("status", "file", "finished_at").get(pk=job["id"]) == before


def test_export_jobs_list_shows_a_teacher_only_their_own(teacher_api, teacher_user, admin_user):
    ExportJob.objects.create(user=admin_user, resource="students", format="csv")
    mine = ExportJob.objects.create(user=teacher_user, resource="grades", format="csv")
    ExportJob.objects.create(user=TeacherFactory(), resource="grades", format="xlsx")

    response = teacher_api.get("/api/v1/exports/")

    body = response.json()
    listed = body["results"] if isinstance(body, dict) else body
    assert response.status_code == 200
    assert [job["id"] for job in listed] == [mine.pk]


def test_hard_time_limit_of_an_export_another_run_took_over_leaves_it_running(admin_user):
    job = ExportJob.objects.create(
        user=admin_user, resource="students", format="csv", status="running"
    )
    assert leases.claim("export", job.pk, "the-retry")

    export_jobs.fail_killed(job.pk, token="the-killed-run")

    job.refresh_from_db()
    assert job.status == "running"


def test_clean_old_exports_removes_partial_files_older_than_a_day_only(media_root):
    partial = media_root / export_jobs.PARTIAL_DIR
    partial.mkdir(parents=True)
    old, recent = partial / "old.part", partial / "recent.part"
    old.write_bytes(b"half a file")
    recent.write_bytes(b"being written")
    two_days_ago = time.time() - 2 * 86_400
    os.utime(old, (two_days_ago, two_days_ago))

    export_jobs.clean_old_exports()

    assert not old.exists()
    assert recent.exists()
