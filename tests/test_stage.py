"""The staged production shape (``scripts/stage``), brought up in a temporary folder.

Runs only when selected (``pytest -m stage``, or ``-m "stage or e2e"`` together with the
end-to-end scenarios on the same stack: ``tests/support/staged.py``): it installs what is
missing with apt-get, starts PostgreSQL, Redis, two daphne processes behind nginx, a
Celery worker and beat, and checks what a visitor and an operator would notice. The tests
that stop and start the stack run last, after every scenario.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sms.version import VERSION
from tests.support.staged import StagedStack, restarts_the_stack, shared_stack

pytestmark = pytest.mark.stage

HASHED = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
ONE_YEAR = 31_536_000


def selected(config: pytest.Config) -> bool:
    expression = config.option.markexpr or ""
    return "stage" in expression and "not stage" not in expression


def fetch(
    url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def stage_pids(stage: StagedStack) -> set[int]:
    """Every process of the stage: the pid files, PostgreSQL's, and their process groups."""
    leaders = {int(p.read_text().split()[0]) for p in (stage.dir / "run").glob("*.pid")}
    postmaster = stage.dir / "pg" / "data" / "postmaster.pid"
    if postmaster.exists():
        leaders.add(int(postmaster.read_text().split()[0]))
    ps = subprocess.run(
        ["ps", "-eo", "pid=,pgid=,ppid=,args="], capture_output=True, text=True, check=True
    )
    pids = set()
    for line in ps.stdout.splitlines():
        pid, pgid, ppid, args = line.split(None, 3)
        if {int(pgid), int(ppid), int(pid)} & leaders or str(stage.dir) in args:
            pids.add(int(pid))
    return pids


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for every purpose but its parent's bookkeeping.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


@pytest.fixture(scope="session")
def stage(request) -> StagedStack:
    """The session's staged stack, shared with the end-to-end scenarios."""
    if not selected(request.config):
        pytest.skip("brings up the whole stack: run with -m stage")
    return shared_stack(request)


@pytest.fixture(scope="session")
def member(stage) -> tuple[str, str]:
    """A user created through `scripts/stage manage`, as the end-to-end tests do (made
    while the stack is up: the tests that restart it run last)."""
    username, password = f"stage-{secrets.token_hex(3)}", secrets.token_urlsafe(16)
    stage.manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from apps.accounts.models import User; "
        f"User.objects.create_user(username={username!r}, password={password!r})",
    )
    return username, password


def test_stage_up_writes_the_environment_for_manage_py_and_prints_the_url(stage):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", stage.url)
    assert stage.env["DEBUG"] == "0"
    assert stage.env["DATABASE_URL"].startswith("postgres://")
    assert stage.env["SMS_SITE_URL"] == stage.url
    assert (stage.dir / "stage.env").stat().st_mode & 0o077 == 0
    assert (stage.dir / "secret_key").stat().st_mode & 0o777 == 0o600


def test_stage_hands_the_callers_email_settings_to_the_application(stage):
    code = (
        "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT)"
    )

    backend, host, port = stage.manage("shell", "-v", "0", "-c", code).split()

    assert backend == "django.core.mail.backends.smtp.EmailBackend"
    assert (host, port) == (stage.sink.host, str(stage.sink.port))


def test_stage_login_page_links_hashed_static_files_cached_for_a_year(stage):
    status, _, body = fetch(f"{stage.url}/accounts/login/")
    links = set(re.findall(r'(?:href|src)="(/static/[^"#]+)', body.decode()))

    assert status == 200
    assert links, "the login page links no static file"
    for link in links:
        assert HASHED.search(link), f"{link} has no content hash"
        status, headers, _ = fetch(stage.url + link)
        assert status == 200, link
        assert "immutable" in headers["Cache-Control"], link
        max_age = int(re.search(r"max-age=(\d+)", headers["Cache-Control"]).group(1))
        assert max_age >= ONE_YEAR, link


def test_stage_static_file_without_hash_is_revalidated(stage):
    status, headers, _ = fetch(f"{stage.url}/static/css/app.css")

    assert status == 200
    assert headers["Cache-Control"] == "no-cache"


def test_stage_debug_is_off_so_a_missing_page_is_a_plain_404(stage):
    status, _, body = fetch(f"{stage.url}/no-such-page/")

    assert status == 404
    assert b"URLconf" not in body and b"Traceback" not in body
    assert "False" in stage.manage(
        "shell", "-v", "0", "-c", "from django.conf import settings; print(settings.DEBUG)"
    )


def test_stage_health_answers_through_nginx_with_every_check_ok(stage):
    status, headers, body = fetch(f"{stage.url}/health/")

    answer = json.loads(body)
    assert status == 200, body
    assert answer["status"] == "ok"
    assert answer["version"] == VERSION
    # Redis and the cache are checked, not skipped: the stage runs with REDIS_URL.
    checks = {name: check["status"] for name, check in answer["checks"].items()}
    assert checks == {"database": "ok", "redis": "ok", "cache": "ok", "disk": "ok"}
    assert "no-cache" in headers["Cache-Control"]


def test_stage_health_celery_answers_while_the_worker_runs(stage):
    status, _, body = fetch(f"{stage.url}/health/celery/")

    answer = json.loads(body)
    assert status == 200, body
    assert answer["status"] == "ok"
    assert answer["checks"]["celery"]["status"] == "ok"


def test_stage_database_is_postgresql(stage):
    code = "from django.db import connection; print(connection.vendor)"

    vendor = stage.manage("shell", "-v", "0", "-c", code)

    assert vendor.strip() == "postgresql"


def test_stage_redis_persists_with_append_only_file(stage):
    import redis

    info = redis.Redis.from_url(stage.env["REDIS_URL"]).info("persistence")

    assert info["aof_enabled"] == 1


def test_stage_websocket_upgrade_through_nginx_reaches_daphne(stage, member):
    from websockets.sync.client import connect

    username, password = member
    status, _, body = fetch(
        f"{stage.url}/api/v1/auth/token/",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert status == 200, body
    token = json.loads(body)["access"]
    socket_url = stage.url.replace("http://", "ws://") + "/ws/notifications/"

    with connect(f"{socket_url}?token={token}", origin=stage.url, proxy=None) as socket:
        hello = json.loads(socket.recv(timeout=15))

    assert hello == {"type": "hello", "unread_count": 0}


def test_stage_websocket_without_login_is_closed_with_4401(stage):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    socket_url = stage.url.replace("http://", "ws://") + "/ws/notifications/"

    with (
        connect(socket_url, origin=stage.url, proxy=None) as socket,
        pytest.raises(ConnectionClosed) as closed,
    ):
        socket.recv(timeout=15)

    assert closed.value.rcvd.code == 4401


def test_stage_forged_forwarded_for_does_not_reach_the_app(stage):
    username = f"ghost-{secrets.token_hex(3)}"
    body = json.dumps({"username": username, "password": "wrong"}).encode()
    headers = {"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"}

    for _ in range(5):
        fetch(f"{stage.url}/api/v1/auth/token/", data=body, headers=headers)
    lockouts = stage.manage("clear_lockouts", "--list")

    # The lockout is charged to the address nginx saw, not the one the client wrote.
    line = next(line for line in lockouts.splitlines() if line.startswith(username))
    assert line.split("\t")[1] == "127.0.0.1"
    assert "203.0.113.9" not in lockouts


def test_stage_status_lists_every_process_running(stage):
    result = stage.run("status")

    assert result.returncode == 0, result.stdout + result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines()[:-1]]
    assert names == ["postgres", "nginx", "web1", "web2", "worker", "beat", "redis"]
    assert "stopped" not in result.stdout


@restarts_the_stack
def test_stage_up_when_already_up_says_so(stage):
    result = stage.run("up")

    assert result.returncode == 0
    assert "already up" in result.stderr
    assert result.stdout.strip() == stage.url


@restarts_the_stack
def test_stage_down_stops_every_process(stage):
    pids = stage_pids(stage)
    started = time.monotonic()

    result = stage.run("down", timeout=120)

    print(f"scripts/stage down: {time.monotonic() - started:.1f} s")
    assert result.returncode == 0, result.stderr
    assert len(pids) >= 7
    assert not [pid for pid in pids if alive(pid)]
    assert stage.run("status").returncode == 3
    assert stage.run("down").returncode == 0  # idempotent


@restarts_the_stack
def test_stage_up_after_down_keeps_the_data(stage, member):
    result = stage.run("up", "--web", "2")

    assert result.returncode == 0, result.stdout + result.stderr
    stage.read_env()
    count = stage.manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from apps.accounts.models import User; "
        f"print(User.objects.filter(username={member[0]!r}).count())",
    )
    assert count.strip() == "1"
