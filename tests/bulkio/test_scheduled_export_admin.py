"""The Django admin's superuser keeps scheduled exports there: add one (its schedule checked
and registered with beat), run it now, delete it; import and export jobs are read-only
records there, each with a way back to the import wizard."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from apps.bulkio.models import ExportJob, ImportChange, ImportJob, ScheduledExport
from apps.bulkio.scheduling import scheduled_export_save
from tests.factories import AdminFactory, CourseFactory, EnrollmentFactory, StudentFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:bulkio_scheduledexport_add")
LIST_URL = reverse("admin:bulkio_scheduledexport_changelist")


@pytest.fixture
def admin_user(db):
    # bulkio's admin pages grant nothing by role: the site's superuser manages them.
    return AdminFactory(is_superuser=True)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def form_data(**fields) -> dict:
    data = {
        "name": "Weekly students",
        "resource": "students",
        "format": "csv",
        "columns": "[]",
        "filters": "{}",
        "crontab": "0 7 * * 1",
        "recipients": '["office@example.org"]',
        "enabled": "on",
    }
    data.update(fields)
    return data


def saved_schedule(owner, name: str) -> ScheduledExport:
    return scheduled_export_save(
        ScheduledExport(
            name=name,
            owner=owner,
            resource="students",
            format="csv",
            crontab="0 7 * * 1",
            recipients=["office@example.org"],
        )
    )


def test_scheduled_export_added_in_the_admin_is_registered_with_beat(admin_client, admin_user):
    response = admin_client.post(ADD_URL, form_data(owner=admin_user.pk))

    scheduled = ScheduledExport.objects.get()
    assert response.status_code == 302
    assert scheduled.owner == admin_user
    assert scheduled.periodic_task.enabled
    assert scheduled.periodic_task.crontab.hour == "7"
    assert "Weekly students" in admin_client.get(LIST_URL).content.decode()


def test_scheduled_export_with_a_wrong_crontab_is_refused_on_the_admin_form(
    admin_client, admin_user
):
    response = admin_client.post(ADD_URL, form_data(owner=admin_user.pk, crontab="at seven"))

    assert response.status_code == 200
    assert "Write the schedule as five fields" in response.content.decode()
    assert not ScheduledExport.objects.exists()


def test_scheduled_export_deleted_in_the_admin_leaves_no_beat_task(admin_client, admin_user):
    scheduled = saved_schedule(admin_user, "Weekly students")
    delete_url = reverse("admin:bulkio_scheduledexport_delete", args=[scheduled.pk])

    response = admin_client.post(delete_url, {"post": "yes"})

    assert response.status_code == 302
    assert not ScheduledExport.objects.exists()
    assert not PeriodicTask.objects.filter(task="bulkio.run_scheduled_export").exists()


def test_scheduled_exports_deleted_together_leave_no_beat_task(admin_client, admin_user):
    chosen = [saved_schedule(admin_user, name).pk for name in ("Monday", "Friday")]

    admin_client.post(
        LIST_URL, {"action": "delete_selected", "_selected_action": chosen, "post": "yes"}
    )

    assert not ScheduledExport.objects.exists()
    assert not PeriodicTask.objects.filter(task="bulkio.run_scheduled_export").exists()


def test_scheduled_export_run_now_emails_the_file_and_reports_it(admin_client, admin_user):
    StudentFactory(student_id="S77777")
    scheduled = saved_schedule(admin_user, "Weekly students")

    response = admin_client.post(
        LIST_URL, {"action": "run_now", "_selected_action": [scheduled.pk]}, follow=True
    )

    assert "Weekly students: sent" in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["office@example.org"]
    (name, content, _type) = mail.outbox[0].attachments[0]
    assert name.endswith(".csv")
    assert "S77777" in (content.decode() if isinstance(content, bytes) else content)
    scheduled.refresh_from_db()
    assert scheduled.last_status == "sent"


def test_import_job_in_the_admin_links_back_to_its_wizard_page(admin_client):
    student, course = StudentFactory(), CourseFactory()
    EnrollmentFactory(student=student, course=course)
    content = (
        "student_id,course_code,assignment_name,category,grade,max_grade\n"
        f"{student.student_id},{course.course_code},Lab,Final,70,100\n"
    )
    admin_client.post(
        "/bulk/imports/new/",
        {
            "resource": "grades",
            "mode": "all_or_nothing",
            "file": SimpleUploadedFile("grades.csv", content.encode()),
        },
    )
    job = ImportJob.objects.get()
    admin_client.post(f"/bulk/imports/{job.pk}/confirm/")
    change = ImportChange.objects.get()

    job_page = admin_client.get(reverse("admin:bulkio_importjob_change", args=[job.pk]))
    change_page = admin_client.get(reverse("admin:bulkio_importchange_change", args=[change.pk]))

    assert job_page.status_code == 200
    assert f'href="/bulk/imports/{job.pk}/"' in job_page.content.decode()
    assert f"#{job.pk} grades · grades.csv (applied)" in job_page.content.decode()
    assert change_page.status_code == 200
    assert f"create academics.Grade#{change.object_id} (row 2)" in change_page.content.decode()


def test_export_job_in_the_admin_is_titled_by_resource_format_and_status(admin_client, admin_user):
    job = ExportJob.objects.create(user=admin_user, resource="grades", format="xlsx")

    page = admin_client.get(reverse("admin:bulkio_exportjob_change", args=[job.pk]))

    assert page.status_code == 200
    assert f"#{job.pk} grades.xlsx (queued)" in page.content.decode()
