import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.forms import modelform_factory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.academics.admin_forms import CourseAdminForm
from apps.academics.models import Attendance, Course, Enrollment, Grade, Student
from tests.academics.admin_forms import student_admin_form
from tests.factories import (
    AttendanceFactory,
    CourseFactory,
    DailyPerformanceFactory,
    EnrollmentFactory,
    GradeFactory,
    StudentFactory,
    TeacherFactory,
    enroll,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _changelist_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _course_form(**overrides) -> dict:
    data = {
        "course_code": "net101",
        "course_name": "Networks",
        "semester": "A",
        "credits": "3",
        "is_active": "on",
        "hours_per_week": "",
        "periods_per_week": "",
        "evaluation_rules": "Midterm: 40%; Final: 60%",
        "absence_penalty": "0",
        "description": "",
        "enrollments-TOTAL_FORMS": "0",
        "enrollments-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def _grade_form(student, course, **overrides) -> dict:
    data = {
        "student": str(student.pk),
        "course": str(course.pk),
        "assignment_name": "Midterm exam",
        "category": "Midterm",
        "grade": "70",
        "max_grade": "100",
        "weight": "1",
        "date_assigned": "2025-10-01",
        "date_submitted": "",
        "notes": "",
        "_save": "Save",
    }
    data.update(overrides)
    return data


ROW_FACTORIES = {
    "student": lambda n: StudentFactory.create_batch(n),
    "course": lambda n: CourseFactory.create_batch(n),
    "enrollment": lambda n: EnrollmentFactory.create_batch(n),
    "grade": lambda n: GradeFactory.create_batch(n),
    "attendance": lambda n: AttendanceFactory.create_batch(n),
    "dailyperformance": lambda n: DailyPerformanceFactory.create_batch(n),
}


@pytest.mark.parametrize("model_name", sorted(ROW_FACTORIES))
def test_changelist_query_count_does_not_grow_with_rows(admin_client, model_name):
    url = reverse(f"admin:academics_{model_name}_changelist")
    ROW_FACTORIES[model_name](3)
    few = _changelist_queries(admin_client, url)

    ROW_FACTORIES[model_name](17)
    many = _changelist_queries(admin_client, url)

    assert many == few
    assert "20 " in admin_client.get(url).content.decode()


def test_student_admin_add_records_history_with_the_admin(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:academics_student_add"), student_admin_form(phone="210 123 4567")
    )

    assert response.status_code == 302
    student = Student.objects.get(student_id="S-900")
    assert student.phone == "2101234567"
    record = student.history.get()
    assert record.history_type == "+"
    assert record.history_user == admin_user


def test_student_history_page_names_the_user_who_changed_it(admin_client, admin_user):
    student = StudentFactory()
    admin_client.post(
        reverse("admin:academics_student_change", args=[student.pk]),
        student_admin_form(student_id=student.student_id, email=student.email, class_division="B2"),
    )

    response = admin_client.get(reverse("admin:academics_student_history", args=[student.pk]))

    assert response.status_code == 200
    assert admin_user.username in response.content.decode()
    assert Student.objects.get(pk=student.pk).class_division == "B2"


def test_course_admin_weights_not_adding_up_show_form_error(admin_client):
    response = admin_client.post(
        reverse("admin:academics_course_add"),
        _course_form(evaluation_rules="Midterm: 40%; Final: 50%"),
    )

    assert response.status_code == 200
    assert "must add up to 100" in response.content.decode()
    assert not Course.objects.filter(course_code="NET101").exists()


def test_course_admin_accepts_rules_as_text_and_teachers(admin_client, admin_user):
    teacher = TeacherFactory()

    response = admin_client.post(
        reverse("admin:academics_course_add"),
        _course_form(evaluation_rules="Midterm: 40%\nFinal: 60,0%", teachers=[str(teacher.pk)]),
    )

    assert response.status_code == 302
    course = Course.objects.get(course_code="NET101")
    assert [(rule["category"], rule["weight"]) for rule in course.evaluation_rules] == [
        ("Midterm", 40.0),
        ("Final", 60.0),
    ]
    assert list(course.teachers.all()) == [teacher]
    assert course.history.first().history_user == admin_user


def test_course_admin_shows_rules_as_editable_text(admin_client):
    course = CourseFactory()

    response = admin_client.get(reverse("admin:academics_course_change", args=[course.pk]))

    assert "Midterm: 40%\nFinal: 60%" in response.content.decode()


def test_course_admin_invalid_json_rules_show_form_error(admin_client):
    response = admin_client.post(
        reverse("admin:academics_course_add"), _course_form(evaluation_rules='[{"category": ')
    )

    assert response.status_code == 200
    assert "This is not valid JSON" in response.content.decode()


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ("[" * 5000 + "]" * 5000, "The JSON is nested too deeply."),
        ("[" * 40 + "]" * 40, "The JSON is nested too deeply."),
        ("[" + "9" * 5000 + "]", "This is not valid JSON: A number has too many digits."),
    ],
    ids=["deep", "deeper_than_the_limit", "long_number"],
)
def test_course_admin_hostile_json_rules_show_form_error_and_save_nothing(
    admin_client, rules, message
):
    response = admin_client.post(
        reverse("admin:academics_course_add"), _course_form(evaluation_rules=rules)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Course.objects.exists()


def test_course_admin_form_refuses_deeply_nested_rules():
    form_class = modelform_factory(Course, form=CourseAdminForm, fields=["evaluation_rules"])
    form = form_class(data={"evaluation_rules": "[" * 2400 + "]" * 2400})

    assert not form.is_valid()
    assert form.errors["evaluation_rules"] == ["The JSON is nested too deeply."]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"phone": "12ab"}, "Enter a phone number of 7 to 20 digits"),
        ({"student_id": "-bad id"}, "Student ID must start with a letter or digit"),
        ({"email": "not-an-email"}, "Enter a valid email address"),
    ],
)
def test_student_admin_invalid_values_show_form_error(admin_client, overrides, message):
    response = admin_client.post(
        reverse("admin:academics_student_add"), student_admin_form(**overrides)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Student.all_objects.filter(email="eleni@example.org").exists()


def test_student_admin_duplicate_student_id_shows_form_error(admin_client):
    StudentFactory(student_id="S-900")

    response = admin_client.post(reverse("admin:academics_student_add"), student_admin_form())

    assert response.status_code == 200
    assert "A student with this student ID already exists." in response.content.decode()
    assert Student.objects.filter(student_id="S-900").count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"grade": "120"}, "cannot be higher than the maximum grade"),
        ({"date_submitted": "2025-09-01"}, "submission date cannot be before the assigned date"),
    ],
)
def test_grade_admin_invalid_values_show_form_error(admin_client, overrides, message):
    student, course = StudentFactory(), CourseFactory()
    enroll(student, course)

    response = admin_client.post(
        reverse("admin:academics_grade_add"), _grade_form(student, course, **overrides)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Grade.objects.exists()


def test_grade_admin_refuses_a_student_not_enrolled(admin_client):
    student, course = StudentFactory(), CourseFactory()

    response = admin_client.post(reverse("admin:academics_grade_add"), _grade_form(student, course))

    assert response.status_code == 200
    assert "This student is not enrolled in this course." in response.content.decode()
    assert not Grade.objects.exists()


def test_grade_admin_add_and_change_record_the_admin(admin_client, admin_user):
    student, course = StudentFactory(), CourseFactory()
    enroll(student, course)
    admin_client.post(reverse("admin:academics_grade_add"), _grade_form(student, course))
    grade = Grade.objects.get()

    response = admin_client.post(
        reverse("admin:academics_grade_change", args=[grade.pk]),
        _grade_form(student, CourseFactory(), grade="85"),
    )

    assert response.status_code == 302
    grade.refresh_from_db()
    assert grade.grade == Decimal("85")
    assert grade.course == course  # the course is locked once the grade exists
    assert [record.history_user for record in grade.history.all()] == [admin_user, admin_user]


def test_attendance_admin_duplicate_slot_shows_form_error(admin_client):
    record = AttendanceFactory(date=dt.date(2025, 10, 6), period_number=2)
    enroll(record.student, record.course)

    response = admin_client.post(
        reverse("admin:academics_attendance_add"),
        {
            "student": str(record.student.pk),
            "course": str(record.course.pk),
            "date": "2025-10-06",
            "period_number": "2",
            "status": "absent",
            "notes": "",
            "_save": "Save",
        },
    )

    assert response.status_code == 200
    assert "is already recorded" in response.content.decode()
    assert Attendance.objects.count() == 1


def test_enrollment_admin_duplicate_shows_form_error(admin_client):
    enrollment = EnrollmentFactory()

    response = admin_client.post(
        reverse("admin:academics_enrollment_add"),
        {
            "student": str(enrollment.student.pk),
            "course": str(enrollment.course.pk),
            "enrolled_at": "2025-09-20",
            "status": "active",
            "_save": "Save",
        },
    )

    assert response.status_code == 200
    assert "already enrolled in this course" in response.content.decode()
    assert Enrollment.objects.count() == 1


def test_course_admin_inline_enrollment_is_saved_with_history(admin_client, admin_user):
    course, student = CourseFactory(), StudentFactory()
    data = _course_form(
        course_code=course.course_code,
        **{
            "enrollments-TOTAL_FORMS": "1",
            "enrollments-0-student": str(student.pk),
            "enrollments-0-enrolled_at": "2025-09-21",
            "enrollments-0-status": "active",
        },
    )

    response = admin_client.post(reverse("admin:academics_course_change", args=[course.pk]), data)

    assert response.status_code == 302
    enrollment = Enrollment.objects.get(course=course, student=student)
    assert enrollment.history.get().history_user == admin_user


def test_student_soft_delete_action_hides_but_keeps_the_student(admin_client, admin_user):
    student = StudentFactory()

    response = admin_client.post(
        reverse("admin:academics_student_changelist"),
        {"action": "soft_delete_selected", "_selected_action": [str(student.pk)]},
        follow=True,
    )

    assert response.status_code == 200
    assert not Student.objects.filter(pk=student.pk).exists()
    assert Student.all_objects.get(pk=student.pk).deleted_at is not None
    assert Student.all_objects.get(pk=student.pk).history.first().history_user == admin_user
    assert list(response.context["cl"].result_list) == []


def test_student_changelist_offers_no_hard_bulk_delete(admin_client):
    StudentFactory()

    response = admin_client.get(reverse("admin:academics_student_changelist"))

    actions = [choice[0] for choice in response.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in actions
    assert {"soft_delete_selected", "restore_selected"} <= set(actions)


def test_student_delete_view_soft_deletes(admin_client):
    student = StudentFactory()
    enroll(student, CourseFactory())

    response = admin_client.post(
        reverse("admin:academics_student_delete", args=[student.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert Student.all_objects.get(pk=student.pk).is_deleted
    assert Enrollment.objects.filter(student_id=student.pk).count() == 1


def test_deleted_filter_lists_and_restore_action_brings_back(admin_client):
    student = StudentFactory(deleted_at=dt.datetime(2025, 11, 1, tzinfo=dt.UTC))
    url = reverse("admin:academics_student_changelist")
    assert student.student_id not in admin_client.get(url).content.decode()
    assert student.student_id in admin_client.get(url, {"deleted": "yes"}).content.decode()

    admin_client.post(
        url + "?deleted=yes",
        {"action": "restore_selected", "_selected_action": [str(student.pk)]},
    )

    assert Student.objects.filter(pk=student.pk).exists()


def test_restore_refused_when_student_id_was_reissued(admin_client):
    old = StudentFactory(student_id="S-1", deleted_at=dt.datetime(2025, 11, 1, tzinfo=dt.UTC))
    StudentFactory(student_id="S-1")

    response = admin_client.post(
        reverse("admin:academics_student_changelist") + "?deleted=yes",
        {"action": "restore_selected", "_selected_action": [str(old.pk)]},
        follow=True,
    )

    assert "was not restored" in response.content.decode()
    assert Student.all_objects.get(pk=old.pk).is_deleted


def test_course_soft_delete_action_hides_the_course(admin_client):
    course = CourseFactory()

    admin_client.post(
        reverse("admin:academics_course_changelist"),
        {"action": "soft_delete_selected", "_selected_action": [str(course.pk)]},
    )

    assert not Course.objects.filter(pk=course.pk).exists()
    assert Course.all_objects.filter(pk=course.pk).exists()


def test_student_autocomplete_offers_live_students_only(admin_client):
    live = StudentFactory(last_name="Alive")
    StudentFactory(last_name="Alivegone", deleted_at=dt.datetime(2025, 11, 1, tzinfo=dt.UTC))

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "Alive",
            "app_label": "academics",
            "model_name": "enrollment",
            "field_name": "student",
        },
    )

    assert [row["id"] for row in response.json()["results"]] == [str(live.pk)]


def test_student_health_issue_shown_to_admins_only(rf, admin_user, teacher_user):
    from django.contrib import admin

    model_admin = admin.site._registry[Student]
    student = StudentFactory(health_issue="Asthma")
    request = rf.get("/")
    request.user = teacher_user

    teacher_fields = model_admin.get_form(request, student).base_fields
    request.user = admin_user
    admin_fields = model_admin.get_form(request, student).base_fields

    assert "health_issue" not in teacher_fields
    assert "health_issue" in admin_fields


def test_student_change_page_shows_engine_final_grade(admin_client):
    student, course = StudentFactory(), CourseFactory(course_code="MATH1")
    enroll(student, course)
    GradeFactory(student=student, course=course, category="Midterm", grade=Decimal("80"))
    GradeFactory(student=student, course=course, category="Final", grade=Decimal("90"))

    response = admin_client.get(reverse("admin:academics_student_change", args=[student.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "MATH1" in content
    assert "86.00" in content  # 80 × 40% + 90 × 60%
    assert "17.20" in content  # Greek scale


@pytest.mark.parametrize("model_name", sorted(ROW_FACTORIES))
def test_add_and_change_pages_open(admin_client, model_name):
    obj = ROW_FACTORIES[model_name](1)[0]
    obj.refresh_from_db()

    add = admin_client.get(reverse(f"admin:academics_{model_name}_add"))
    change = admin_client.get(reverse(f"admin:academics_{model_name}_change", args=[obj.pk]))

    assert add.status_code == 200
    assert change.status_code == 200
    assert str(obj) in change.content.decode()


def test_deleted_student_page_still_opens_for_admins(admin_client):
    student = StudentFactory(deleted_at=dt.datetime(2025, 11, 1, tzinfo=dt.UTC))

    response = admin_client.get(reverse("admin:academics_student_change", args=[student.pk]))

    assert response.status_code == 200
    assert student.student_id in response.content.decode()


def test_student_revert_from_history_goes_through_service(admin_client, admin_user):
    student = StudentFactory(class_division="A1")
    first_version = student.history.get()
    student.class_division = "B2"
    student.save()

    response = admin_client.post(
        reverse("admin:academics_student_simple_history", args=[student.pk, first_version.pk]),
        student_admin_form(student_id=student.student_id, email=student.email, class_division="A1"),
    )

    assert response.status_code == 302
    assert Student.objects.get(pk=student.pk).class_division == "A1"
    assert student.history.first().history_user == admin_user


@pytest.mark.parametrize("parent", ["course", "student"])
def test_change_page_query_count_does_not_grow_with_enrollments(admin_client, parent):
    student, course = StudentFactory(), CourseFactory()

    def add_enrollments(count):
        for _ in range(count):
            if parent == "course":
                enroll(StudentFactory(), course)
            else:
                enroll(student, CourseFactory())

    obj = course if parent == "course" else student
    url = reverse(f"admin:academics_{parent}_change", args=[obj.pk])
    add_enrollments(3)
    # Once first: the process caches the content types on its first admin page, so a
    # test that runs first would count that read too.
    _changelist_queries(admin_client, url)
    few = _changelist_queries(admin_client, url)

    add_enrollments(17)
    many = _changelist_queries(admin_client, url)

    assert many == few


def test_student_change_page_explains_risk(admin_client):
    student, course = StudentFactory(), CourseFactory()
    enroll(student, course)
    GradeFactory(student=student, course=course, category="Midterm", grade=Decimal("30"))
    GradeFactory(student=student, course=course, category="Final", grade=Decimal("40"))

    response = admin_client.get(reverse("admin:academics_student_change", args=[student.pk]))

    content = response.content.decode()
    assert "<strong>medium</strong>" in content
    assert "is below 50." in content
    assert "(+40)" in content
