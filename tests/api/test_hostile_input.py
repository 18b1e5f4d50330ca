"""Bad requests that used to end in a 500: a 400 with a message instead."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import client_for

DEEP_JSON = "[" * 100_000 + "]" * 100_000
HUGE_ID = "9" * 25


@pytest.mark.parametrize("path", ["/api/v1/auth/token/", "/api/v1/grades/"])
def test_deeply_nested_json_is_a_400(school, path):
    client = client_for(school.admin)

    response = client.generic("POST", path, DEEP_JSON, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"] == "The JSON body is nested too deeply."


def test_deeply_nested_json_to_the_anonymous_token_endpoint_is_a_400(db):
    response = Client().post("/api/v1/auth/token/", DEEP_JSON, content_type="application/json")

    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/analytics/dashboard/",
        "/api/v1/analytics/students/",
        "/api/v1/analytics/attendance/",
        "/api/v1/exports/grades.csv",
    ],
)
@pytest.mark.parametrize("name", ["course", "student"])
def test_an_id_beyond_the_database_range_in_a_filter_is_a_400(school, path, name):
    response = client_for(school.admin).get(path, {name: HUGE_ID})

    assert response.status_code == 400
    assert "less than or equal to 9223372036854775807" in str(response.json())
