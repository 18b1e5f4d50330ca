"""A database that does not answer is a 503 with Retry-After on the API and the pages."""

from django.db import OperationalError

from apps.academics.api import views as academics_api
from apps.analytics import views as analytics_pages
from tests.api.conftest import client_for


def _database_away(*args, **kwargs):
    raise OperationalError("connection to server failed: Connection refused")


def test_outage_api_answers_503_with_retry_after(school, monkeypatch):
    monkeypatch.setattr(academics_api.StudentViewSet, "list", _database_away)

    response = client_for(school.admin).get("/api/v1/students/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "detail": "The database is not answering; try again in a few seconds."
    }


def test_outage_page_answers_503_with_retry_after(admin_client, monkeypatch):
    monkeypatch.setattr(analytics_pages, "report_payload", _database_away)

    response = admin_client.get("/analytics/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "try again in a few seconds" in response.content.decode()


def test_outage_other_errors_are_not_turned_into_503(admin_client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(analytics_pages, "report_payload", broken)
    admin_client.raise_request_exception = False

    response = admin_client.get("/analytics/")

    assert response.status_code == 500
