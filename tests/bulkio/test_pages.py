from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.academics.models import Grade
from apps.bulkio.models import ImportJob
from tests.factories import CourseFactory, EnrollmentFactory, GradeFactory, StudentFactory

pytestmark = pytest.mark.django_db

HEADER = "student_id,course_code,assignment_name,category,grade,max_grade\n"


def _post_file(client, content: str, mode: str = "all_or_nothing"):
    return client.post(
        "/bulk/imports/new/",
        {
            "resource": "grades",
            "mode": mode,
            "file": SimpleUploadedFile("grades.csv", content.encode()),
        },
    )


def _enrolled():
    student, course = StudentFactory(), CourseFactory()
    EnrollmentFactory(student=student, course=course)
    return student, course


def test_wizard_upload_shows_preview_with_bad_cell_highlighted(client, admin_user):
    client.force_login(admin_user)
    student, course = _enrolled()
    content = HEADER + f"{student.student_id},{course.course_code},Lab,Lab,120,100\n"

    response = _post_file(client, content)
    page = client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert 'class="cell-error" title="The grade cannot be higher' in page
    assert "Nothing can be imported while rows have errors" in page


def test_wizard_rejected_file_explains_itself_on_the_form(client, admin_user):
    client.force_login(admin_user)

    response = _post_file(client, HEADER)

    assert response.status_code == 200
    assert "The file has a header row but no data rows." in response.content.decode()


def test_wizard_confirm_then_rollback_with_conflict_display(client, admin_user):
    client.force_login(admin_user)
    student, course = _enrolled()
    GradeFactory(student=student, course=course, assignment_name="Lab", grade=Decimal("10"))
    job_url = _post_file(
        client, HEADER + f"{student.student_id},{course.course_code},Lab,Final,70,100\n"
    )["Location"]
    job = ImportJob.objects.get()

    client.post(f"/bulk/imports/{job.pk}/confirm/")
    Grade.objects.update(grade=Decimal("33"))
    refused = client.post(
        f"/bulk/imports/{job.pk}/rollback/", {"confirmed": "1"}, follow=True
    ).content.decode()
    client.post(f"/bulk/imports/{job.pk}/rollback/", {"force": "1", "confirmed": "1"})

    assert "1 row was changed after the import" in refused
    assert "Grade: 70 → 33.00" in refused
    assert Grade.objects.get().grade == Decimal("10")
    assert client.get(job_url).context["job"].status == "rolled_back"


def test_import_history_page_lists_jobs(client, admin_user):
    client.force_login(admin_user)
    _post_file(client, HEADER + "S1,C1,Lab,Lab,1,10\n")

    page = client.get("/bulk/imports/").content.decode()

    assert "grades.csv" in page


def test_export_page_redirects_to_the_file_and_schedules(client, admin_user):
    client.force_login(admin_user)

    download = client.post("/bulk/exports/", {"resource": "students", "format": "csv"})
    scheduled = client.post(
        "/bulk/exports/",
        {"resource": "students", "format": "csv", "schedule": "on", "name": "Weekly",
         "crontab": "0 7 * * 1", "recipients": "office@example.org"},
        follow=True,
    )  # fmt: skip

    assert download["Location"].startswith("/api/v1/exports/students.csv")
    assert "Scheduled export “Weekly” saved." in scheduled.content.decode()


def test_import_pages_are_closed_to_students(client, student_user):
    client.force_login(student_user)

    assert client.get("/bulk/imports/new/").status_code == 403


def test_status_poll_reloads_the_page_when_the_worker_has_finished(client, admin_user):
    client.force_login(admin_user)
    student, course = _enrolled()
    content = HEADER + f"{student.student_id},{course.course_code},Lab,Lab,12,20\n"
    job = ImportJob.objects.get(pk=_post_file(client, content)["Location"].split("/")[-2])
    poll = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "import-status"}

    ImportJob.objects.filter(pk=job.pk).update(status="previewing")
    running = client.get(f"/bulk/imports/{job.pk}/", **poll)
    ImportJob.objects.filter(pk=job.pk).update(status="previewed")
    previewed = client.get(f"/bulk/imports/{job.pk}/", **poll)
    ImportJob.objects.filter(pk=job.pk).update(status="applied")
    applied = client.get(f"/bulk/imports/{job.pk}/", **poll)

    # While the worker runs the card keeps polling; once the preview is there the whole
    # page reloads with its rows, which the card alone does not carry. After an apply the
    # card says it all (a reload would drop the toast that reports it).
    assert running.status_code == 200 and 'hx-trigger="every 1s"' in running.content.decode()
    assert previewed.status_code == 204 and previewed["HX-Refresh"] == "true"
    assert applied.status_code == 200 and 'data-status="applied"' in applied.content.decode()


def test_a_rollback_nobody_confirmed_asks_first_and_undoes_nothing(client, admin_user):
    """A click before the page's script has run (or without scripts) is not taken as a
    yes: the page asks, and its own button rolls back."""
    client.force_login(admin_user)
    student, course = _enrolled()
    _post_file(client, HEADER + f"{student.student_id},{course.course_code},Lab,Final,70,100\n")
    job = ImportJob.objects.get()
    client.post(f"/bulk/imports/{job.pk}/confirm/")

    asked = client.post(f"/bulk/imports/{job.pk}/rollback/")
    still = ImportJob.objects.get().status
    confirmed = client.post(f"/bulk/imports/{job.pk}/rollback/", {"confirmed": "1"})

    page = asked.content.decode()
    assert asked.status_code == 200
    assert f"Undo import #{job.pk}?" in page
    assert 'name="confirmed" value="1"' in page
    assert still == "applied"
    assert confirmed.status_code == 302
    assert ImportJob.objects.get().status == "rolled_back"
    assert not Grade.objects.exists()


def test_the_rollback_question_keeps_the_overwrite_choice(client, admin_user):
    client.force_login(admin_user)
    student, course = _enrolled()
    _post_file(client, HEADER + f"{student.student_id},{course.course_code},Lab,Final,70,100\n")
    job = ImportJob.objects.get()
    client.post(f"/bulk/imports/{job.pk}/confirm/")

    page = client.post(f"/bulk/imports/{job.pk}/rollback/", {"force": "1"}).content.decode()

    assert 'name="force" value="1"' in page
    assert ImportJob.objects.get().status == "applied"
