"""/metrics: who may read it, and the application's own metrics moving as users act."""

import os
import socket
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from apps.bulkio import export_jobs
from apps.bulkio.models import ExportJob
from apps.notifications import services
from sms.asgi import application
from sms.celery import app as celery_app
from sms.celery import ping
from sms.observability import metrics
from tests.bulkio.conftest import upload
from tests.factories import StudentUserFactory, TeacherFactory
from tests.observability.conftest import sample
from tests.support.livestack import free_port

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
OUTSIDER = "203.0.113.9"


def scraped(response) -> dict[tuple[str, tuple], float]:
    """The samples of a /metrics answer, by name and sorted labels."""
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for item in family.samples:
            samples[(item.name, tuple(sorted(item.labels.items())))] = item.value
    return samples


# --- Access ---------------------------------------------------------------------------------
def test_metrics_from_loopback_answer_prometheus_text(client):
    client.get("/accounts/login/")

    response = client.get("/metrics")

    samples = scraped(response)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert samples[("django_http_requests_total_by_method_total", (("method", "GET"),))] >= 1
    assert ("sms_websocket_connections", ()) in samples


def test_metrics_from_another_address_without_token_are_an_ordinary_404(client):
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDER)
    unknown = client.get("/no-such-page", REMOTE_ADDR=OUTSIDER)

    assert response.status_code == 404
    assert response.content == unknown.content.replace(b"no-such-page", b"metrics")
    assert b"sms_" not in response.content


def test_metrics_with_the_token_answer_from_any_address(client, settings):
    settings.SMS_METRICS_TOKEN = "s3cret-scrape-token"

    allowed = client.get(
        "/metrics", REMOTE_ADDR=OUTSIDER, HTTP_AUTHORIZATION="Bearer s3cret-scrape-token"
    )
    wrong = client.get("/metrics", REMOTE_ADDR=OUTSIDER, HTTP_AUTHORIZATION="Bearer guess")

    assert allowed.status_code == 200
    assert b"sms_websocket_connections" in allowed.content
    assert wrong.status_code == 404


def test_metrics_without_a_configured_token_refuse_an_empty_bearer(client, settings):
    settings.SMS_METRICS_TOKEN = ""

    response = client.get("/metrics", REMOTE_ADDR=OUTSIDER, HTTP_AUTHORIZATION="Bearer ")

    assert response.status_code == 404


def test_metrics_answer_an_address_of_an_allowed_network(client, settings):
    settings.SMS_METRICS_ALLOWED_IPS = ["10.0.0.0/8", "192.0.2.7"]

    inside = client.get("/metrics", REMOTE_ADDR="10.20.30.40")
    listed = client.get("/metrics", REMOTE_ADDR="192.0.2.7")
    outside = client.get("/metrics", REMOTE_ADDR="192.0.2.8")

    assert (inside.status_code, listed.status_code, outside.status_code) == (200, 200, 404)


def test_metrics_through_a_proxy_not_declared_are_not_taken_for_loopback(client):
    # nginx on the same machine connects from 127.0.0.1; without SMS_NUM_PROXIES the
    # forwarded address is unknown, so the request is not a local one.
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=OUTSIDER)

    assert response.status_code == 404


def test_metrics_behind_a_declared_proxy_judge_the_forwarded_address(client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    outsider = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=OUTSIDER)
    local = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert (outsider.status_code, local.status_code) == (404, 200)


def test_metrics_answer_a_scraper_by_ip_over_plain_http_in_production(client, settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["sms.example.org"]
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/metrics", HTTP_HOST="127.0.0.1:8000")

    assert response.status_code == 200


# --- The application's metrics --------------------------------------------------------------
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_metrics_websocket_gauge_follows_open_sockets():
    user = await sync_to_async(TeacherFactory)()
    client = Client()
    await sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    before = sample("sms_websocket_connections")
    socket = WebsocketCommunicator(
        application,
        "/ws/notifications/",
        headers=[(b"origin", b"http://testserver"), (b"cookie", cookie)],
    )

    await socket.connect()
    await socket.receive_json_from()
    while_open = sample("sms_websocket_connections")
    await socket.disconnect()

    assert while_open == before + 1
    assert sample("sms_websocket_connections") == before


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_metrics_websocket_refusal_is_counted_by_outcome():
    before = sample("sms_websocket_connects_total", outcome="unauthenticated")
    socket = WebsocketCommunicator(
        application, "/ws/notifications/", headers=[(b"origin", b"http://testserver")]
    )

    await socket.connect()
    await socket.receive_output()  # the close with 4401
    await socket.disconnect()

    assert sample("sms_websocket_connects_total", outcome="unauthenticated") == before + 1


def test_metrics_notification_delivery_is_observed_once_pushed(
    client, django_capture_on_commit_callbacks
):
    users = StudentUserFactory.create_batch(3)
    before = scraped(client.get("/metrics"))

    with django_capture_on_commit_callbacks(execute=True):
        services.notify(user_ids=[user.pk for user in users], kind="system", title="Hello")
    after = scraped(client.get("/metrics"))

    delivered = ("sms_notification_delivery_seconds_count", ())
    pushed = ("sms_notifications_pushed_total", ())
    assert after[delivered] == before[delivered] + 1  # one notice
    assert after[pushed] == before[pushed] + 3  # three rows
    assert after[("sms_notification_delivery_seconds_bucket", (("le", "1.0"),))] >= 1


def test_metrics_import_rows_and_job_durations_move_when_an_import_applies(
    admin_api, django_capture_on_commit_callbacks
):
    content = (
        "student_id,first_name,last_name,email\n"
        "M001,Anna,Alpha,anna@example.org\n"
        "M002,Babis,Beta,babis@example.org\n"
    )
    rows_before = sample("sms_import_rows_total", resource="students")
    speed_before = sample("sms_import_rows_per_second_count", resource="students")
    preview_before = sample("sms_job_duration_seconds_count", kind="import", step="preview")
    apply_before = sample("sms_job_duration_seconds_count", kind="import", step="apply")

    with django_capture_on_commit_callbacks(execute=True):
        job_id = upload(admin_api, "students", content).json()["id"]
        confirmed = admin_api.post(f"/api/v1/imports/{job_id}/confirm/")

    assert confirmed.json()["status"] == "applied"
    assert sample("sms_import_rows_total", resource="students") == rows_before + 2
    assert sample("sms_import_rows_per_second_count", resource="students") == speed_before + 1
    assert sample("sms_job_duration_seconds_count", kind="import", step="preview") == (
        preview_before + 1
    )
    assert sample("sms_job_duration_seconds_count", kind="import", step="apply") == (
        apply_before + 1
    )


def test_metrics_failed_export_is_counted(admin_user):
    job = ExportJob.objects.create(user=admin_user, resource="no-such-resource", format="csv")
    before = sample("sms_job_failures_total", kind="export", step="run")

    export_jobs.run_export(job.pk)

    job.refresh_from_db()
    assert job.status == "failed"
    assert sample("sms_job_failures_total", kind="export", step="run") == before + 1


def test_metrics_finished_export_duration_is_observed(admin_user):
    job = ExportJob.objects.create(user=admin_user, resource="students", format="csv")
    before = sample("sms_job_duration_seconds_count", kind="export", step="run")

    export_jobs.run_export(job.pk)

    job.refresh_from_db()
    assert job.status == "ready"
    assert sample("sms_job_duration_seconds_count", kind="export", step="run") == before + 1


@celery_app.task(name="tests.observability.boom")
def boom() -> None:
    raise ValueError("boom")


def test_metrics_celery_task_runs_and_failures_are_counted():
    runs_before = sample("sms_celery_task_duration_seconds_count", task="sms.ping")
    failures_before = sample("sms_celery_task_failures_total", task=boom.name)

    assert ping.delay().get() == "pong"
    # As a worker runs it (an eager task that propagates its error skips the signal).
    failed = boom.apply(throw=False)

    assert failed.failed()
    assert sample("sms_celery_task_duration_seconds_count", task="sms.ping") == runs_before + 1
    assert sample("sms_celery_task_failures_total", task=boom.name) == failures_before + 1


# --- Several processes ----------------------------------------------------------------------
RECORD = """
import django
django.setup()
from sms.observability import metrics
metrics.IMPORT_ROWS.labels(resource="grades").inc({rows})
metrics.WEBSOCKET_CONNECTIONS.inc()
"""
SCRAPE = """
from django.test import Client
print(Client().get("/metrics").content.decode())
"""


def _python(code: str, env: dict) -> str:
    done = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def test_metrics_of_several_processes_are_added_up_with_a_multiprocess_dir(tmp_path):
    folder = tmp_path / "prometheus"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "SMS_VAR_DIR": str(tmp_path / "var"),
    }

    _python(RECORD.format(rows=5), env)  # a process that has stopped since
    text = _python(RECORD.format(rows=7) + SCRAPE, env)  # one still running, scraped

    families = {family.name: family for family in text_string_to_metric_families(text)}
    rows = {s.labels.get("resource"): s.value for s in families["sms_import_rows"].samples}
    assert rows["grades"] == 12
    # The stopped process took its open socket with it; the running one still has one.
    assert [s.value for s in families["sms_websocket_connections"].samples] == [1]
    assert any(name.startswith("counter_") for name in os.listdir(folder))


# --- A worker's own endpoint (containers) ---------------------------------------------------
WORKER = """
import urllib.request
import django
django.setup()
from celery.signals import worker_ready
import sms.celery
from sms.observability import metrics
worker_ready.send(sender=None)  # as `celery worker` does once it consumes
metrics.IMPORT_ROWS.labels(resource="grades").inc({rows})
print(urllib.request.urlopen("http://127.0.0.1:{port}/metrics", timeout=10).read().decode())
"""


def test_metrics_worker_serves_every_pool_process_on_its_own_port(tmp_path):
    folder, port = tmp_path / "prometheus", free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "SMS_VAR_DIR": str(tmp_path / "var"),
        "SMS_WORKER_METRICS_PORT": str(port),
    }

    _python(RECORD.format(rows=5), env)  # a pool process that has stopped since
    text = _python(WORKER.format(rows=7, port=port), env)  # the worker, scraped on its port

    families = {family.name: family for family in text_string_to_metric_families(text)}
    rows = {s.labels.get("resource"): s.value for s in families["sms_import_rows"].samples}
    assert rows["grades"] == 12


def test_metrics_worker_endpoint_adds_up_the_multiprocess_folder(tmp_path, monkeypatch):
    folder, port = tmp_path / "prometheus", free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "SMS_VAR_DIR": str(tmp_path / "var"),
    }
    _python(RECORD.format(rows=3), env)  # a pool process's values, in the folder
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    monkeypatch.setenv("SMS_WORKER_METRICS_PORT", str(port))

    server = metrics.serve_worker_metrics()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
            text = answer.read().decode()
    finally:
        server.shutdown()
        server.server_close()

    families = {family.name: family for family in text_string_to_metric_families(text)}
    rows = {s.labels.get("resource"): s.value for s in families["sms_import_rows"].samples}
    assert rows["grades"] == 3


def test_metrics_worker_serves_nothing_unless_a_port_is_set(monkeypatch):
    monkeypatch.delenv("SMS_WORKER_METRICS_PORT", raising=False)

    assert metrics.serve_worker_metrics() is None


@pytest.mark.parametrize("taken", [True, False], ids=["port in use", "not a port"])
def test_metrics_worker_that_cannot_serve_logs_why_and_runs_on(monkeypatch, caplog, taken):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = str(holder.getsockname()[1]) if taken else "metrics"
        monkeypatch.setenv("SMS_WORKER_METRICS_PORT", port)

        server = metrics.serve_worker_metrics()

    assert server is None
    assert f"worker metrics not served on 127.0.0.1:{port}" in caplog.text


# --- Celery queue -------------------------------------------------------------------------
@pytest.mark.redis
def test_metrics_report_the_celery_queue_length_from_redis(client, settings, redis_url):
    import redis

    queue = f"sms-test-{uuid.uuid4().hex[:12]}"
    settings.REDIS_URL, settings.CELERY_TASK_DEFAULT_QUEUE = redis_url, queue
    settings.CELERY_TASK_ALWAYS_EAGER = False
    server = redis.Redis.from_url(redis_url)
    server.rpush(queue, "m1", "m2", "m3")
    try:
        samples = scraped(client.get("/metrics"))
    finally:
        server.delete(queue)
        server.close()

    assert samples[("sms_celery_queue_length", (("queue", queue),))] == 3


def test_metrics_still_answer_while_redis_is_away(client, settings, closed_port):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port}/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False

    response = client.get("/metrics")

    assert response.status_code == 200
    assert b"sms_celery_queue_length" not in response.content
    assert b"sms_websocket_connections" in response.content
