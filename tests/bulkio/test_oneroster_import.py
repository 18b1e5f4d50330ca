"""POST /api/v1/imports/ resource=oneroster: a OneRoster 1.1 zip through the usual
preview → confirm → rollback (SPEC §7)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tracemalloc
import uuid
import zipfile

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from apps.academics.models import Course, Enrollment, Grade, Student
from apps.accounts.models import Role, User
from apps.bulkio.oneroster import schema
from tests.bulkio.conftest import snapshot, upload
from tests.bulkio.test_oneroster_export import as_records, download, make_school, read_zip
from tests.factories import CourseFactory, StudentFactory, StudentUserFactory, enroll

pytestmark = pytest.mark.django_db


def build_zip(files: dict[str, list[list[str]]], *, modes: dict[str, str] | None = None) -> bytes:
    """A package of the given files (header row first); the manifest lists them."""
    modes = modes or {}
    manifest = [["propertyName", "value"], ["manifest.version", "1.0"],
                ["oneroster.version", "1.1"]]  # fmt: skip
    manifest += [
        [schema.manifest_key(name), modes.get(name, "bulk") if name in files else "absent"]
        for name in schema.FILES
    ]
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in {schema.MANIFEST: manifest, **files}.items():
            text = io.StringIO()
            csv.writer(text, lineterminator="\r\n").writerows(rows)
            archive.writestr(name, text.getvalue())
    return output.getvalue()


def row(name: str, **cells: str) -> list[str]:
    return [cells.get(column, "") for column in schema.HEADERS[name]]


def header(name: str) -> list[str]:
    return list(schema.HEADERS[name])


def small_package(*, enrollment_class: str | None = None) -> dict[str, list[list[str]]]:
    """Two students in one course of one term, one teacherless class."""
    course, klass, term = str(uuid.uuid4()), str(uuid.uuid4()), "term-1"
    users = [header(schema.USERS)]
    for number in (1, 2):
        users.append(
            row(schema.USERS, sourcedId=f"stu-{number}", status="active", enabledUser="true",
                role="student", username=f"s{number}", givenName=f"Anna{number}",
                familyName="Papa", identifier=f"R{number:03d}",
                email=f"r{number}@school.example.org")
        )  # fmt: skip
    return {
        schema.ACADEMIC_SESSIONS: [
            header(schema.ACADEMIC_SESSIONS),
            row(schema.ACADEMIC_SESSIONS, sourcedId=term, title="2025 Fall", type="term"),
        ],
        schema.USERS: users,
        schema.COURSES: [
            header(schema.COURSES),
            row(schema.COURSES, sourcedId=course, title="Robotics", courseCode="rob1"),
        ],
        schema.CLASSES: [
            header(schema.CLASSES),
            row(
                schema.CLASSES,
                sourcedId=klass,
                courseSourcedId=course,
                termSourcedIds=term,
                title="Robotics",
            ),
        ],  # fmt: skip
        schema.ENROLLMENTS: [
            header(schema.ENROLLMENTS),
            *[
                row(
                    schema.ENROLLMENTS,
                    sourcedId=f"enr-{n}",
                    role="student",
                    classSourcedId=enrollment_class or klass,
                    userSourcedId=f"stu-{n}",
                    beginDate="2025-09-15",
                )
                for n in (1, 2)
            ],  # fmt: skip
        ],
    }


def send(admin_api, data: bytes, *, mode=None):
    return upload(admin_api, "oneroster", data, name="oneroster.zip", mode=mode)


def test_oneroster_import_preview_counts_each_file_and_writes_nothing(admin_api):
    response = send(admin_api, build_zip(small_package()))

    assert response.status_code == 201, response.json()
    job = response.json()
    assert job["status"] == "previewed"
    assert job["totals"] == {"new": 5, "update": 0, "skip": 2, "error": 0}
    files = {item["name"]: (item["mode"], item["rows"], item["totals"]) for item in job["files"]}
    assert list(files) == [schema.ACADEMIC_SESSIONS, schema.USERS, schema.COURSES,
                           schema.CLASSES, schema.ENROLLMENTS]  # fmt: skip
    assert files[schema.USERS] == ("bulk", 2, {"new": 2, "update": 0, "skip": 0, "error": 0})
    assert files[schema.CLASSES][2]["skip"] == 1
    assert Student.objects.count() == 0
    assert Course.objects.count() == 0


def test_oneroster_import_confirm_writes_students_courses_and_enrollments(admin_api):
    package = small_package()
    job = send(admin_api, build_zip(package)).json()

    response = admin_api.post(f"/api/v1/imports/{job['id']}/confirm/")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "applied"
    course = Course.objects.get()
    assert (course.course_code, course.course_name, course.semester) == ("ROB1", "Robotics",
                                                                         "2025 Fall")  # fmt: skip
    assert str(course.sourced_id) == package[schema.COURSES][1][0]
    student = Student.objects.get(student_id="R001")
    assert student.sourced_id == uuid.uuid5(schema.NAMESPACE, "sourced:stu-1")
    assert Enrollment.objects.filter(course=course).count() == 2


def test_oneroster_import_of_a_large_package_is_previewed_and_applied_by_the_worker(
    admin_api, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BULKIO_BACKGROUND_ROWS = 2  # the small package is "large" here

    with django_capture_on_commit_callbacks(execute=False) as queued:
        created = send(admin_api, build_zip(small_package()))
    for callback in queued:
        callback()  # the worker previews (Celery runs eagerly in tests)
    previewed = admin_api.get(f"/api/v1/imports/{created.json()['id']}/").json()
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = admin_api.post(f"/api/v1/imports/{created.json()['id']}/confirm/")
    applied = admin_api.get(f"/api/v1/imports/{created.json()['id']}/").json()

    assert created.status_code == 202
    assert previewed["status"] == "previewed"
    assert previewed["totals"] == {"new": 5, "update": 0, "skip": 2, "error": 0}
    assert confirmed.status_code in (200, 202)
    assert applied["status"] == "applied"
    assert Student.objects.count() == 2
    assert Enrollment.objects.filter(course__course_code="ROB1").count() == 2


def test_oneroster_import_unknown_class_is_a_row_error_naming_file_row_and_sourced_id(admin_api):
    package = small_package(enrollment_class="no-such-class")

    job = send(admin_api, build_zip(package)).json()

    assert job["totals"]["error"] == 2
    errors = admin_api.get(f"/api/v1/imports/{job['id']}/").json()["errors"]
    first = errors[0]
    assert (first["file"], first["row"], first["sourced_id"]) == ("enrollments.csv", 2, "enr-1")
    assert first["field"] == "classSourcedId"
    assert "no-such-class" in first["message"]
    refused = admin_api.post(f"/api/v1/imports/{job['id']}/confirm/")
    assert refused.status_code == 400
    assert Student.objects.count() == 0


def test_oneroster_import_skip_invalid_writes_the_rows_that_resolve(admin_api):
    package = small_package()
    package[schema.ENROLLMENTS][2][5] = "stu-unknown"

    job = send(admin_api, build_zip(package), mode="skip_invalid").json()
    admin_api.post(f"/api/v1/imports/{job['id']}/confirm/")

    assert Enrollment.objects.count() == 1
    assert Student.objects.count() == 2


def test_oneroster_import_matches_stored_records_by_sourced_id_first(admin_api):
    student = StudentFactory(student_id="R001", first_name="Old")
    package = small_package()
    package[schema.USERS][1][0] = str(student.sourced_id)
    package[schema.ENROLLMENTS][1][5] = str(student.sourced_id)

    job = send(admin_api, build_zip(package)).json()
    applied = admin_api.post(f"/api/v1/imports/{job['id']}/confirm/").json()

    assert applied["status"] == "applied", applied
    assert applied["applied_totals"]["update"] == 1
    student.refresh_from_db()
    assert student.first_name == "Anna1"
    assert Student.objects.count() == 2


def test_oneroster_import_sourced_id_of_another_student_is_a_row_error(admin_api):
    other = StudentFactory(student_id="ZZ9")
    package = small_package()
    package[schema.USERS][1][0] = str(other.sourced_id)

    job = send(admin_api, build_zip(package)).json()

    errors = admin_api.get(f"/api/v1/imports/{job['id']}/").json()["errors"]
    assert any("ZZ9" in error["message"] and error["file"] == "users.csv" for error in errors)


def test_oneroster_import_delta_tobedeleted_soft_deletes_and_drops(admin_api):
    student, staying = StudentFactory(), StudentFactory()
    course = CourseFactory()
    enroll(student, course)
    enrollment = enroll(staying, course)
    files = {
        schema.USERS: [header(schema.USERS),
                       row(schema.USERS, sourcedId=str(student.sourced_id), status="tobedeleted",
                           role="student", identifier=student.student_id,
                           givenName=student.first_name, familyName=student.last_name,
                           email=student.email)],
        schema.ENROLLMENTS: [header(schema.ENROLLMENTS),
                             row(schema.ENROLLMENTS, sourcedId=str(enrollment.sourced_id),
                                 status="tobedeleted", role="student",
                                 classSourcedId=schema.class_id(course.sourced_id),
                                 userSourcedId=str(staying.sourced_id))],
    }  # fmt: skip
    data = build_zip(files, modes=dict.fromkeys(files, "delta"))

    job = send(admin_api, data).json()
    response = admin_api.post(f"/api/v1/imports/{job['id']}/confirm/")

    assert response.json()["status"] == "applied", response.json()
    assert not Student.objects.filter(pk=student.pk).exists()
    assert Student.all_objects.get(pk=student.pk).deleted_at is not None
    enrollment.refresh_from_db()
    assert enrollment.status == "dropped"


def test_oneroster_import_tobedeleted_in_a_bulk_file_is_a_row_error(admin_api):
    package = small_package()
    package[schema.USERS][1][1] = "tobedeleted"

    job = send(admin_api, build_zip(package)).json()

    assert job["totals"]["error"] >= 1
    assert Student.objects.count() == 0


def test_oneroster_import_rollback_restores_the_state_before(admin_api):
    school = make_school(students=2)
    package = read_zip(download(admin_api))
    Grade.objects.filter(assignment_name="Final").delete()
    Student.objects.filter(pk=school["students"][0].pk).update(first_name="Changed")
    before = snapshot()
    data = _zip_of(package)

    job = send(admin_api, data).json()
    admin_api.post(f"/api/v1/imports/{job['id']}/confirm/")
    assert snapshot() != before
    response = admin_api.post(f"/api/v1/imports/{job['id']}/rollback/", {}, format="json")

    assert response.status_code == 200, response.json()
    assert snapshot() == before


def test_oneroster_import_rollback_removes_what_it_created(admin_api):
    job = send(admin_api, build_zip(small_package())).json()
    admin_api.post(f"/api/v1/imports/{job['id']}/confirm/")

    response = admin_api.post(f"/api/v1/imports/{job['id']}/rollback/", {}, format="json")

    assert response.status_code == 200, response.json()
    assert Student.all_objects.count() == 0
    assert Course.all_objects.count() == 0
    assert Enrollment.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"student_id,first_name\nS1,Anna\n", "is not a zip file"),
        (b"PK\x03\x04 not really a zip", "could not be read"),
    ],
)
def test_oneroster_import_refuses_a_file_that_is_not_a_zip(admin_api, data, message):
    response = send(admin_api, data)

    assert response.status_code == 400
    assert message in response.json()["file"][0]


def test_oneroster_import_refuses_a_zip_without_manifest(admin_api):
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("users.csv", ",".join(schema.HEADERS[schema.USERS]) + "\n")

    response = send(admin_api, output.getvalue())

    assert response.status_code == 400
    assert response.json()["file"] == [
        "The zip has no manifest.csv; every OneRoster package starts with one."
    ]


def test_oneroster_import_refuses_a_listed_file_that_is_missing(admin_api):
    package = small_package()
    data = build_zip(package)
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(output, "w") as archive:
        for name in source.namelist():
            if name != schema.COURSES:
                archive.writestr(name, source.read(name))

    response = send(admin_api, output.getvalue())

    assert response.status_code == 400
    assert response.json()["file"] == [
        "The manifest lists courses.csv (bulk) but the zip does not hold it."
    ]


def test_oneroster_import_refuses_a_file_missing_a_column(admin_api):
    package = small_package()
    package[schema.USERS] = [[cell for i, cell in enumerate(r) if i != 11]
                             for r in package[schema.USERS]]  # fmt: skip

    response = send(admin_api, build_zip(package))

    assert response.status_code == 400
    assert response.json()["file"][0].startswith("users.csv lacks the columns identifier")


def test_oneroster_import_refuses_a_zip_bomb_without_unpacking_it(admin_api):
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(schema.MANIFEST, "propertyName,value\noneroster.version,1.1\n"
                                          "file.users,bulk\n")  # fmt: skip
        with archive.open(schema.USERS, "w") as member:
            member.write((",".join(schema.HEADERS[schema.USERS]) + "\n").encode())
            block = b"\n" * 1_048_576
            for _ in range(64):
                member.write(block)
    data = output.getvalue()
    assert len(data) < 200_000

    tracemalloc.start()
    response = send(admin_api, data)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert response.status_code == 400
    assert "unpacks to more than 100 times its size" in response.json()["file"][0]
    assert peak < 32 * 1_048_576


def test_oneroster_import_is_for_admins_only(teacher_api):
    response = send(teacher_api, build_zip(small_package()))

    assert response.status_code == 403


def _zip_of(files: dict[str, list[list[str]]]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in files.items():
            text = io.StringIO()
            csv.writer(text, lineterminator="\r\n").writerows(rows)
            archive.writestr(name, text.getvalue())
    return output.getvalue()


# What a school owns: its records, their history, the figures derived from them.
SCHOOL_APPS = ("academics", "analytics", "notifications")


def _flush_school(*, keep: User) -> None:
    """Everything the school owns gone, every account but ``keep`` (the importing admin)
    included: an empty database with one administrator in it."""
    Grade.objects.all().delete()
    Enrollment.objects.all().delete()
    User.objects.exclude(pk=keep.pk).delete()
    models = [model for label in SCHOOL_APPS for model in apps.get_app_config(label).get_models()]
    # The history last: deleting the records writes their last history rows.
    for model in sorted(models, key=lambda model: hasattr(model, "instance_type")):
        model._base_manager.all().delete()


def _school_rows() -> int:
    return sum(
        model._base_manager.count()
        for label in SCHOOL_APPS
        for model in apps.get_app_config(label).get_models()
    )


def _give_account(student: Student, username: str) -> User:
    account = StudentUserFactory(username=username)
    Student.objects.filter(pk=student.pk).update(user=account)
    return account


@pytest.mark.postgres
def test_oneroster_import_round_trip_into_an_empty_database_reexports_identical_rows(
    admin_api, admin_user
):
    school = make_school(students=3)
    _give_account(school["students"][1], "anna.k")
    exported = download(admin_api)
    _flush_school(keep=admin_user)
    assert _school_rows() == 0
    assert list(User.objects.values_list("pk", flat=True)) == [admin_user.pk]

    job = send(admin_api, exported).json()
    detail = admin_api.get(f"/api/v1/imports/{job['id']}/").json()
    applied = admin_api.post(f"/api/v1/imports/{job['id']}/confirm/").json()
    again = download(admin_api)

    assert job["totals"]["error"] == 0, detail["errors"]
    users_file = next(item for item in detail["files"] if item["name"] == schema.USERS)
    assert users_file["accounts"] == {"teacher": 1, "student": 1}
    assert users_file["notes"] == ["1 teacher account to create", "1 student account to create"]
    assert applied["status"] == "applied", applied
    assert read_zip(again) == read_zip(exported)  # every file, every column, in order
    assert len(as_records(read_zip(again), schema.RESULTS)) == 6
    assert Student.objects.get(user__username="anna.k") is not None


def _users_package(*users: dict[str, str]) -> dict[str, list[list[str]]]:
    return {schema.USERS: [header(schema.USERS), *(row(schema.USERS, **cells) for cells in users)]}


TEACHER = {
    "sourcedId": "t-1", "enabledUser": "true", "role": "teacher", "username": "eleni",
    "givenName": "Eleni", "familyName": "Ioannou", "email": "Eleni@School.example.org",
}  # fmt: skip


def test_oneroster_import_creates_a_missing_teacher_account_that_cannot_sign_in(admin_api):
    job = send(admin_api, build_zip(_users_package(TEACHER))).json()

    applied = admin_api.post(f"/api/v1/imports/{job['id']}/confirm/").json()

    assert job["totals"] == {"new": 1, "update": 0, "skip": 0, "error": 0}
    assert job["files"][0]["notes"] == ["1 teacher account to create"]
    assert applied["status"] == "applied", applied
    teacher = User.objects.get(username="eleni")
    assert (teacher.role, teacher.first_name, teacher.last_name, teacher.email) == (
        Role.TEACHER, "Eleni", "Ioannou", "eleni@school.example.org"
    )  # fmt: skip
    assert not teacher.has_usable_password()
    assert not APIClient().login(username="eleni", password="")
    token = APIClient().post("/api/v1/auth/token/", {"username": "eleni", "password": ""})
    assert token.status_code in (400, 401)


def test_oneroster_import_created_teacher_signs_in_once_an_admin_sets_a_password(
    admin_api, admin_user, client
):
    job = send(admin_api, build_zip(_users_package(TEACHER))).json()
    admin_api.post(f"/api/v1/imports/{job['id']}/confirm/")
    teacher = User.objects.get(username="eleni")
    client.force_login(admin_user)

    page = client.post(
        f"/admin/accounts/user/{teacher.pk}/password/",
        {"usable_password": "true", "password1": "Kal1-Mera-2026!", "password2": "Kal1-Mera-2026!"},
    )

    assert page.status_code == 302, page.content.decode()[:2000]
    assert APIClient().login(username="eleni", password="Kal1-Mera-2026!")


def test_oneroster_import_disabled_user_gets_an_inactive_account(admin_api):
    package = _users_package({**TEACHER, "enabledUser": "false"})

    job = send(admin_api, build_zip(package)).json()
    admin_api.post(f"/api/v1/imports/{job['id']}/confirm/")

    assert User.objects.get(username="eleni").is_active is False


def test_oneroster_import_rollback_removes_the_accounts_it_created(admin_api, teacher_user):
    package = small_package()
    package[schema.USERS].append(row(schema.USERS, **TEACHER))
    job = send(admin_api, build_zip(package)).json()
    applied = admin_api.post(f"/api/v1/imports/{job['id']}/confirm/").json()
    created = set(User.objects.values_list("username", flat=True))

    response = admin_api.post(f"/api/v1/imports/{job['id']}/rollback/", {}, format="json")

    assert applied["status"] == "applied", applied
    assert created >= {"eleni", "s1", "s2"}
    assert response.status_code == 200, response.json()
    assert not User.objects.filter(username__in=["eleni", "s1", "s2"]).exists()
    assert User.objects.filter(pk=teacher_user.pk).exists()
    assert Student.all_objects.count() == 0


def test_oneroster_import_rollback_is_refused_once_a_created_account_signed_in(admin_api):
    job = send(admin_api, build_zip(_users_package(TEACHER))).json()
    admin_api.post(f"/api/v1/imports/{job['id']}/confirm/")
    User.objects.filter(username="eleni").update(last_login=timezone.now())

    response = admin_api.post(f"/api/v1/imports/{job['id']}/rollback/", {}, format="json")

    assert response.status_code == 409
    assert response.json()["conflicts"][0]["model"] == "accounts.User"
    assert User.objects.filter(username="eleni").exists()


def test_oneroster_import_links_students_to_their_accounts(admin_api):
    account = StudentUserFactory(username="s1")
    package = small_package()
    package[schema.USERS][2][6] = "R002"  # the student ID as username: no account

    job = send(admin_api, build_zip(package)).json()
    admin_api.post(f"/api/v1/imports/{job['id']}/confirm/")

    assert job["totals"]["error"] == 0, job
    assert Student.objects.get(student_id="R001").user == account
    assert Student.objects.get(student_id="R002").user is None
    assert not User.objects.filter(username="R002").exists()


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("mteacher", "The SMS account “mteacher” has the role “Teacher”, not “Student”."),
        ("MStudent", "SMS has the account “mstudent”, which differs from “MStudent” only in "
                     "case; use the same username in the file."),
        ("taken", "The SMS account “taken” belongs to the student S9."),
    ],
)  # fmt: skip
def test_oneroster_import_student_username_of_an_unusable_account_is_a_row_error(
    admin_api, username, message
):
    User.objects.create_user("mteacher", role=Role.TEACHER)
    User.objects.create_user("mstudent", role=Role.STUDENT)
    StudentFactory(student_id="S9", user=User.objects.create_user("taken", role=Role.STUDENT))
    package = small_package()
    package[schema.USERS][1][6] = username

    job = send(admin_api, build_zip(package)).json()

    errors = admin_api.get(f"/api/v1/imports/{job['id']}/").json()["errors"]
    assert [(e["row"], e["field"], e["message"]) for e in errors if e["file"] == schema.USERS] == [
        (2, "username", message)
    ]
    assert User.objects.count() == 4  # the admin and the three above


def test_oneroster_import_teacher_username_of_a_student_account_is_a_row_error(admin_api):
    User.objects.create_user("eleni", role=Role.STUDENT)

    job = send(admin_api, build_zip(_users_package(TEACHER))).json()

    errors = admin_api.get(f"/api/v1/imports/{job['id']}/").json()["errors"]
    assert errors[0]["message"] == "The SMS account “eleni” has the role “Student”, not “Teacher”."
    assert not User.objects.filter(role=Role.TEACHER).exists()


def test_oneroster_import_new_records_keep_the_files_date_last_modified(admin_api):
    student = StudentFactory(student_id="R002", email="r2@school.example.org")
    package = small_package()
    package[schema.USERS][1][2] = "2025-11-03T10:20:30.456Z"
    package[schema.USERS][2][2] = "2025-11-03T10:20:30.456Z"
    package[schema.COURSES][1][2] = "2999-01-01T00:00:00.000Z"  # the future: not believed
    started = timezone.now()

    job = send(admin_api, build_zip(package)).json()
    admin_api.post(f"/api/v1/imports/{job['id']}/confirm/")

    new = Student.objects.get(student_id="R001")
    assert new.updated_at == dt.datetime(2025, 11, 3, 10, 20, 30, 456000, tzinfo=dt.UTC)
    assert Student.objects.get(pk=student.pk).updated_at >= started  # changed now
    assert started <= Course.objects.get().updated_at <= timezone.now()


def test_oneroster_pages_offer_the_export_button_to_admins_only(client, admin_user, teacher_user):
    client.force_login(admin_user)
    admin_page = client.get("/bulk/exports/").content.decode()
    client.force_login(teacher_user)
    teacher_page = client.get("/bulk/exports/").content.decode()

    assert 'id="oneroster-export-link" href="/api/v1/exports/oneroster.zip"' in admin_page
    assert "oneroster-export-link" not in teacher_page


def test_oneroster_import_page_previews_each_file(client, admin_user):
    client.force_login(admin_user)
    upload_file = SimpleUploadedFile("school.zip", build_zip(small_package(enrollment_class="x")))

    response = client.post(
        "/bulk/imports/new/",
        {"resource": "oneroster", "mode": "all_or_nothing", "file": upload_file},
    )
    page = client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert '<tr data-file="enrollments.csv"><td>enrollments.csv</td><td>bulk</td>' in page
    assert "classSourcedId: No class with sourcedId “x” in the package or in SMS." in page


def test_oneroster_import_of_the_schools_own_export_changes_nothing(admin_api):
    make_school(students=2)
    before = snapshot()

    job = send(admin_api, download(admin_api)).json()

    assert job["totals"]["new"] == job["totals"]["update"] == job["totals"]["error"] == 0
    assert job["totals"]["skip"] == job["row_count"]
    assert snapshot() == before


def test_oneroster_import_of_its_own_export_keeps_hand_in_dates_on_the_assigned_day(admin_api):
    make_school(students=2)
    on_the_day, undated = Grade.objects.order_by("pk")[:2]
    Grade.objects.filter(pk=on_the_day.pk).update(date_submitted=on_the_day.date_assigned)
    Grade.objects.filter(pk=undated.pk).update(date_submitted=None)

    job = send(admin_api, download(admin_api)).json()

    assert job["totals"]["update"] == 0
    assert Grade.objects.get(pk=on_the_day.pk).date_submitted == on_the_day.date_assigned
    assert Grade.objects.get(pk=undated.pk).date_submitted is None


def test_oneroster_import_teacher_enrollment_links_the_teacher_and_rollback_unlinks(admin_api):
    school = make_school(students=1)
    data = download(admin_api)
    school["networks"].teachers.clear()

    job = send(admin_api, data).json()
    applied = admin_api.post(f"/api/v1/imports/{job['id']}/confirm/").json()
    linked = list(school["networks"].teachers.values_list("username", flat=True))
    rolled_back = admin_api.post(f"/api/v1/imports/{job['id']}/rollback/", {}, format="json")

    assert applied["applied_totals"]["new"] == 1
    assert linked == ["mteacher"]
    assert rolled_back.status_code == 200, rolled_back.json()
    assert not school["networks"].teachers.exists()


def test_oneroster_import_unknown_teacher_of_a_class_gets_an_account_and_the_course(
    admin_api, admin_user
):
    make_school(students=1)
    data = download(admin_api)
    _flush_school(keep=admin_user)

    job = send(admin_api, data).json()
    admin_api.post(f"/api/v1/imports/{job['id']}/confirm/")

    teacher = User.objects.get(username="mteacher")
    assert teacher.role == Role.TEACHER
    assert list(Course.objects.get(course_code="NET101").teachers.all()) == [teacher]
