"""A real Celery worker, started the way the run command starts it, answers ``sms.ping``
through a real Redis used as broker and result backend."""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery

pytestmark = pytest.mark.redis

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def queue() -> str:
    # A queue of its own, so nothing else using the same Redis can take the message.
    return f"sms-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def worker(redis_url: str, queue: str, tmp_path: Path) -> Iterator[subprocess.Popen]:
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "SMS_VAR_DIR": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DATABASE_URL", None)
    argv = [sys.executable, "-m", "celery", "-A", "sms", "worker", "-P", "solo", "-Q", queue]
    argv += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning"]
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        argv,
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def client_app(redis_url: str) -> Iterator[Celery]:
    app = Celery("sms-test-client", broker=redis_url, backend=redis_url, set_as_current=False)
    app.conf.broker_connection_retry_on_startup = True
    yield app
    app.close()


def test_celery_ping_round_trip_through_real_redis_returns_pong(worker, client_app, queue):
    result = client_app.send_task("sms.ping", queue=queue)

    try:
        answer = result.get(timeout=60)
    except Exception:
        worker.terminate()
        output = worker.communicate(timeout=15)[0]
        pytest.fail(f"no answer from the worker; its output:\n{output}")

    assert answer == "pong"
    assert result.successful()


def test_celery_worker_stops_cleanly_on_sigterm(worker, client_app, queue):
    assert client_app.send_task("sms.ping", queue=queue).get(timeout=60) == "pong"

    worker.terminate()
    output = worker.communicate(timeout=15)[0]

    assert worker.returncode == 0, output
