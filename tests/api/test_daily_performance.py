"""The daily performance endpoint."""

from __future__ import annotations

from apps.academics.models import DailyPerformance
from tests.api.conftest import client_for

URL = "/api/v1/daily-performance/"


def test_daily_performance_teacher_records_score(school):
    response = client_for(school.own.teacher).post(
        URL,
        {
            "student": school.own.student.pk,
            "course": school.own.course.pk,
            "date": "2025-11-10",
            "category": "Participation",
            "score": "9",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["max_score"] == "10.00"
    assert DailyPerformance.objects.filter(category="Participation").count() == 1


def test_daily_performance_score_above_max_is_400(school):
    response = client_for(school.admin).post(
        URL,
        {
            "student": school.own.student.pk,
            "course": school.own.course.pk,
            "category": "Participation",
            "score": "12",
            "max_score": "10",
        },
        format="json",
    )

    assert response.status_code == 400
    assert "score" in response.json()
    assert not DailyPerformance.objects.filter(category="Participation").exists()


def test_daily_performance_filters_by_category(school):
    response = client_for(school.admin).get(URL, {"category": "homework"})

    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {school.own.daily_performance.pk, school.other.daily_performance.pk}
