"""What the import and export pages say when a step is refused: a second confirm, a rollback
of an import that was never applied, a schedule a teacher may not save or that is wrong."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_celery_beat.models import PeriodicTask

from apps.academics.models import Grade
from apps.bulkio.models import ImportJob, ScheduledExport
from tests.factories import CourseFactory, EnrollmentFactory, StudentFactory, TeacherFactory

pytestmark = pytest.mark.django_db

HEADER = "student_id,course_code,assignment_name,category,grade,max_grade\n"
EXPORTS_URL = "/bulk/exports/"


def previewed_job(client) -> ImportJob:
    student, course = StudentFactory(), CourseFactory()
    EnrollmentFactory(student=student, course=course)
    content = HEADER + f"{student.student_id},{course.course_code},Lab,Final,70,100\n"
    client.post(
        "/bulk/imports/new/",
        {
            "resource": "grades",
            "mode": "all_or_nothing",
            "file": SimpleUploadedFile("grades.csv", content.encode()),
        },
    )
    return ImportJob.objects.get()


def schedule(client, **fields):
    data = {"resource": "students", "format": "csv", "schedule": "on", "name": "Weekly"}
    data.update(fields)
    return client.post(EXPORTS_URL, data)


def test_import_confirm_twice_says_only_a_previewed_import_can_be_applied(client, admin_user):
    client.force_login(admin_user)
    job = previewed_job(client)
    client.post(f"/bulk/imports/{job.pk}/confirm/")

    response = client.post(f"/bulk/imports/{job.pk}/confirm/", follow=True)

    assert response.status_code == 200
    assert "only a previewed import can be applied" in response.content.decode()
    assert Grade.objects.count() == 1


def test_import_rollback_of_a_previewed_import_is_refused_with_its_status(client, admin_user):
    client.force_login(admin_user)
    job = previewed_job(client)

    response = client.post(f"/bulk/imports/{job.pk}/rollback/", {"confirmed": "1"}, follow=True)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Only an applied import can be rolled back" in page
    assert ImportJob.objects.get().status == "previewed"


def test_export_schedule_posted_by_a_teacher_saves_nothing_and_downloads_nothing(client):
    client.force_login(TeacherFactory())

    response = schedule(client, crontab="0 7 * * 1", recipients="office@example.org")

    # The form comes back (the teacher's page has no schedule section to show why).
    assert response.status_code == 200
    assert response.context["form"].errors["schedule"] == [
        "Only administrators can schedule exports."
    ]
    assert not ScheduledExport.objects.exists()


def test_export_schedule_with_a_bad_address_asks_for_valid_addresses(client, admin_user):
    client.force_login(admin_user)

    response = schedule(client, crontab="0 7 * * 1", recipients="office@example.org, not-mail")

    assert response.status_code == 200
    assert "Enter valid email addresses separated by commas." in response.content.decode()
    assert not ScheduledExport.objects.exists()


def test_export_schedule_without_recipients_asks_for_one(client, admin_user):
    client.force_login(admin_user)

    response = schedule(client, crontab="0 7 * * 1", recipients=" , ")

    assert response.status_code == 200
    assert "Enter at least one email address." in response.content.decode()
    assert not ScheduledExport.objects.exists()


def test_export_schedule_with_a_wrong_crontab_explains_the_five_fields(client, admin_user):
    client.force_login(admin_user)

    response = schedule(client, crontab="every monday", recipients="office@example.org")

    assert response.status_code == 200
    assert "Write the schedule as five fields" in response.content.decode()
    assert not ScheduledExport.objects.exists()
    assert not PeriodicTask.objects.filter(task="bulkio.run_scheduled_export").exists()
