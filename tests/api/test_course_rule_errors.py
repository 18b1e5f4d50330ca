"""Evaluation rules a course cannot have are refused with a sentence saying what is wrong,
through the API (JSON rules) and the Django admin (rules typed as text)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from apps.academics.models import Course
from tests.api.conftest import client_for
from tests.factories import CourseFactory

URL = "/api/v1/courses/"


def create(admin_user, rules):
    payload = {
        "course_code": "NET-9",
        "course_name": "Networks",
        "semester": "A",
        "evaluation_rules": rules,
    }
    return client_for(admin_user).post(URL, payload, format="json")


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (["Final"], "Rule 1 must be an object with a category and a weight."),
        ([{"category": "Final", "weight": True}], "Weight must be a number."),
        ([{"category": "Final", "weight": 0}, {"category": "Lab", "weight": 100}],
         "The weight of “Final” must be between 0 and 100."),
        ([{"category": "Final", "weight": 100, "daily_performance_multiplier": -1}],
         "The daily performance multiplier cannot be negative."),
        ([{"category": "Final", "weight": 100, "include_daily_performance": "yes"}],
         "include_daily_performance must be true or false."),
    ],
)  # fmt: skip
def test_courses_impossible_rules_are_a_400_naming_the_problem(admin_user, rules, message):
    response = create(admin_user, rules)

    assert response.status_code == 400
    assert message in str(response.json()["evaluation_rules"])
    assert not Course.objects.exists()


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def course_form(rules: str) -> dict:
    return {
        "course_code": "net101",
        "course_name": "Networks",
        "semester": "A",
        "credits": "3",
        "is_active": "on",
        "hours_per_week": "",
        "periods_per_week": "",
        "evaluation_rules": rules,
        "absence_penalty": "0",
        "description": "",
        "enrollments-TOTAL_FORMS": "0",
        "enrollments-INITIAL_FORMS": "0",
        "_save": "Save",
    }


def test_course_admin_rules_text_with_blank_parts_keeps_the_written_rules(admin_client):
    response = admin_client.post(
        reverse("admin:academics_course_add"), course_form("Midterm: 40%;;\nFinal = 60;")
    )

    assert response.status_code == 302
    rules = Course.objects.get().evaluation_rules
    assert [(rule["category"], rule["weight"]) for rule in rules] == [
        ("Midterm", 40.0),
        ("Final", 60.0),
    ]


def test_course_admin_rules_text_that_cannot_be_read_shows_how_to_write_it(admin_client):
    response = admin_client.post(
        reverse("admin:academics_course_add"), course_form("Midterm forty; Final: 60%")
    )

    assert response.status_code == 200
    assert "Could not read the rule “Midterm forty”" in response.content.decode()
    assert not Course.objects.exists()


def test_course_admin_restore_brings_a_deleted_course_back(admin_client):
    course = CourseFactory(course_code="GONE1", deleted_at=dt.datetime(2025, 11, 1, tzinfo=dt.UTC))
    url = reverse("admin:academics_course_changelist")

    admin_client.post(
        url + "?deleted=yes", {"action": "restore_selected", "_selected_action": [course.pk]}
    )

    assert Course.objects.filter(course_code="GONE1").exists()
    assert "GONE1" in admin_client.get(url).content.decode()


def test_course_admin_shows_rules_with_daily_performance_options_as_json(admin_client):
    rules = [
        {"category": "Lab", "weight": 30, "daily_performance_multiplier": 2},
        {"category": "Final", "weight": 70, "include_daily_performance": False},
    ]
    course = CourseFactory(evaluation_rules=rules)

    response = admin_client.get(reverse("admin:academics_course_change", args=[course.pk]))

    field = response.context["adminform"].form["evaluation_rules"]
    assert json.loads(field.field.prepare_value(field.initial)) == rules
    assert "&quot;daily_performance_multiplier&quot;: 2" in response.content.decode()


def test_course_admin_rules_left_empty_give_a_course_without_rules(admin_client):
    response = admin_client.post(reverse("admin:academics_course_add"), course_form(""))

    assert response.status_code == 302
    assert Course.objects.get().evaluation_rules == []
