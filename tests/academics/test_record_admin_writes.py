"""Enrollments, attendance and daily performance added, changed and deleted in the Django
admin go through the academics services: each change is in the record's history under the
administrator who made it, single deletes and bulk deletes alike."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.academics.models import Attendance, DailyPerformance, Enrollment, Grade, Student
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    GradeFactory,
    StudentFactory,
    enroll,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def history_of(model, pk) -> list[tuple[str, str]]:
    """(change type, username or None) oldest first: + created, ~ changed, - deleted."""
    rows = model.history.filter(id=pk).order_by("history_id").select_related("history_user")
    return [(row.history_type, getattr(row.history_user, "username", None)) for row in rows]


def test_enrollment_added_changed_and_deleted_in_the_admin_is_in_its_history(
    admin_client, admin_user
):
    student, course = StudentFactory(), CourseFactory()
    form = {
        "student": student.pk,
        "course": course.pk,
        "enrolled_at": "2025-09-20",
        "status": "active",
        "_save": "Save",
    }

    admin_client.post(reverse("admin:academics_enrollment_add"), form)
    enrollment = Enrollment.objects.get()
    admin_client.post(
        reverse("admin:academics_enrollment_change", args=[enrollment.pk]),
        {**form, "status": "dropped"},
    )
    status = Enrollment.objects.get().status
    admin_client.post(
        reverse("admin:academics_enrollment_delete", args=[enrollment.pk]), {"post": "yes"}
    )

    assert status == "dropped"
    assert not Enrollment.objects.exists()
    name = admin_user.username
    assert history_of(Enrollment, enrollment.pk) == [("+", name), ("~", name), ("-", name)]


def test_attendance_added_changed_and_deleted_in_the_admin_is_in_its_history(
    admin_client, admin_user
):
    student, course = StudentFactory(), CourseFactory()
    enroll(student, course)
    form = {
        "student": student.pk,
        "course": course.pk,
        "date": "2025-10-06",
        "period_number": "2",
        "status": "absent",
        "notes": "",
        "_save": "Save",
    }

    admin_client.post(reverse("admin:academics_attendance_add"), form)
    record = Attendance.objects.get()
    admin_client.post(
        reverse("admin:academics_attendance_change", args=[record.pk]),
        {**form, "status": "excused", "notes": "Doctor's note"},
    )
    changed = Attendance.objects.values_list("status", "notes").get()
    admin_client.post(
        reverse("admin:academics_attendance_delete", args=[record.pk]), {"post": "yes"}
    )

    assert changed == ("excused", "Doctor's note")
    assert not Attendance.objects.exists()
    name = admin_user.username
    assert history_of(Attendance, record.pk) == [("+", name), ("~", name), ("-", name)]


def test_daily_performance_added_changed_and_deleted_in_the_admin_is_in_its_history(
    admin_client, admin_user
):
    student, course = StudentFactory(), CourseFactory()
    enroll(student, course)
    form = {
        "student": student.pk,
        "course": course.pk,
        "date": "2025-10-01",
        "category": "Homework",
        "score": "8",
        "max_score": "10",
        "notes": "",
        "_save": "Save",
    }

    admin_client.post(reverse("admin:academics_dailyperformance_add"), form)
    record = DailyPerformance.objects.get()
    admin_client.post(
        reverse("admin:academics_dailyperformance_change", args=[record.pk]),
        {**form, "score": "9.5"},
    )
    score = DailyPerformance.objects.get().score
    admin_client.post(
        reverse("admin:academics_dailyperformance_delete", args=[record.pk]), {"post": "yes"}
    )

    assert str(score) == "9.50"
    assert not DailyPerformance.objects.exists()
    name = admin_user.username
    assert history_of(DailyPerformance, record.pk) == [("+", name), ("~", name), ("-", name)]


def test_grades_deleted_together_in_the_admin_each_record_the_administrator(
    admin_client, admin_user
):
    grades = GradeFactory.create_batch(2)

    admin_client.post(
        reverse("admin:academics_grade_changelist"),
        {"action": "delete_selected", "_selected_action": [g.pk for g in grades], "post": "yes"},
    )

    assert not Grade.objects.exists()
    for grade in grades:
        assert history_of(Grade, grade.pk)[-1] == ("-", admin_user.username)


def test_student_page_changes_and_removes_enrollments_through_the_services(
    admin_client, admin_user
):
    student = StudentFactory(
        student_id="S-901",
        first_name="Eleni",
        last_name="Papadopoulou",
        email="eleni@example.org",
        class_division="A1",
        enrollment_date=dt.date(2025, 9, 15),
    )
    kept = EnrollmentFactory(student=student, course=CourseFactory())
    removed = EnrollmentFactory(student=student, course=CourseFactory())
    form = {
        "student_id": "S-901",
        "last_name": "Papadopoulou",
        "first_name": "Eleni",
        "father_name": "",
        "email": "eleni@example.org",
        "mobile_phone": "",
        "phone": "",
        "study_year": "1",
        "academic_year": "2025-2026",
        "class_division": "A1",
        "enrollment_date": "2025-09-15",
        "is_active": "on",
        "user": "",
        "health_issue": "",
        "notes": "",
        "enrollments-TOTAL_FORMS": "2",
        "enrollments-INITIAL_FORMS": "2",
        "_save": "Save",
    }
    for index, enrollment in enumerate([kept, removed]):
        form |= {
            f"enrollments-{index}-id": enrollment.pk,
            f"enrollments-{index}-student": student.pk,
            f"enrollments-{index}-course": enrollment.course.pk,
            f"enrollments-{index}-enrolled_at": "2025-09-20",
            f"enrollments-{index}-status": "active",
        }
    form["enrollments-0-status"] = "completed"
    form["enrollments-1-DELETE"] = "on"

    response = admin_client.post(reverse("admin:academics_student_change", args=[student.pk]), form)

    assert response.status_code == 302
    assert list(Enrollment.objects.values_list("pk", "status")) == [(kept.pk, "completed")]
    assert history_of(Enrollment, kept.pk)[-1] == ("~", admin_user.username)
    assert history_of(Enrollment, removed.pk)[-1] == ("-", admin_user.username)


def test_student_list_with_deleted_any_shows_current_and_removed_students(admin_client):
    StudentFactory(student_id="S-LIVE")
    StudentFactory(student_id="S-GONE", deleted_at=dt.datetime(2025, 11, 1, tzinfo=dt.UTC))

    page = admin_client.get(
        reverse("admin:academics_student_changelist"), {"deleted": "any"}
    ).content.decode()

    assert "S-LIVE" in page
    assert "S-GONE" in page
    assert Student.objects.count() == 1
