"""The import and export API answers what a client may ask: import history filtered by kind
and status, a template that does not exist, columns an export does not have, a schedule
that cannot run or is switched off."""

import pytest
from django.core import mail

from apps.bulkio import scheduling, tasks
from apps.bulkio.models import ExportJob, ImportJob, ScheduledExport
from tests.bulkio.conftest import upload
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

COURSES = "course_code,course_name,semester\nK1,Kinematics,A\n"
STUDENTS = "student_id,first_name,last_name,email\nK9,Kostas,Kappa,k9@example.org\n"


def schedule(owner, **fields) -> ScheduledExport:
    values = {
        "name": "Weekly students",
        "owner": owner,
        "resource": "students",
        "format": "csv",
        "crontab": "0 7 * * 1",
        "recipients": ["office@example.org"],
    }
    values.update(fields)
    return scheduling.scheduled_export_save(ScheduledExport(**values))


def test_import_history_filtered_by_kind_and_status_lists_only_those(admin_api):
    courses = upload(admin_api, "courses", COURSES).json()["id"]
    students = upload(admin_api, "students", STUDENTS).json()["id"]
    admin_api.post(f"/api/v1/imports/{students}/confirm/")

    applied_students = admin_api.get(
        "/api/v1/imports/", {"resource": "students", "status": "applied"}
    )
    previewed = admin_api.get("/api/v1/imports/", {"status": "previewed"})

    assert [job["id"] for job in applied_students.json()["results"]] == [students]
    assert [job["id"] for job in previewed.json()["results"]] == [courses]


def test_import_history_filter_with_an_unknown_status_is_a_400_listing_the_choices(admin_api):
    response = admin_api.get("/api/v1/imports/", {"status": "half-done"})

    assert response.status_code == 400
    assert response.json()["status"][0].startswith("Choose one of: queued, previewing")


def test_import_template_of_an_unknown_kind_is_a_404(admin_api):
    response = admin_api.get("/api/v1/imports/templates/timetable.csv")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such template."}


def test_background_export_with_a_column_the_records_lack_is_a_400_and_queues_nothing(
    admin_api,
):
    response = admin_api.post(
        "/api/v1/exports/",
        {"resource": "students", "format": "csv", "columns": ["student_id", "shoe_size"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["columns"][0].startswith("Unknown columns: shoe_size.")
    assert not ExportJob.objects.exists()


def test_scheduled_export_with_a_column_the_records_lack_is_a_400(admin_api):
    response = admin_api.post(
        "/api/v1/scheduled-exports/",
        {
            "name": "Weekly",
            "resource": "students",
            "format": "csv",
            "columns": ["shoe_size"],
            "crontab": "0 7 * * 1",
            "recipients": ["office@example.org"],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["columns"][0].startswith("Unknown columns: shoe_size.")
    assert not ScheduledExport.objects.exists()


def test_scheduled_export_with_an_hour_that_does_not_exist_is_refused(admin_api):
    response = admin_api.post(
        "/api/v1/scheduled-exports/",
        {
            "name": "Weekly",
            "resource": "students",
            "format": "csv",
            "crontab": "0 25 * * 1",
            "recipients": ["office@example.org"],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["crontab"][0].startswith("The schedule is not valid:")
    assert not ScheduledExport.objects.exists()


def test_scheduled_export_switched_off_sends_nothing_when_beat_fires(admin_user):
    StudentFactory()
    scheduled = schedule(admin_user, enabled=False)

    outcome = tasks.run_scheduled_export.apply(args=[scheduled.pk]).get()

    assert outcome == "disabled"
    assert mail.outbox == []
    scheduled.refresh_from_db()
    assert scheduled.last_run_at is None


def test_export_page_for_an_unknown_kind_offers_the_student_columns(client, admin_user):
    client.force_login(admin_user)

    response = client.get("/bulk/exports/", {"resource": "timetable"})

    assert response.status_code == 200
    choices = [value for value, _label in response.context["form"].fields["columns"].choices]
    assert choices[0] == "student_id"
    assert ImportJob.objects.count() == 0
