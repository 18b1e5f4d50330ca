"""What a teacher sees when a mark cannot be saved, with and without HTMX, and the fragments
the pages swap in place (search results, the attendance sheet)."""

from django.contrib.messages import get_messages
from django.urls import reverse

from apps.academics.models import Attendance, Grade
from apps.academics.views import PENDING_COLUMNS_KEY

TOO_EARLY = "1999-12-31"


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_course_list_search_answers_the_results_fragment_only(teacher_client, course):
    response = teacher_client.get(
        reverse("academics:course_list"),
        {"q": "Networks"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="course-results",
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Computer Networks" in page
    assert "<html" not in page


def test_grade_grid_skips_a_damaged_pending_column_and_keeps_the_good_one(
    teacher_client, course, students
):
    session = teacher_client.session
    session[PENDING_COLUMNS_KEY] = {
        str(course.pk): [
            {"name": "Broken", "category": "Midterm", "max_grade": "abc", "date_assigned": "x"},
            {
                "name": "Lab 1",
                "category": "Midterm",
                "max_grade": "20",
                "date_assigned": "2025-11-03",
            },
        ]
    }
    session.save()

    response = teacher_client.get(reverse("academics:grade_grid", args=[course.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Lab 1" in page
    assert "Broken" not in page


def test_grade_cell_with_a_student_that_is_not_a_number_is_a_bad_request(
    teacher_client, course, graded
):
    response = teacher_client.post(
        reverse("academics:grade_cell", args=[course.pk]),
        {"student": "first", "assignment": "Midterm", "grade": "50"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 400
    assert Grade.objects.get(student=graded, assignment_name="Midterm").grade == 80


def test_grade_cell_without_htmx_reports_a_rejected_grade_on_the_grid(
    teacher_client, course, graded
):
    response = teacher_client.post(
        reverse("academics:grade_cell", args=[course.pk]),
        {"student": graded.pk, "assignment": "Midterm", "grade": "-5"},
    )

    assert response.status_code == 302
    assert response.url == reverse("academics:grade_grid", args=[course.pk])
    assert flashed(response) == [f"{graded.full_name} · Midterm: A grade cannot be negative."]
    assert Grade.objects.get(student=graded, assignment_name="Midterm").grade == 80


def test_attendance_sheet_slot_change_answers_the_sheet_fragment(teacher_client, course, students):
    response = teacher_client.get(
        reverse("academics:attendance_sheet", args=[course.pk]),
        {"date": "2025-11-03", "period": 2},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="attendance-sheet",
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert students[0].last_name in page
    assert "<html" not in page


def test_attendance_mark_without_a_student_is_a_bad_request(teacher_client, course, students):
    response = teacher_client.post(
        reverse("academics:attendance_mark", args=[course.pk]),
        {"status": "absent", "date": "2025-11-03", "period": 1},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 400
    assert not Attendance.objects.exists()


def test_attendance_mark_before_records_begin_shows_the_reason_in_the_row(
    teacher_client, course, students
):
    response = teacher_client.post(
        reverse("academics:attendance_mark", args=[course.pk]),
        {"student": students[0].pk, "status": "absent", "date": TOO_EARLY, "period": 1},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert "The date cannot be before 2000-01-01." in response.content.decode()
    assert not Attendance.objects.exists()


def test_attendance_mark_without_htmx_returns_to_the_same_slot_with_the_reason(
    teacher_client, course, students
):
    response = teacher_client.post(
        reverse("academics:attendance_mark", args=[course.pk]),
        {"student": students[0].pk, "status": "absent", "date": TOO_EARLY, "period": 3},
    )

    sheet = reverse("academics:attendance_sheet", args=[course.pk])
    assert response.status_code == 302
    assert response.url == f"{sheet}?date={TOO_EARLY}&period=3"
    assert flashed(response) == [f"{students[0].full_name}: The date cannot be before 2000-01-01."]
    assert not Attendance.objects.exists()


def test_attendance_mark_all_before_records_begin_marks_nobody(teacher_client, course, students):
    response = teacher_client.post(
        reverse("academics:attendance_mark_all", args=[course.pk]),
        {"date": TOO_EARLY, "period": 1},
        HTTP_HX_REQUEST="true",
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "The date cannot be before 2000-01-01." in page
    assert "students marked present" not in page
    assert not Attendance.objects.exists()


def test_attendance_mark_all_without_htmx_returns_to_the_slot_with_the_reason(
    teacher_client, course, students
):
    response = teacher_client.post(
        reverse("academics:attendance_mark_all", args=[course.pk]),
        {"date": TOO_EARLY, "period": 2},
    )

    sheet = reverse("academics:attendance_sheet", args=[course.pk])
    assert response.status_code == 302
    assert response.url == f"{sheet}?date={TOO_EARLY}&period=2"
    assert flashed(response) == ["The date cannot be before 2000-01-01."]
    assert not Attendance.objects.exists()
