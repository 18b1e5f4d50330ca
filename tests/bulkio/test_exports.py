import csv
import datetime as dt
import errno
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core import mail
from django_celery_beat.models import PeriodicTask
from pypdf import PdfReader

from apps.bulkio import export_jobs, scheduling
from apps.bulkio.models import ExportJob, ScheduledExport
from apps.notifications.models import Notification
from tests.bulkio.conftest import upload
from tests.factories import (
    AttendanceFactory,
    CourseFactory,
    EnrollmentFactory,
    GradeFactory,
    StudentFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def _school():
    student = StudentFactory(first_name="=cmd|' /C calc'!A0", notes="+danger")
    course = CourseFactory(course_name="Δίκτυα Υπολογιστών")
    EnrollmentFactory(student=student, course=course)
    GradeFactory(student=student, course=course, assignment_name="-1 quiz", grade=Decimal("7.5"))
    AttendanceFactory(student=student, course=course, date=dt.date(2025, 10, 6), status="late")
    return student, course


def test_export_students_csv_streams_every_column_with_formulas_neutralised(admin_api):
    student, _course = _school()

    response = admin_api.get("/api/v1/exports/students.csv")

    rows = _rows(response)
    assert response["Content-Type"].startswith("text/csv")
    assert rows[0][:4] == ["student_id", "first_name", "last_name", "email"]
    assert rows[1][0] == student.student_id
    assert rows[1][1] == "'=cmd|' /C calc'!A0"
    assert rows[1][rows[0].index("notes")] == "'+danger"


def test_export_column_choice_and_filters(admin_api):
    student, course = _school()
    other = CourseFactory()
    GradeFactory(course=other, student=EnrollmentFactory(course=other).student)

    response = admin_api.get(
        f"/api/v1/exports/grades.csv?columns=student_id,grade&course={course.pk}"
    )

    assert _rows(response) == [["student_id", "grade"], [student.student_id, "7.50"]]


def test_export_unknown_column_is_a_clear_400(admin_api):
    response = admin_api.get("/api/v1/exports/grades.csv?columns=password")

    assert response.status_code == 400
    assert "Unknown columns: password" in str(response.json())


@pytest.mark.parametrize("resource", ["students", "courses", "enrollments", "grades", "attendance"])
def test_export_then_import_previews_as_all_skip(admin_api, resource):
    _school()
    exported = b"".join(admin_api.get(f"/api/v1/exports/{resource}.csv").streaming_content)

    preview = upload(admin_api, resource, exported, name=f"{resource}.csv")

    assert preview.json()["errors"] == []
    assert preview.json()["totals"] == {"new": 0, "update": 0, "skip": 1, "error": 0}


def test_export_xlsx_round_trip_previews_as_all_skip(admin_api):
    _school()
    response = admin_api.get("/api/v1/exports/grades.xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    preview = upload(admin_api, "grades", response.content, name="grades.xlsx")

    assert [cell.value for cell in sheet[2]][2] == "'-1 quiz"
    assert sheet.cell(row=2, column=5).value == 7.5
    assert preview.json()["totals"]["skip"] == 1


def test_export_pdf_has_greek_text_filters_and_time(admin_api):
    _student, course = _school()

    response = admin_api.get(f"/api/v1/exports/courses.pdf?semester={course.semester}")

    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert response["Content-Type"] == "application/pdf"
    assert "Δίκτυα Υπολογιστών" in text
    assert "Semester" in text and "Generated" in text


def test_export_pdf_refuses_more_rows_than_the_limit(admin_api, settings):
    settings.SMS_BULKIO_PDF_MAX_ROWS = 1
    StudentFactory.create_batch(2)

    response = admin_api.get("/api/v1/exports/students.pdf")

    assert response.status_code == 400
    assert "at most 1 rows" in str(response.json())


def test_export_respects_teacher_scope(teacher_api, teacher_user):
    mine, _other = _school()[1], None
    mine.teachers.set([teacher_user])
    outsider = StudentFactory()
    GradeFactory(student=outsider, course=CourseFactory())

    rows = _rows(teacher_api.get("/api/v1/exports/grades.csv?columns=student_id"))

    assert [row[0] for row in rows[1:]] == [mine.enrollments.get().student.student_id]


def test_export_job_runs_in_background_and_announces_the_file(
    admin_api, admin_user, django_capture_on_commit_callbacks
):
    _school()

    with django_capture_on_commit_callbacks(execute=True):
        created = admin_api.post(
            "/api/v1/exports/", {"resource": "attendance", "format": "xlsx"}, format="json"
        )
    job = admin_api.get(f"/api/v1/exports/{created.json()['id']}/").json()
    download = admin_api.get(job["download_url"])

    assert created.status_code == 202
    assert (job["status"], job["progress"], job["row_count"]) == ("ready", 100, 1)
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sheet.cell(row=2, column=4).value == "late"
    notification = Notification.objects.get(recipient=admin_user, kind="export_ready")
    assert notification.data["download_url"] == job["download_url"]


def test_export_old_files_are_cleaned_up(admin_user, media_root):
    job = ExportJob.objects.create(user=admin_user, resource="students", format="csv")
    job.file.save("old.csv", io.BytesIO(b"x"), save=True)
    path = job.file.path

    removed = export_jobs.clean_old_exports(now=job.created_at + dt.timedelta(days=30))

    assert removed == 1
    assert not ExportJob.objects.exists()
    assert not __import__("os").path.exists(path)


# --- Scheduled exports ------------------------------------------------------------------------
def test_scheduled_export_api_stores_a_celery_beat_crontab(admin_api):
    response = admin_api.post(
        "/api/v1/scheduled-exports/",
        {
            "name": "Weekly grades",
            "resource": "grades",
            "format": "csv",
            "crontab": "0 7 * * 1",
            "recipients": ["office@example.org"],
            "filters": {"semester": "A"},
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    task = PeriodicTask.objects.get(name=f"bulkio-scheduled-export-{response.json()['id']}")
    assert task.task == "bulkio.run_scheduled_export"
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("0", "7", "1")
    assert task.enabled is True


def test_scheduled_export_rejects_a_bad_crontab_and_teachers(admin_api, teacher_api):
    bad = admin_api.post(
        "/api/v1/scheduled-exports/",
        {"name": "x", "resource": "grades", "format": "csv", "crontab": "every monday",
         "recipients": ["a@example.org"]},
        format="json",
    )  # fmt: skip
    forbidden = teacher_api.get("/api/v1/scheduled-exports/")

    assert bad.status_code == 400
    assert "five fields" in bad.json()["crontab"][0]
    assert forbidden.status_code == 403


def test_scheduled_export_disable_and_delete_follow_the_periodic_task(admin_api, admin_user):
    scheduled = scheduling.scheduled_export_save(
        ScheduledExport(name="n", owner=admin_user, resource="students", format="csv",
                        crontab="0 6 * * *", recipients=["a@example.org"])
    )  # fmt: skip

    admin_api.patch(f"/api/v1/scheduled-exports/{scheduled.pk}/", {"enabled": False}, format="json")
    disabled = PeriodicTask.objects.get(pk=scheduled.periodic_task_id).enabled
    admin_api.delete(f"/api/v1/scheduled-exports/{scheduled.pk}/")

    assert disabled is False
    assert not PeriodicTask.objects.filter(name__startswith="bulkio-scheduled-export").exists()


def test_scheduled_export_run_emails_a_valid_attachment(admin_user):
    student, _course = _school()
    scheduled = scheduling.scheduled_export_save(
        ScheduledExport(name="Daily students", owner=admin_user, resource="students",
                        format="xlsx", crontab="0 6 * * *", recipients=["office@example.org"])
    )  # fmt: skip

    from apps.bulkio import tasks

    status = tasks.run_scheduled_export.delay(scheduled.pk).get()

    assert status == "sent"
    message = mail.outbox[0]
    assert message.to == ["office@example.org"]
    name, content, mimetype = message.attachments[0]
    assert name.endswith(".xlsx") and "spreadsheetml" in mimetype
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet.cell(row=2, column=1).value == student.student_id


def test_scheduled_export_too_big_to_attach_sends_a_link(admin_user, settings):
    settings.SMS_BULKIO_EMAIL_ATTACHMENT_MAX_BYTES = 10
    _school()
    scheduled = scheduling.scheduled_export_save(
        ScheduledExport(name="Big", owner=admin_user, resource="students", format="csv",
                        crontab="0 6 * * *", recipients=["office@example.org"])
    )  # fmt: skip

    status = scheduling.deliver(scheduled.pk)

    job = ExportJob.objects.get()
    assert status == "sent_link"
    assert mail.outbox[0].attachments == []
    assert f"/api/v1/exports/{job.pk}/download/" in mail.outbox[0].body


def test_scheduled_export_on_a_full_disk_keeps_no_file_and_sends_no_link(
    admin_user, settings, monkeypatch
):
    settings.SMS_BULKIO_EMAIL_ATTACHMENT_MAX_BYTES = 10
    _school()
    scheduled = scheduling.scheduled_export_save(
        ScheduledExport(name="Big", owner=admin_user, resource="students", format="csv",
                        crontab="0 6 * * *", recipients=["office@example.org"])
    )  # fmt: skip

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(scheduling.export_jobs, "write_file", full_disk)
    status = scheduling.deliver(scheduled.pk)

    scheduled.refresh_from_db()
    assert status == "failed"
    assert "disk is full" in scheduled.last_status
    assert not ExportJob.objects.exists()
    assert mail.outbox == []
