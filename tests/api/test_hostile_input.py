"""Bad requests that used to end in a 500: a 400 with a message instead."""

from __future__ import annotations

import json

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.academics.models import Course
from apps.bulkio.models import ImportJob
from sms import jsonsafe
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


# JSON inside a field rather than as the body: DRF parses it itself, past the body parser.
@pytest.mark.parametrize("column_map", [DEEP_JSON, "[" * 5000 + "]" * 5000, "[" * 40 + "]" * 40])
def test_deeply_nested_column_map_of_an_upload_is_a_400_and_starts_no_import(school, column_map):
    file = SimpleUploadedFile("courses.csv", b"course_code,course_name,semester\nNET101,Nets,A\n")
    courses = Course.objects.count()

    response = client_for(school.admin).post(
        "/api/v1/imports/",
        {"resource": "courses", "file": file, "column_map": column_map},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == {"column_map": ["The JSON is nested too deeply."]}
    assert ImportJob.objects.count() == 0
    assert Course.objects.count() == courses


@pytest.mark.parametrize("depth", [jsonsafe.MAX_DEPTH + 1, 900, 100_000])
def test_jsonsafe_loads_refuses_nesting_beyond_the_limit_at_any_depth(depth):
    with pytest.raises(jsonsafe.JSONTooDeep, match="nested too deeply"):
        jsonsafe.loads("[" * depth + "]" * depth)


def test_jsonsafe_loads_reads_json_nested_up_to_the_limit():
    text = '{"a": ' * (jsonsafe.MAX_DEPTH - 1) + "[1]" + "}" * (jsonsafe.MAX_DEPTH - 1)

    assert jsonsafe.loads(text) == json.loads(text)


def test_jsonsafe_loads_reports_a_number_too_long_as_bad_json():
    with pytest.raises(json.JSONDecodeError, match="too many digits"):
        jsonsafe.loads("[" + "9" * 5000 + "]")


class _FiltersForm(forms.Form):
    filters = jsonsafe.JSONFormField()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 5000 + "]" * 5000, "The JSON is nested too deeply."),
        ("[" * 40 + "]" * 40, "The JSON is nested too deeply."),
        ("[" + "9" * 5000 + "]", "A number has too many digits."),
    ],
    ids=["deep", "deeper_than_the_limit", "long_number"],
)
def test_jsonsafe_form_field_refuses_hostile_json_and_shows_it_back(text, message):
    form = _FiltersForm(data={"filters": text})

    assert not form.is_valid()
    assert form.errors["filters"] == [message]
    assert text[:100] in str(form["filters"])  # redisplayed as typed, no error rendering it


# Fields DRF parses itself when a client sends a form instead of a JSON body.
def test_deeply_nested_rules_of_a_course_sent_as_a_form_are_a_400_and_save_nothing(school):
    courses = Course.objects.count()

    response = client_for(school.admin).post(
        "/api/v1/courses/",
        {
            "course_code": "DEEP1",
            "course_name": "Deep",
            "semester": "A",
            "evaluation_rules": "[" * 5000 + "]" * 5000,
        },
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == {"evaluation_rules": ["The JSON is nested too deeply."]}
    assert Course.objects.count() == courses


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/admin/notifications/notificationpreference/add/", "kinds"),
        ("/admin/notifications/notification/add/", "data"),
    ],
)
def test_deeply_nested_json_in_an_admin_json_field_is_a_form_error(admin_client, url, field):
    response = admin_client.post(url, {field: "[" * 5000 + "]" * 5000})

    assert response.status_code == 200
    assert "The JSON is nested too deeply." in response.content.decode()


def test_recursion_past_the_stack_in_a_page_is_a_400_page_not_a_500(rf):
    request = rf.get("/")
    middleware = jsonsafe.DeepInputMiddleware(lambda request: None)

    response = middleware.process_exception(request, RecursionError())

    assert response.status_code == 400
    assert middleware.process_exception(request, ValueError()) is None
