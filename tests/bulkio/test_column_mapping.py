"""The import wizard's mapping step: a file's own column names mapped to fields, by the page
and by `column_map` on POST /api/v1/imports/, remembered per user for the same header row."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from apps.academics.models import Grade
from apps.bulkio.models import ColumnMapping, ImportJob
from tests.bulkio.conftest import upload
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    StudentFactory,
    StudentUserFactory,
    TeacherFactory,
)

pytestmark = pytest.mark.django_db

RULES = [{"category": "Final", "weight": 100}]
# A grade book exported by another program: its own column names.
OWN_HEADER = "Matrikel,Kurs,Aufgabe,Art,Note,Tutor\n"
OWN_MAP = {
    "Matrikel": "student_id",
    "Kurs": "course_code",
    "Aufgabe": "assignment_name",
    "Art": "category",
    "Note": "grade",
}


@pytest.fixture
def enrolled():
    student, course = StudentFactory(), CourseFactory(evaluation_rules=RULES)
    EnrollmentFactory(student=student, course=course)
    return student, course


def own_file(student, course, *, rows=2) -> str:
    lines = "".join(
        f"{student.student_id},{course.course_code},Lab {n},Final,{60 + n},Ms Kosta\n"
        for n in range(rows)
    )
    return OWN_HEADER + lines


def upload_mapped(client, content, column_map, *, resource="grades", name="book.csv", **extra):
    payload = {
        "resource": resource,
        "file": SimpleUploadedFile(name, content.encode()),
        "column_map": column_map if isinstance(column_map, str) else json.dumps(column_map),
        **extra,
    }
    return client.post("/api/v1/imports/", payload, format="multipart")


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- API ------------------------------------------------------------------------------------
def test_import_column_map_reads_unknown_headers_as_the_mapped_fields(admin_api, enrolled):
    student, course = enrolled

    response = upload_mapped(admin_api, own_file(student, course), OWN_MAP)

    body = response.json()
    assert response.status_code == 201
    assert body["totals"] == {"new": 2, "update": 0, "skip": 0, "error": 0}
    assert body["columns"] == ["student_id", "course_code", "assignment_name", "category", "grade"]
    assert body["rows"][1]["data"]["grade"] == "61"
    assert body["ignored_columns"] == ["Tutor"]
    assert (body["column_map"], body["column_map_remembered"]) == (OWN_MAP, False)


def test_import_column_map_is_applied_when_the_import_is_confirmed(admin_api, enrolled):
    student, course = enrolled
    preview = upload_mapped(admin_api, own_file(student, course), OWN_MAP)

    confirm = admin_api.post(f"/api/v1/imports/{preview.json()['id']}/confirm/")

    assert confirm.json()["status"] == "applied"
    assert sorted(Grade.objects.values_list("assignment_name", "grade")) == [
        ("Lab 0", 60),
        ("Lab 1", 61),
    ]


def test_import_column_map_can_ignore_a_column_the_importer_knows(admin_api, enrolled):
    student, course = enrolled
    content = (
        "student_id,course_code,assignment_name,category,grade,notes\n"
        f"{student.student_id},{course.course_code},Lab,Final,70,keep this out\n"
    )

    response = upload_mapped(admin_api, content, {"notes": ""})

    body = response.json()
    assert response.status_code == 201
    assert "notes" not in body["columns"]
    assert body["ignored_columns"] == ["notes"]


@pytest.mark.parametrize(
    ("column_map", "message"),
    [
        ({**OWN_MAP, "Tutor": "teacher"}, "“teacher” is not a field of grades; the fields are:"),
        (
            {**OWN_MAP, "Tutor": "grade"},
            "“Note” and “Tutor” are both mapped to grade; map each field once.",
        ),
        ({**OWN_MAP, "Bemerkung": "notes"}, "The file has no column “Bemerkung”."),
        (["Matrikel"], "The column map must be a JSON object"),
        ({"Matrikel": 7}, "The column map must be a JSON object"),
    ],
    ids=["unknown-field", "two-headers-one-field", "header-not-in-file", "a-list", "not-text"],
)
def test_import_column_map_that_does_not_fit_is_refused_in_one_sentence(
    admin_api, enrolled, column_map, message
):
    student, course = enrolled

    response = upload_mapped(admin_api, own_file(student, course), column_map)

    assert response.status_code == 400
    assert message in response.json()["column_map"][0]
    assert not ImportJob.objects.exists()
    assert not ColumnMapping.objects.exists()


def test_import_column_map_that_is_not_json_is_refused(admin_api, enrolled):
    student, course = enrolled

    response = upload_mapped(admin_api, own_file(student, course), "{Matrikel: student_id")

    assert response.status_code == 400
    assert "column_map" in response.json()
    assert not ImportJob.objects.exists()


def test_import_column_map_field_also_given_by_a_known_column_is_refused(admin_api, enrolled):
    student, course = enrolled
    content = (
        "student_id,course_code,assignment_name,category,grade,Score\n"
        f"{student.student_id},{course.course_code},Lab,Final,70,71\n"
    )

    response = upload_mapped(admin_api, content, {"Score": "grade"})

    assert response.status_code == 400
    assert response.json()["column_map"] == [
        "“Score” is mapped to grade, but the column “grade” already gives it; ignore one of "
        "the two."
    ]


def test_import_column_map_leaving_required_columns_out_gives_the_usual_refusal(
    admin_api, enrolled
):
    student, course = enrolled
    partial = {name: field for name, field in OWN_MAP.items() if field != "grade"}

    response = upload_mapped(admin_api, own_file(student, course), partial)

    assert response.status_code == 400
    assert response.json()["file"][0].startswith("Required columns are missing: grade.")
    assert not ImportJob.objects.exists()


def test_import_column_map_is_refused_for_a_oneroster_package(admin_api):
    response = upload_mapped(
        admin_api, "not a zip", {"a": "grade"}, resource="oneroster", name="roster.zip"
    )

    assert response.status_code == 400
    assert "cannot be mapped" in response.json()["column_map"][0]


# --- Remembered maps ------------------------------------------------------------------------
def test_import_remembered_map_reads_the_next_file_with_the_same_headers(admin_api, enrolled):
    student, course = enrolled
    upload_mapped(admin_api, own_file(student, course), OWN_MAP)
    # The same columns in another order, other rows.
    moved = "Tutor,Note,Art,Aufgabe,Kurs,Matrikel\n" + (
        f"Ms Kosta,88,Final,Project,{course.course_code},{student.student_id}\n"
    )

    response = upload(admin_api, "grades", moved)

    body = response.json()
    assert response.status_code == 201
    assert (body["column_map"], body["column_map_remembered"]) == (OWN_MAP, True)
    assert body["totals"]["new"] == 1
    assert body["rows"][0]["data"]["grade"] == "88"


def test_import_remembered_map_is_the_users_own(admin_api, admin_user, enrolled):
    student, course = enrolled
    teacher = TeacherFactory()
    course.teachers.add(teacher)
    upload_mapped(api_for(teacher), own_file(student, course), OWN_MAP)

    admins = upload(admin_api, "grades", own_file(student, course))
    teachers_again = upload(api_for(teacher), "grades", own_file(student, course))

    assert admins.status_code == 400
    assert "Required columns are missing" in admins.json()["file"][0]
    assert teachers_again.status_code == 201
    assert teachers_again.json()["column_map_remembered"] is True
    assert list(ColumnMapping.objects.values_list("user", flat=True)) == [teacher.pk]


def test_import_remembered_map_is_not_used_for_another_header_row(admin_api, enrolled):
    student, course = enrolled
    upload_mapped(admin_api, own_file(student, course), OWN_MAP)
    other = own_file(student, course).replace("Tutor", "Room")

    response = upload(admin_api, "grades", other)

    assert response.status_code == 400
    assert "Required columns are missing" in response.json()["file"][0]


def test_import_empty_column_map_reads_the_file_without_the_remembered_one(admin_api, enrolled):
    student, course = enrolled
    upload_mapped(admin_api, own_file(student, course), OWN_MAP)

    refused = upload_mapped(admin_api, own_file(student, course), {})
    again = upload(admin_api, "grades", own_file(student, course))

    assert refused.status_code == 400
    assert "Required columns are missing" in refused.json()["file"][0]
    assert again.status_code == 201


def test_import_worker_preview_and_apply_read_the_file_with_the_map(
    admin_api, enrolled, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BULKIO_BACKGROUND_ROWS = 2
    student, course = enrolled

    with django_capture_on_commit_callbacks(execute=False) as queued:
        created = upload_mapped(admin_api, own_file(student, course, rows=5), OWN_MAP)
    for callback in queued:
        callback()  # the worker previews (Celery runs eagerly in tests)
    previewed = admin_api.get(f"/api/v1/imports/{created.json()['id']}/").json()
    with django_capture_on_commit_callbacks(execute=True):
        admin_api.post(f"/api/v1/imports/{created.json()['id']}/confirm/")

    assert created.status_code == 202
    assert previewed["status"] == "previewed"
    assert previewed["totals"]["new"] == 5
    assert previewed["rows"][4]["data"]["grade"] == "64"
    assert Grade.objects.filter(course=course).count() == 5


# --- The page's mapping step ----------------------------------------------------------------
def page_upload(client, content, *, resource="grades", mode="all_or_nothing"):
    file = SimpleUploadedFile("book.csv", content.encode())
    return client.post("/bulk/imports/new/", {"resource": resource, "mode": mode, "file": file})


def map_form(client, job, choices: dict[str, str]):
    headers = [field.label for field in client.get(columns_url(job)).context["form"]]
    data = {f"column_{i}": choices.get(header, "") for i, header in enumerate(headers)}
    return client.post(columns_url(job), data)


def columns_url(job) -> str:
    return f"/bulk/imports/{job.pk}/columns/"


def test_import_page_file_missing_columns_opens_the_mapping_step(client, admin_user, enrolled):
    client.force_login(admin_user)
    student, course = enrolled

    response = page_upload(client, own_file(student, course))
    job = ImportJob.objects.get()
    page = client.get(columns_url(job)).content.decode()

    assert response.status_code == 302
    assert response["Location"] == columns_url(job)
    assert "Required columns are missing: student_id" in page
    assert 'aria-current="step">Columns<' in page
    assert page.count('<select name="column_') == 6
    assert 'data-header="Tutor"' in page


def test_import_page_mapping_step_previews_the_file_and_remembers_the_map(
    client, admin_user, enrolled
):
    client.force_login(admin_user)
    student, course = enrolled
    page_upload(client, own_file(student, course))
    job = ImportJob.objects.get()

    response = map_form(client, job, OWN_MAP)
    job.refresh_from_db()
    detail = client.get(response["Location"]).content.decode()

    assert response["Location"] == f"/bulk/imports/{job.pk}/"
    assert (job.status, job.totals["new"], job.column_map) == ("previewed", 2, OWN_MAP)
    assert "Columns mapped: Matrikel → Student ID" in detail
    assert ColumnMapping.objects.get(user=admin_user).column_map == OWN_MAP


def test_import_page_mapping_step_refuses_two_columns_for_one_field(client, admin_user, enrolled):
    client.force_login(admin_user)
    student, course = enrolled
    page_upload(client, own_file(student, course))
    job = ImportJob.objects.get()

    response = map_form(client, job, {**OWN_MAP, "Tutor": "grade"})

    assert response.status_code == 200
    assert "are both mapped to grade" in response.content.decode()
    job.refresh_from_db()
    assert (job.status, job.column_map) == ("failed", {})


def test_import_page_mapping_step_still_missing_a_column_says_which(client, admin_user, enrolled):
    client.force_login(admin_user)
    student, course = enrolled
    page_upload(client, own_file(student, course))
    job = ImportJob.objects.get()

    response = map_form(client, job, {k: v for k, v in OWN_MAP.items() if v != "category"})

    assert response.status_code == 200
    assert "Required columns are missing: category." in response.content.decode()
    assert ImportJob.objects.get().status == "failed"


def test_import_page_uses_the_remembered_map_and_prefills_it(client, admin_user, enrolled):
    client.force_login(admin_user)
    student, course = enrolled
    upload_mapped(api_for(admin_user), own_file(student, course), OWN_MAP)

    response = page_upload(client, own_file(student, course))
    job = ImportJob.objects.latest("pk")
    detail = client.get(response["Location"]).content.decode()
    form = client.get(columns_url(job)).context["form"]

    assert response["Location"] == f"/bulk/imports/{job.pk}/"
    assert job.status == "previewed"
    assert "Columns mapped as you mapped them last time: Matrikel → Student ID" in detail
    assert {field.label: field.initial for field in form} == {**OWN_MAP, "Tutor": ""}


def test_import_page_maps_an_ignored_column_of_a_previewed_import(client, admin_user, enrolled):
    client.force_login(admin_user)
    student, course = enrolled
    content = (
        "student_id,course_code,assignment_name,category,grade,Remark\n"
        f"{student.student_id},{course.course_code},Lab,Final,70,Well done\n"
    )
    page_upload(client, content)
    job = ImportJob.objects.get()
    detail = client.get(f"/bulk/imports/{job.pk}/").content.decode()
    known = {name: name for name in ("student_id", "course_code", "assignment_name", "category")}

    map_form(client, job, {**known, "grade": "grade", "Remark": "notes"})
    job.refresh_from_db()

    assert 'id="map-columns"' in detail
    assert job.status == "previewed"
    assert job.column_map == {"Remark": "notes"}
    assert job.preview["rows"][0]["data"]["notes"] == "Well done"


def test_import_columns_page_is_the_owners_or_an_admins(client, enrolled):
    student, course = enrolled
    teacher, other = TeacherFactory(), TeacherFactory()
    course.teachers.add(teacher)
    client.force_login(teacher)
    page_upload(client, own_file(student, course))
    job = ImportJob.objects.get()

    client.force_login(other)
    others = client.get(columns_url(job))
    client.force_login(StudentUserFactory())
    students = client.get(columns_url(job))

    assert others.status_code == 404
    assert students.status_code == 403


def test_import_columns_page_of_an_applied_import_says_it_is_too_late(client, admin_user, enrolled):
    client.force_login(admin_user)
    student, course = enrolled
    job_id = upload_mapped(api_for(admin_user), own_file(student, course), OWN_MAP).json()["id"]
    api_for(admin_user).post(f"/api/v1/imports/{job_id}/confirm/")

    response = client.post(f"/bulk/imports/{job_id}/columns/", {"column_0": ""}, follow=True)

    assert "its columns can no longer be changed" in response.content.decode()
    assert Grade.objects.count() == 2
