"""X-Request-ID on responses, in JSON log lines and in the Celery tasks a request queues."""

import json
import logging
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from celery import Celery

from sms.observability import request_id
from sms.observability.logs import JsonFormatter, RequestContextFilter
from sms.settings import celery_broker_url

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
GENERATED = re.compile(r"[0-9a-f]{32}")


# --- On the response ----------------------------------------------------------------------
def test_request_id_is_generated_when_the_client_sends_none(client):
    first = client.get("/accounts/login/")
    second = client.get("/accounts/login/")

    assert GENERATED.fullmatch(first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_request_id_from_the_proxy_is_kept(client):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="nginx-7f3a.91:02_x")

    assert response["X-Request-ID"] == "nginx-7f3a.91:02_x"


@pytest.mark.parametrize(
    "sent",
    ["forged\nERROR admin logged in", "a" * 129, "id with spaces", "ταυτότητα", '"};alert(1)'],
)
def test_request_id_that_is_unsafe_or_too_long_is_replaced(client, sent):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID=sent)

    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_request_id_is_on_refusals_and_redirects_too(client):
    missing = client.get("/no-such-page")
    redirect = client.get("/")

    assert GENERATED.fullmatch(missing["X-Request-ID"])
    assert redirect.status_code == 302
    assert GENERATED.fullmatch(redirect["X-Request-ID"])


# --- In the logs --------------------------------------------------------------------------
def test_json_access_line_carries_request_id_user_and_timing(client, settings, json_log):
    settings.SMS_LOG_REQUESTS = True
    from tests.factories import TeacherFactory

    teacher = TeacherFactory()
    client.force_login(teacher)

    response = client.get("/notifications/?token=do-not-log-me", HTTP_X_REQUEST_ID="req-42")

    line = next(entry for entry in json_log.lines() if entry["logger"] == "sms.requests")
    assert response.status_code == 200
    assert line["request_id"] == "req-42"
    assert line["user_id"] == teacher.pk
    assert (line["method"], line["path"], line["status"]) == ("GET", "/notifications/", 200)
    assert line["duration_ms"] >= 0
    assert line["level"] == "INFO"
    assert line["time"].endswith("Z")
    assert "do-not-log-me" not in json.dumps(json_log.lines())


def test_json_lines_of_the_view_carry_the_request_id_without_looking_up_the_user(
    client, json_log, django_assert_num_queries
):
    # An anonymous 404 logs a warning; finding its user would cost a session query.
    with django_assert_num_queries(0):
        response = client.get("/no-such-page", HTTP_X_REQUEST_ID="req-404")

    warning = next(entry for entry in json_log.lines() if entry["logger"] == "django.request")
    assert response.status_code == 404
    assert warning["request_id"] == "req-404"
    assert warning["level"] == "WARNING"
    assert "user_id" not in warning


def test_json_line_of_an_exception_carries_its_traceback():
    formatter, context = JsonFormatter(), RequestContextFilter()
    try:
        raise ValueError("grade out of range")
    except ValueError:
        record = logging.getLogger("apps.test").makeRecord(
            "apps.test", logging.ERROR, __file__, 1, "failed: %s", ("x",), sys.exc_info()
        )
    context.filter(record)

    entry = json.loads(formatter.format(record))

    assert entry["message"] == "failed: x"
    assert "ValueError: grade out of range" in entry["exception"]
    assert "\n" not in formatter.format(record)


def test_production_settings_log_json_and_development_plain(tmp_path):
    code = "import django, logging; django.setup(); logging.getLogger('sms.demo').warning('hi')"
    base = {**os.environ, "SECRET_KEY": "k" * 50, "SMS_VAR_DIR": str(tmp_path)}
    base.pop("DJANGO_SETTINGS_MODULE", None)
    base.pop("SMS_LOG_FORMAT", None)

    def run(**env):
        return subprocess.run(  # noqa: S603 - fixed argv
            [sys.executable, "-c", code],
            cwd=BASE_DIR,
            env={**base, "DJANGO_SETTINGS_MODULE": "sms.settings", **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stderr.strip()

    production = run(DEBUG="0", ALLOWED_HOSTS="sms.example.org")
    development = run(DEBUG="1")

    entry = json.loads(production.splitlines()[-1])
    assert (entry["level"], entry["logger"], entry["message"]) == ("WARNING", "sms.demo", "hi")
    assert development.splitlines()[-1] == "hi"


# --- Into Celery tasks --------------------------------------------------------------------
def test_publish_puts_the_request_id_in_the_task_headers():
    headers, none = {}, {}
    token = request_id.request_id_var.set("req-publish")
    try:
        request_id.add_to_task_headers(headers=headers)
    finally:
        request_id.request_id_var.reset(token)
    request_id.add_to_task_headers(headers=none)

    assert headers == {request_id.CELERY_HEADER: "req-publish"}
    assert none == {}


def test_worker_adopts_the_request_id_for_the_task_and_forgets_it_after():
    task = SimpleNamespace(
        name="bulkio.apply_import", request=SimpleNamespace(sms_request_id="req-worker")
    )
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "m", (), None)

    request_id.adopt_for_task(task_id="t-1", task=task)
    RequestContextFilter().filter(record)
    during = (record.request_id, record.task, record.task_id)
    request_id.release_for_task(task_id="t-1")

    assert during == ("req-worker", "bulkio.apply_import", "t-1")
    assert request_id.current_request_id() == ""


def test_worker_ignores_an_unsafe_request_id_in_task_headers():
    unsafe = SimpleNamespace(headers={request_id.CELERY_HEADER: "x\ny"})
    task = SimpleNamespace(name="sms.ping", request=unsafe)

    request_id.adopt_for_task(task_id="t-2", task=task)
    during = request_id.current_request_id()
    request_id.release_for_task(task_id="t-2")

    assert during == ""


@pytest.mark.django_db(transaction=True)
def test_task_queued_by_a_request_logs_that_request_id(admin_api, json_log):
    # Committed as in production, so the task is queued (and, eager, run) in the request.
    response = admin_api.post(
        "/api/v1/exports/",
        {"resource": "students", "format": "csv"},
        format="json",
        HTTP_X_REQUEST_ID="req-export-1",
    )

    task_lines = [entry for entry in json_log.lines() if entry["logger"] == "celery.app.trace"]
    assert response.status_code == 202
    assert task_lines, "the export task logged nothing"
    assert {entry["request_id"] for entry in task_lines} == {"req-export-1"}
    assert {entry["task"] for entry in task_lines} == {"bulkio.run_export"}


@pytest.fixture
def worker(redis_url, tmp_path):
    queue = f"sms-test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "SMS_VAR_DIR": str(tmp_path),
        "SMS_LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DATABASE_URL", None)
    argv = [sys.executable, "-m", "celery", "-A", "sms", "worker", "-P", "solo", "-Q", queue]
    argv += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"]
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        argv, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    yield process, queue
    if process.poll() is None:
        process.kill()
        process.wait()


@pytest.mark.redis
def test_real_worker_logs_the_request_id_of_the_request_that_queued_the_task(worker, redis_url):
    process, queue = worker
    broker = celery_broker_url(redis_url)
    client_app = Celery("sms-test-client", broker=broker, backend=broker, set_as_current=False)
    client_app.conf.broker_connection_retry_on_startup = True
    token = request_id.request_id_var.set("req-from-web-7")
    try:
        result = client_app.send_task("sms.ping", queue=queue)
    finally:
        request_id.request_id_var.reset(token)

    try:
        answer = result.get(timeout=60)
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
        client_app.close()

    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    succeeded = [line for line in lines if "succeeded" in line["message"]]
    assert answer == "pong"
    assert succeeded, output
    assert succeeded[0]["request_id"] == "req-from-web-7"
    assert succeeded[0]["task"] == "sms.ping"
