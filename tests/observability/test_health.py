"""Liveness and readiness as a process manager, a proxy and an operator see them."""

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

from sms.celery import app as celery_app
from sms.version import VERSION

pytestmark = pytest.mark.django_db


def test_readiness_answers_200_with_version_and_each_check(client):
    response = client.get("/health/")

    body = response.json()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert (body["status"], body["version"]) == ("ok", VERSION)
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "redis": "skipped",  # the in-memory test set-up has no REDIS_URL
        "cache": "skipped",
        "disk": "ok",
    }


def test_readiness_answers_503_naming_the_database_without_its_error(client, monkeypatch):
    def refuse(self):
        raise OperationalError(
            'connection to server at "db.internal" (10.1.2.3), port 5432 failed: '
            'password authentication failed for user "sms_owner"'
        )

    monkeypatch.setattr(BaseDatabaseWrapper, "temporary_connection", refuse)

    response = client.get("/health/")

    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["version"] == VERSION
    assert body["checks"]["database"]["status"] == "fail"
    assert "database did not answer" in body["checks"]["database"]["detail"]
    assert body["checks"]["disk"]["status"] == "ok"
    for secret in (b"db.internal", b"10.1.2.3", b"5432", b"sms_owner"):
        assert secret not in response.content


def test_readiness_answers_503_naming_redis_when_it_is_unreachable(client, settings, closed_port):
    settings.REDIS_URL = f"redis://:hunter2@127.0.0.1:{closed_port}/0"

    response = client.get("/health/")

    checks = response.json()["checks"]
    assert response.status_code == 503
    assert checks["redis"]["status"] == "fail"
    assert "Unable to connect to Redis" in checks["redis"]["detail"]
    assert checks["database"]["status"] == "ok"
    assert b"hunter2" not in response.content


@pytest.mark.redis
def test_readiness_with_a_real_redis_reports_redis_ok(client, settings, redis_url):
    settings.REDIS_URL = redis_url

    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json()["checks"]["redis"]["status"] == "ok"


def test_readiness_answers_503_when_var_disk_is_below_the_minimum(client, settings):
    settings.SMS_HEALTH_MIN_FREE_DISK_MB = 10**12

    response = client.get("/health/")

    disk = response.json()["checks"]["disk"]
    assert response.status_code == 503
    assert disk["status"] == "fail"
    assert "below the minimum" in disk["detail"]


def test_liveness_answers_without_a_database_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/live/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": VERSION}


def test_liveness_answers_while_the_database_is_down(client, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise OperationalError("the database is restarting")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)

    response = client.get("/health/live/")

    assert response.status_code == 200


def test_health_answers_a_probe_by_ip_over_plain_http_in_production(client, settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["sms.example.org"]
    settings.SECURE_SSL_REDIRECT = True

    probe = client.get("/health/", HTTP_HOST="127.0.0.1:8000")
    page = client.get("/accounts/login/", HTTP_HOST="127.0.0.1:8000")

    assert probe.status_code == 200
    assert page.status_code == 400  # the rest of the site still refuses the unknown host


def test_health_is_anonymous_and_sets_no_cookie(client):
    response = client.get("/health/")

    assert response.status_code == 200
    assert not response.cookies


def test_celery_readiness_is_skipped_while_tasks_run_eagerly(client):
    response = client.get("/health/celery/")

    assert response.status_code == 200
    assert response.json()["checks"] == {"celery": {"status": "skipped"}}


def test_celery_readiness_answers_503_when_no_worker_answers(client, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(celery_app.control, "ping", lambda **kwargs: [])

    response = client.get("/health/celery/")

    celery = response.json()["checks"]["celery"]
    assert response.status_code == 503
    assert "Celery workers unavailable" in celery["detail"]


def test_health_check_command_runs_readiness_in_process(capsys):
    from django.core.management import call_command

    with pytest.raises(SystemExit) as exit_info:
        call_command("health_check", "health", "--no-http")

    assert exit_info.value.code == 0
    assert "Database" in capsys.readouterr().out
