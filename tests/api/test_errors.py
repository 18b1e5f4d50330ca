"""Junk in URLs, query strings and bodies is answered 4xx with a message, never 500."""

from __future__ import annotations

import pytest

from apps.academics.models import Grade
from tests.api.conftest import client_for

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/grades/abc/",
        f"/api/v1/grades/{HUGE}/",
        "/api/v1/students/-1/",
        "/api/v1/courses/0/",
    ],
)
def test_errors_junk_detail_ids_are_404(school, url):
    response = client_for(school.admin).get(url)

    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"course": "abc"}, "course"),
        ({"course": HUGE}, "course"),
        ({"student": "1.5e"}, "student"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"study_year": "first"}, "study_year"),
    ],
)
def test_errors_junk_filters_are_400_naming_the_parameter(school, params, field):
    response = client_for(school.admin).get("/api/v1/grades/", params)

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    "params",
    [{"page_size": "-3"}, {"ordering": "password"}, {"search": "' OR 1=1"}],
)
def test_errors_odd_but_harmless_query_strings_answer_200(school, params):
    response = client_for(school.admin).get("/api/v1/grades/", params)

    assert response.status_code == 200


def test_errors_page_that_is_not_a_number_is_404(school):
    response = client_for(school.admin).get("/api/v1/grades/", {"page": "two"})

    assert response.status_code == 404


@pytest.mark.parametrize("value", [HUGE, "abc", None, [1], {"id": 1}, True])
def test_errors_junk_student_id_in_body_is_400(school, value):
    body = {
        "student": value,
        "course": school.own.course.pk,
        "assignment_name": "Junk",
        "category": "Final",
        "grade": "5",
    }

    response = client_for(school.admin).post("/api/v1/grades/", body, format="json")

    assert response.status_code == 400
    assert "student" in response.json()
    assert not Grade.objects.filter(assignment_name="Junk").exists()


def test_errors_form_encoded_body_is_accepted_like_json(school):
    body = {
        "student": school.own.student.pk,
        "course": school.own.course.pk,
        "assignment_name": "Form",
        "category": "Final",
        "grade": "5",
    }

    response = client_for(school.admin).post("/api/v1/grades/", body)

    assert response.status_code == 201


def test_errors_unsupported_media_type_is_415(school):
    response = client_for(school.admin).post(
        "/api/v1/grades/", data="<grade/>", content_type="application/xml"
    )

    assert response.status_code == 415


def test_errors_method_not_allowed_is_405(school):
    response = client_for(school.admin).post(f"/api/v1/grades/{school.own.grade.pk}/", {})

    assert response.status_code == 405
