"""The grade grid: inline cells saved through the services, errors beside the cell."""

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from apps.academics.models import Grade


def post_cell(client, course, student, assignment, value):
    return client.post(
        reverse("academics:grade_cell", args=[course.pk]),
        {"student": student.pk, "assignment": assignment, "grade": value},
        HTTP_HX_REQUEST="true",
    )


def test_grade_grid_shows_a_column_per_assignment_and_the_final_grade(
    teacher_client, course, graded
):
    response = teacher_client.get(reverse("academics:grade_grid", args=[course.pk]))

    page = response.content.decode()
    assert "Midterm" in page
    assert "Final exam" in page
    assert f'id="final-{graded.pk}"' in page
    assert "86.00" in page
    assert "Dropped" not in page


def test_grade_cell_saves_grade_and_returns_new_final_grade(
    teacher_client, course, students, graded
):
    second = students[1]

    response = post_cell(teacher_client, course, second, "Midterm", "70")

    page = response.content.decode()
    assert response.status_code == 200
    assert Grade.objects.get(student=second, assignment_name="Midterm").grade == Decimal("70")
    assert 'hx-swap-oob="true"' in page
    assert "70.00" in page


def test_grade_cell_accepts_a_decimal_comma(teacher_client, course, students, graded):
    post_cell(teacher_client, course, students[1], "Midterm", "72,5")

    assert Grade.objects.get(student=students[1], assignment_name="Midterm").grade == Decimal(
        "72.5"
    )


def test_grade_cell_rejects_text_beside_the_cell(teacher_client, course, students, graded):
    response = post_cell(teacher_client, course, students[1], "Midterm", "abc")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a number" in page
    assert 'aria-invalid="true"' in page
    assert 'value="abc"' in page
    assert not Grade.objects.filter(student=students[1]).exists()


def test_grade_cell_rejects_grade_above_max_with_model_message(
    teacher_client, course, students, graded
):
    response = post_cell(teacher_client, course, students[1], "Midterm", "150")

    assert "cannot be higher than the maximum grade" in response.content.decode()
    assert not Grade.objects.filter(student=students[1]).exists()


def test_grade_cell_emptied_removes_the_grade_and_final_changes(teacher_client, course, graded):
    response = post_cell(teacher_client, course, graded, "Final exam", "")

    assert not Grade.objects.filter(student=graded, assignment_name="Final exam").exists()
    assert "80.00" in response.content.decode()


def test_grade_cell_student_posting_is_forbidden(client, course, graded, student_with_login):
    client.force_login(student_with_login.user)

    response = post_cell(client, course, student_with_login, "Midterm", "100")

    assert response.status_code == 403
    assert Grade.objects.get(student=graded, assignment_name="Midterm").grade == Decimal("80")


def test_grade_cell_for_dropped_student_is_not_found(teacher_client, course, students, graded):
    dropped = course.enrollments.get(status="dropped").student

    response = post_cell(teacher_client, course, dropped, "Midterm", "50")

    assert response.status_code == 404


def test_grade_cell_unknown_assignment_is_a_bad_request(teacher_client, course, students):
    response = post_cell(teacher_client, course, students[0], "No such column", "50")

    assert response.status_code == 400


def test_grade_cell_without_htmx_redirects_back_to_the_grid(teacher_client, course, graded):
    response = teacher_client.post(
        reverse("academics:grade_cell", args=[course.pk]),
        {"student": graded.pk, "assignment": "Midterm", "grade": "95"},
    )

    assert response.status_code == 302
    assert Grade.objects.get(student=graded, assignment_name="Midterm").grade == Decimal("95")


def test_grade_column_add_then_first_grade_uses_its_category_and_max(
    teacher_client, course, students
):
    add_url = reverse("academics:grade_column_add", args=[course.pk])

    response = teacher_client.post(
        add_url,
        {"name": "Quiz 1", "category": "Midterm", "max_grade": "20", "date_assigned": "2025-10-02"},
    )
    grid = teacher_client.get(reverse("academics:grade_grid", args=[course.pk]))
    post_cell(teacher_client, course, students[0], "Quiz 1", "15")

    assert response.status_code == 302
    assert "Quiz 1" in grid.content.decode()
    grade = Grade.objects.get(student=students[0], assignment_name="Quiz 1")
    assert (grade.category, grade.max_grade, grade.date_assigned) == (
        "Midterm",
        Decimal("20"),
        dt.date(2025, 10, 2),
    )


def test_grade_column_add_rejects_an_existing_name_and_unknown_category(
    teacher_client, course, graded
):
    response = teacher_client.post(
        reverse("academics:grade_column_add", args=[course.pk]),
        {"name": "midterm", "category": "Homework", "max_grade": "0", "date_assigned": "x"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "already has an assignment with this name" in page
    assert "Select a valid choice" in page
    assert "must be a number above 0" in page


def test_grade_column_add_refuses_a_name_with_a_direction_override(teacher_client, course, graded):
    response = teacher_client.post(
        reverse("academics:grade_column_add", args=[course.pk]),
        {"name": "Quiz \u202egpj.exe", "category": "Midterm", "max_grade": "20",
         "date_assigned": "2025-10-02"},
    )  # fmt: skip

    assert response.status_code == 200
    assert (
        "Quiz \u202egpj.exe"
        not in teacher_client.get(
            reverse("academics:grade_grid", args=[course.pk])
        ).content.decode()
    )
    assert "U+202E" in response.content.decode()
