"""The Django admin's Import/Export buttons run bulkio's importer: preview, confirm, rollback."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.academics.models import Grade, Student
from apps.bulkio.importing import jobs
from apps.bulkio.importing.resources import RESOURCES
from apps.bulkio.models import ImportChange, ImportJob
from apps.bulkio.readers import read_table
from tests.factories import (
    AttendanceFactory,
    CourseFactory,
    EnrollmentFactory,
    GradeFactory,
    StudentFactory,
    enroll,
)

pytestmark = pytest.mark.django_db

ROW_FACTORIES = {
    "student": StudentFactory,
    "course": CourseFactory,
    "enrollment": EnrollmentFactory,
    "grade": GradeFactory,
    "attendance": AttendanceFactory,
}
GRADES_HEADER = "student_id,course_code,assignment_name,category,grade,max_grade\n"
STUDENTS_HEADER = "student_id,first_name,last_name,email,study_year\n"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _upload(client, model_name: str, content: str, *, mode: str = "all_or_nothing", **extra):
    return client.post(
        reverse(f"admin:academics_{model_name}_import"),
        {"mode": mode, "file": SimpleUploadedFile(f"{model_name}s.csv", content.encode()), **extra},
    )


def _enrolled_pair():
    student, course = StudentFactory(), CourseFactory()
    enroll(student, course)
    return student, course


def _grades_csv(student, course, *rows: tuple[str, str, str]) -> str:
    lines = [f"{student.student_id},{course.course_code},{name},{category},{grade},100"
             for name, category, grade in rows]  # fmt: skip
    return GRADES_HEADER + "\n".join(lines) + "\n"


@pytest.mark.parametrize("model_name", sorted(ROW_FACTORIES))
def test_admin_changelist_offers_import_and_export_buttons(admin_client, model_name):
    ROW_FACTORIES[model_name]()  # the action bar of students and courses needs a row
    import_url = reverse(f"admin:academics_{model_name}_import")

    changelist = admin_client.get(reverse(f"admin:academics_{model_name}_changelist"))
    import_page = admin_client.get(import_url)

    content = changelist.content.decode()
    assert f"href='{import_url}' class=\"import_link\"" in content
    assert reverse(f"admin:academics_{model_name}_export") in content
    assert "export_admin_action" in content
    assert import_page.status_code == 200
    assert 'type="file"' in import_page.content.decode()


def test_admin_grade_import_previews_confirms_and_rolls_back(admin_client, admin_user):
    student, course = _enrolled_pair()
    changelist = admin_client.get(reverse("admin:academics_grade_changelist")).content.decode()
    assert "href='/admin/academics/grade/import/'" in changelist

    form = admin_client.get(reverse("admin:academics_grade_import"))
    uploaded = _upload(
        admin_client,
        "grade",
        _grades_csv(student, course, ("Midterm", "Midterm", "70"), ("Final", "Final", "85")),
    )
    job = ImportJob.objects.get()
    preview = admin_client.get(uploaded["Location"]).content.decode()

    assert form.status_code == 200
    assert 'name="mode"' in form.content.decode()
    assert uploaded.status_code == 302
    assert uploaded["Location"] == reverse("bulkio:import_detail", args=[job.pk])
    assert (job.resource, job.status, job.user) == ("grades", "previewed", admin_user)
    assert preview.count('data-action="new"') == 2
    assert '<span class="stat-value" data-total="new">2</span>' in preview
    assert 'id="confirm-import"' in preview
    assert 'href="/admin/academics/grade/"' in preview  # the way back to the admin list
    assert not Grade.objects.exists()

    admin_client.post(reverse("bulkio:import_confirm", args=[job.pk]))
    job.refresh_from_db()
    history = admin_client.get(reverse("bulkio:import_list")).content.decode()

    assert job.status == "applied"
    grades = Grade.objects.filter(student=student, course=course)
    assert sorted(grades.values_list("assignment_name", "grade")) == [
        ("Final", Decimal("85")),
        ("Midterm", Decimal("70")),
    ]
    assert ImportChange.objects.filter(job=job, action="create").count() == 2
    assert reverse("bulkio:import_detail", args=[job.pk]) in history
    assert "grades.csv" in history
    assert 'id="rollback-import"' in admin_client.get(uploaded["Location"]).content.decode()

    admin_client.post(reverse("bulkio:import_rollback", args=[job.pk]), {"confirmed": "1"})
    job.refresh_from_db()

    assert job.status == "rolled_back"
    assert not Grade.objects.exists()


def test_admin_grade_import_preview_shows_each_rows_fate_and_errors(admin_client):
    student, course = _enrolled_pair()
    GradeFactory(student=student, course=course, assignment_name="Lab 1", category="Midterm",
                 grade=Decimal("50"))  # fmt: skip
    content = _grades_csv(
        student,
        course,
        ("Lab 1", "Midterm", "60"),  # update
        ("Lab 2", "Final", "120"),  # error: above the maximum
        ("Lab 3", "Final", "90"),  # new
    )

    uploaded = _upload(admin_client, "grade", content, mode="skip_invalid")
    preview = admin_client.get(uploaded["Location"]).content.decode()
    job = ImportJob.objects.get()
    admin_client.post(reverse("bulkio:import_confirm", args=[job.pk]))

    assert job.totals == {"new": 1, "update": 1, "skip": 0, "error": 1}
    assert 'data-action="update"' in preview
    assert 'data-action="error"' in preview
    assert "The grade cannot be higher" in preview
    assert sorted(Grade.objects.values_list("assignment_name", "grade")) == [
        ("Lab 1", Decimal("60")),
        ("Lab 3", Decimal("90")),
    ]


def test_admin_student_import_from_the_students_list_and_rollback(admin_client):
    existing = StudentFactory(student_id="S-1", first_name="Old")
    content = STUDENTS_HEADER + "S-1,Anna,Bell,s-1@example.org,2\nS-2,Chris,Dale,s2@example.org,1\n"

    changelist = admin_client.get(reverse("admin:academics_student_changelist")).content.decode()
    assert "href='/admin/academics/student/import/'" in changelist
    uploaded = _upload(admin_client, "student", content)
    job = ImportJob.objects.get()
    preview = admin_client.get(uploaded["Location"]).content.decode()

    assert job.resource == "students"
    assert job.totals == {"new": 1, "update": 1, "skip": 0, "error": 0}
    assert 'href="/admin/academics/student/"' in preview

    admin_client.post(reverse("bulkio:import_confirm", args=[job.pk]))
    job.refresh_from_db()

    assert job.status == "applied"
    assert Student.objects.get(pk=existing.pk).first_name == "Anna"
    assert Student.objects.filter(student_id="S-2").exists()
    assert ImportChange.objects.filter(job=job).count() == 2

    admin_client.post(reverse("bulkio:import_rollback", args=[job.pk]), {"confirmed": "1"})

    assert Student.objects.get(pk=existing.pk).first_name == "Old"
    assert not Student.all_objects.filter(student_id="S-2").exists()
    assert ImportJob.objects.get().status == "rolled_back"


def test_admin_import_resource_is_the_lists_own(admin_client):
    student, course = _enrolled_pair()
    content = _grades_csv(student, course, ("Quiz", "Quiz", "9"))

    _upload(admin_client, "grade", content, resource="students")

    assert ImportJob.objects.get().resource == "grades"


def test_admin_import_refused_file_is_explained_on_the_admin_form(admin_client):
    response = _upload(admin_client, "grade", GRADES_HEADER)

    assert response.status_code == 200
    assert "The file has a header row but no data rows." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_admin_import_missing_columns_are_named(admin_client):
    response = _upload(admin_client, "student", "student_id,first_name\nS-1,Anna\n")

    assert response.status_code == 200
    assert "Required columns are missing: last_name, email." in response.content.decode()


@pytest.mark.parametrize("url_name", ["import", "export"])
def test_admin_import_and_export_pages_are_403_for_a_teacher(client, teacher_user, url_name):
    client.force_login(teacher_user)
    url = reverse(f"admin:academics_grade_{url_name}")

    assert client.get(url).status_code == 403
    assert client.post(url, {"mode": "all_or_nothing"}).status_code == 403
    assert not ImportJob.objects.exists()


def test_admin_import_page_is_403_for_a_student_and_login_for_anonymous(client, student_user):
    url = reverse("admin:academics_student_import")

    anonymous = client.get(url)
    client.force_login(student_user)
    student = client.get(url)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("admin:login"))
    assert student.status_code == 403


def test_superuser_without_admin_role_may_import(client, teacher_user):
    teacher_user.is_superuser = True
    teacher_user.save()
    client.force_login(teacher_user)

    assert client.get(reverse("admin:academics_grade_import")).status_code == 200


def _admin_export(client, model, resource: str, fmt: str = "csv") -> bytes:
    model_admin = admin.site.get_model_admin(model)
    titles = [file_format().get_title() for file_format in model_admin.get_export_formats()]
    resource_class = model_admin.get_export_resource_classes(None)[0]
    selected = {
        f"{resource_class.__name__.lower()}_{column}": "on"
        for column in RESOURCES[resource].columns
    }
    response = client.post(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_export"),
        {"format": str(titles.index(fmt)), "resource": "0", **selected},
    )
    assert response.status_code == 200
    return response.content


def test_admin_export_offers_only_formats_the_importer_reads():
    model_admin = admin.site.get_model_admin(Grade)

    titles = [file_format().get_title() for file_format in model_admin.get_export_formats()]

    assert titles == ["csv", "tsv", "xlsx"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_admin_grade_export_neutralises_formulas_and_reimports_unchanged(
    admin_client, admin_user, fmt
):
    student, course = _enrolled_pair()
    GradeFactory(student=student, course=course, category="Midterm", notes="=1+1")
    GradeFactory(student=student, course=course, category="Final", grade=Decimal("7.5"))

    exported = _admin_export(admin_client, Grade, "grades", fmt)
    job = jobs.start_import(
        user=admin_user, resource="grades", filename=f"grades.{fmt}", data=exported,
        mode="all_or_nothing",
    )  # fmt: skip
    table = read_table(exported, f"grades.{fmt}", max_bytes=10**6, max_rows=10)

    assert "'=1+1" in [cells[table.headers.index("notes")] for _number, cells in table.rows]
    assert job.totals == {"new": 0, "update": 0, "skip": 2, "error": 0}


def test_admin_student_export_reimports_unchanged(admin_client, admin_user):
    StudentFactory(first_name="+30 trick", notes="@risk")
    StudentFactory()

    exported = _admin_export(admin_client, Student, "students")
    job = jobs.start_import(
        user=admin_user, resource="students", filename="students.csv", data=exported,
        mode="all_or_nothing",
    )  # fmt: skip

    assert "'+30 trick" in exported.decode("utf-8-sig")
    assert job.totals == {"new": 0, "update": 0, "skip": 2, "error": 0}
