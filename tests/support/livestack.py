"""Start real processes (redis-server, daphne) against a throw-away site, for the
integration tests and the WebSocket load benchmark. Nothing here runs in production.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SECRET = "livestack-secret-key-for-tests-only-0123456789"  # noqa: S105 - throw-away site


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port} after {timeout}s")


def site_env(var_dir: Path, redis_url: str, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="sms.settings",
        SMS_VAR_DIR=str(var_dir),
        REDIS_URL=redis_url,
        SECRET_KEY=SECRET,
        DEBUG="true",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(BASE_DIR),
        SMS_THROTTLE_USER="1000000/minute",
        SMS_THROTTLE_ANON="1000000/minute",
        # Its own keys and channel groups in the Redis the tests share: its user 1 is not
        # the user 1 of a test running beside it.
        CACHE_KEY_PREFIX=f"live-{uuid.uuid4().hex[:12]}",
    )
    env.update(extra)
    return env


def run_python(env: dict[str, str], code: str, timeout: float = 300) -> object:
    """Run ``code`` with Django set up against the site; it prints one JSON value."""
    script = "import django; django.setup()\n" + code
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"site script failed:\n{result.stderr[-4000:]}")
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return json.loads(lines[-1]) if lines else None


def migrate(env: dict[str, str]) -> None:
    """Bring the site's database to the latest migration.

    A site on the default SQLite file gets a copy of a database migrated once per set of
    migrations (10 s saved per site); PostgreSQL sites migrate for real.
    """
    if env.get("DATABASE_URL"):
        _run_migrate(env)
        return
    target = Path(env["SMS_VAR_DIR"]) / "sms.sqlite3"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_migrated_sqlite(env), target)


def _run_migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--skip-checks", "-v", "0"],
        env=env,
        cwd=BASE_DIR,
        check=True,
        timeout=600,
    )


def _migrated_sqlite(env: dict[str, str]) -> Path:
    digest = hashlib.sha256()
    # The app's migrations and the pinned packages (whose own migrations come with them).
    for path in [*sorted(BASE_DIR.glob("apps/*/migrations/*.py")), BASE_DIR / "requirements.txt"]:
        digest.update(path.name.encode() + path.read_bytes())
    template = Path(tempfile.gettempdir()) / f"sms-migrated-{digest.hexdigest()[:16]}.sqlite3"
    if not template.exists():
        # Built aside and renamed into place: parallel test processes never see half of it.
        with tempfile.TemporaryDirectory() as scratch:
            _run_migrate({**env, "SMS_VAR_DIR": scratch})
            os.replace(Path(scratch) / "sms.sqlite3", template)
    return template


CREATE_USERS = """
import json
from apps.accounts.models import User
from rest_framework_simplejwt.tokens import AccessToken
count, prefix, role = {count}, {prefix!r}, {role!r}
existing = set(User.objects.filter(username__startswith=prefix).values_list("username", flat=True))
User.objects.bulk_create(
    [User(username=f"{{prefix}}{{i}}", role=role, email=f"{{prefix}}{{i}}@example.org",
          password="!") for i in range(count) if f"{{prefix}}{{i}}" not in existing]
)
users = list(User.objects.filter(username__startswith=prefix).order_by("id")[:count])
print(json.dumps([[u.pk, str(AccessToken.for_user(u))] for u in users]))
"""


def create_users(env: dict[str, str], count: int, prefix: str = "load", role: str = "student"):
    """[(user_id, access_token)] for ``count`` users (created once, reused)."""
    return run_python(env, CREATE_USERS.format(count=count, prefix=prefix, role=role))


def start_daphne(env: dict[str, str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "sms.asgi:application",
        ],
        env=env,
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        wait_for_port(port)
    except TimeoutError:
        process.kill()
        raise
    return process


def start_redis(port: int, workdir: Path) -> subprocess.Popen:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    process = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return process


def stop(process: subprocess.Popen | None, timeout: float = 10) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


async def ws_open(port: int, token: str, timeout: float = 30.0):
    """A real WebSocket client on ``ws/notifications/``; returns (socket, hello)."""
    from websockets.asyncio.client import connect

    socket = await connect(
        f"ws://127.0.0.1:{port}/ws/notifications/?token={token}",
        origin=f"http://127.0.0.1:{port}",
        open_timeout=timeout,
        ping_interval=None,
        compression=None,
        proxy=None,
    )
    hello = json.loads(await socket.recv())
    return socket, hello


async def ws_open_many(port: int, tokens: list[str], concurrency: int = 50):
    """Open many clients, at most ``concurrency`` handshakes in flight (daphne's listen
    backlog is 50, like a browser fleet reconnecting with jitter)."""
    import asyncio

    gate = asyncio.Semaphore(concurrency)

    async def one(token):
        async with gate:
            return await ws_open(port, token)

    return await asyncio.gather(*(one(token) for token in tokens))


async def ws_next(socket, kind: str, timeout: float = 10.0) -> dict:
    """The next server message of one type (skipping others)."""
    import asyncio

    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no {kind} message within {timeout}s")
        message = json.loads(await asyncio.wait_for(socket.recv(), remaining))
        if message.get("type") == kind:
            return message


NOTIFY = """
import json
from apps.accounts.models import User
from apps.notifications.services import notify
users = list(User.objects.filter(pk__in={user_ids}))
created = notify(user_ids=[u.pk for u in users], kind={kind!r}, title={title!r})
print(json.dumps([n.pk for n in created]))
"""


def notify_in_process(env: dict[str, str], user_ids: list[int], title: str, kind: str = "system"):
    """Create notifications from a separate process (another 'session'); returns their ids."""
    return run_python(env, NOTIFY.format(user_ids=list(user_ids), kind=kind, title=title))
