"""Pages answer a query string they cannot read with a 400, never a 500.

Filters that are not numbers, dates that do not exist and ids beyond any database key:
the analytics and attendance pages show the reason on a 400 page, the lists answer a
plain 400, and an id in the path that cannot exist is a 404.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

HUGE = "9" * 25


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("date_from", "2025-13-45", "Date has wrong format"),
        ("course", HUGE, "less than or equal to 9223372036854775807"),
        ("study_year", "abc", "Enter a whole number"),
        ("threshold", "NaN", "A valid number is required"),
    ],
)
def test_analytics_dashboard_bad_filter_is_a_400_page_with_the_reason(
    teacher_client, graded, name, value, shown
):
    response = teacher_client.get(reverse("analytics:dashboard"), {name: value})

    assert response.status_code == 400
    assert shown in response.content.decode()


def test_analytics_dashboard_htmx_swap_with_a_bad_filter_shows_the_reason(teacher_client, graded):
    response = teacher_client.get(
        reverse("analytics:dashboard"), {"date_from": "nope"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "Date has wrong format" in response.content.decode()


def test_analytics_dashboard_good_filters_are_a_200(teacher_client, graded, course):
    response = teacher_client.get(
        reverse("analytics:dashboard"), {"course": course.pk, "date_from": "2025-09-01"}
    )

    assert response.status_code == 200


def test_analytics_student_page_bad_filter_is_a_400(teacher_client, graded):
    url = reverse("analytics:student", args=[graded.pk])

    response = teacher_client.get(url, {"date_to": "31/02/2025"})

    assert response.status_code == 400
    assert "Date has wrong format" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    ["/courses/{big}/", "/students/{big}/", "/analytics/students/{big}/", "/bulk/imports/{big}/"],
)
def test_an_id_beyond_any_database_key_in_the_path_is_a_404(teacher_client, graded, path):
    response = teacher_client.get(path.format(big=HUGE))

    assert response.status_code == 404


@pytest.mark.parametrize("page", ["abc", "-1", "0", "1.5", HUGE])
@pytest.mark.parametrize("url", ["/courses/", "/bulk/imports/", "/notifications/"])
def test_list_pages_answer_a_page_that_is_not_a_number_with_400(teacher_client, graded, url, page):
    response = teacher_client.get(url, {"page": page})

    assert response.status_code == 400


@pytest.mark.parametrize("url", ["/courses/", "/bulk/imports/", "/notifications/"])
def test_list_pages_past_the_end_show_the_last_page(teacher_client, graded, url):
    response = teacher_client.get(url, {"page": "999"})

    assert response.status_code == 200


@pytest.mark.parametrize(
    "query",
    [{"date": "2025-13-45"}, {"date": HUGE}, {"period": HUGE}, {"period": "x"}],
)
def test_attendance_sheet_unusable_slot_is_a_400_page_with_the_reason(
    teacher_client, course, students, query
):
    response = teacher_client.get(reverse("academics:attendance_sheet", args=[course.pk]), query)

    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()


def test_attendance_sheet_good_slot_is_a_200(teacher_client, course, students):
    url = reverse("academics:attendance_sheet", args=[course.pk])

    response = teacher_client.get(url, {"date": "2025-11-03", "period": "2"})

    assert response.status_code == 200


@pytest.mark.postgres
@pytest.mark.parametrize("url", ["/courses/", "/courses/{course}/"])
def test_search_box_drops_a_nul_character_instead_of_failing(teacher_client, course, url):
    response = teacher_client.get(url.format(course=course.pk), {"q": "Net\x00works"})

    assert response.status_code == 200
    assert "Computer Networks" in response.content.decode()
