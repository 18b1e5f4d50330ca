"""Attendance sheet (one click, mark all present) and the student profile."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from apps.academics.models import Attendance
from tests.factories import (
    AttendanceFactory,
    CourseFactory,
    GradeFactory,
    StudentUserFactory,
    enroll,
)


def mark(client, course, student, status, date="2025-11-03", period=1):
    return client.post(
        reverse("academics:attendance_mark", args=[course.pk]),
        {"student": student.pk, "status": status, "date": date, "period": period},
        HTTP_HX_REQUEST="true",
    )


def test_attendance_mark_saves_status_and_returns_pressed_button(teacher_client, course, students):
    response = mark(teacher_client, course, students[0], "absent")

    page = response.content.decode()
    record = Attendance.objects.get(student=students[0], course=course)
    assert (record.status, record.date, record.period_number) == ("absent", dt.date(2025, 11, 3), 1)
    assert 'value="absent" class="status-btn status-absent" aria-pressed="true"' in page
    assert 'id="attendance-counts" hx-swap-oob="true"' in page


def test_attendance_mark_again_changes_the_same_record(teacher_client, course, students):
    mark(teacher_client, course, students[0], "absent")

    mark(teacher_client, course, students[0], "late")

    assert list(Attendance.objects.values_list("status", flat=True)) == ["late"]


def test_attendance_mark_future_date_shows_error_and_saves_nothing(
    teacher_client, course, students
):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()

    response = mark(teacher_client, course, students[0], "present", date=tomorrow)

    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()
    assert not Attendance.objects.exists()


def test_attendance_mark_all_present_marks_only_unmarked_students(teacher_client, course, students):
    mark(teacher_client, course, students[0], "absent")

    response = teacher_client.post(
        reverse("academics:attendance_mark_all", args=[course.pk]),
        {"date": "2025-11-03", "period": 1},
        HTTP_HX_REQUEST="true",
    )

    statuses = dict(Attendance.objects.values_list("student__last_name", "status"))
    assert statuses == {"Alexiou": "absent", "Bekas": "present", "Christou": "present"}
    assert "2 students marked present." in response.content.decode()


def test_attendance_sheet_shows_saved_status_for_chosen_slot(teacher_client, course, students):
    AttendanceFactory(
        student=students[1], course=course, date=dt.date(2025, 11, 3), period_number=2,
        status="excused",
    )  # fmt: skip

    response = teacher_client.get(
        reverse("academics:attendance_sheet", args=[course.pk]), {"date": "2025-11-03", "period": 2}
    )

    page = response.content.decode()
    assert 'value="excused" class="status-btn status-excused" aria-pressed="true"' in page
    assert "Excused <strong>1</strong>" in page


def test_attendance_sheet_bad_date_falls_back_to_today(teacher_client, course, students):
    response = teacher_client.get(
        reverse("academics:attendance_sheet", args=[course.pk]), {"date": "abc", "period": "x"}
    )

    assert response.status_code == 400  # a query it cannot read; today's sheet still shown
    assert f'value="{timezone.localdate().isoformat()}"' in response.content.decode()


def test_attendance_student_cannot_mark(client, course, student_with_login):
    client.force_login(student_with_login.user)

    response = mark(client, course, student_with_login, "present")

    assert response.status_code == 403
    assert not Attendance.objects.exists()


def test_student_profile_shows_final_grade_and_category_breakdown(teacher_client, graded):
    response = teacher_client.get(reverse("academics:student_profile", args=[graded.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "86.00" in page
    assert "17.20 / 20" in page
    assert "Midterm" in page and "32.00" in page
    assert "Final" in page and "54.00" in page


def test_student_profile_teacher_sees_only_courses_they_teach(teacher_client, course, graded):
    other = CourseFactory(course_code="ART900")
    enroll(graded, other)
    GradeFactory(student=graded, course=other, category="Midterm", grade=50)

    response = teacher_client.get(reverse("academics:student_profile", args=[graded.pk]))

    assert "ART900" not in response.content.decode()


def test_student_profile_student_sees_own_but_not_another(client, students, student_with_login):
    client.force_login(student_with_login.user)

    own = client.get(reverse("academics:student_profile", args=[student_with_login.pk]))
    other = client.get(reverse("academics:student_profile", args=[students[1].pk]))

    assert own.status_code == 200
    assert other.status_code == 404


def test_student_profile_user_without_record_gets_not_found(client, students):
    client.force_login(StudentUserFactory())

    response = client.get(reverse("academics:student_profile", args=[students[0].pk]))

    assert response.status_code == 404


def test_student_who_only_dropped_the_teachers_course_is_on_no_page_of_theirs(
    teacher_client, course, students
):
    dropped = course.enrollments.get(status="dropped").student
    pages = {
        "roster": reverse("academics:course_roster", args=[course.pk]),
        "grade_grid": reverse("academics:grade_grid", args=[course.pk]),
        "attendance_sheet": reverse("academics:attendance_sheet", args=[course.pk]),
    }

    shown = {
        name: dropped.last_name in teacher_client.get(url).content.decode()
        for name, url in pages.items()
    }
    profile = teacher_client.get(reverse("academics:student_profile", args=[dropped.pk]))
    mark_response = mark(teacher_client, course, dropped, "present")

    assert shown == dict.fromkeys(pages, False)
    assert profile.status_code == 404
    assert mark_response.status_code == 404
