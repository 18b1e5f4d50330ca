"""Grades and grade columns a teacher cannot mean: not-a-number text and absurd maxima are
refused beside the field, and nothing is saved."""

from django.urls import reverse

from apps.academics.models import Grade


def test_grade_cell_nan_is_refused_as_not_a_number(teacher_client, course, graded):
    response = teacher_client.post(
        reverse("academics:grade_cell", args=[course.pk]),
        {"student": graded.pk, "assignment": "Midterm", "grade": "NaN"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert "Enter a number, for example 8.5." in response.content.decode()
    assert Grade.objects.get(student=graded, assignment_name="Midterm").grade == 80


def test_grade_column_with_an_absurd_maximum_is_refused(teacher_client, course, students):
    response = teacher_client.post(
        reverse("academics:grade_column_add", args=[course.pk]),
        {
            "name": "Lab 9",
            "category": "Midterm",
            "max_grade": "100000",
            "date_assigned": "2025-11-03",
        },
    )

    assert response.status_code == 200
    assert "The maximum grade is too large." in response.content.decode()
    assert "Lab 9" not in str(teacher_client.session.get("grade_grid_new_columns", {}))
