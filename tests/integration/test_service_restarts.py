"""Restart the real services under a running site: nothing lost, nothing to restart.

The short versions of ``benchmarks/faults_services.py`` (docs/benchmarks.md, "Faults:
Redis and PostgreSQL restarts"): a redis-server and a PostgreSQL of the test's own,
stopped and started again while daphne keeps running.
"""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

from tests.integration.conftest import missing_service
from tests.support import livestack
from tests.support.restartable import PostgresServer, RedisServer

CLIENTS = 50


def _redis_server(workdir: Path) -> RedisServer:
    if shutil.which("redis-server") is None:
        missing_service("redis-server is not installed")
    server = RedisServer(workdir, livestack.free_port())
    server.start()
    return server


SHELL = """
import json, sys
import django
django.setup()
from apps.accounts.models import User
from apps.notifications.services import notify
from rest_framework_simplejwt.tokens import AccessToken
for line in sys.stdin:
    command = json.loads(line)
    if "users" in command:
        User.objects.bulk_create(
            [User(username=f"restart{i}", role="student", password="!")
             for i in range(command["users"])]
        )
        answer = [[u.pk, str(AccessToken.for_user(u))] for u in User.objects.order_by("pk")]
    else:
        answer = [n.pk for n in notify(user_ids=command["notify"], kind="system", title="t")]
    print(json.dumps(answer), flush=True)
"""


class SiteShell:
    """One Python process set up against the site for the test's writes: Django starts
    once (seconds on a busy machine) instead of once per write."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", SHELL],
            env=env,
            cwd=livestack.BASE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, **command) -> list:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(30)


async def _listen(socket, received: list[int]) -> None:
    async for raw in socket:
        message = json.loads(raw)
        if message.get("type") == "notification":
            received.append(message["notification"]["id"])


async def _until(condition, timeout: float = 30) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition() and loop.time() < deadline:
        await asyncio.sleep(0.1)
    return condition()


def _subscriptions(url: str) -> int:
    import redis

    try:
        with redis.Redis.from_url(url, socket_timeout=2) as client:
            return len(client.pubsub_channels())
    except redis.RedisError:
        return 0


@pytest.mark.redis
@pytest.mark.asyncio
async def test_redis_restart_with_sockets_open_loses_no_notification(tmp_path):
    redis = _redis_server(tmp_path / "redis")
    env = livestack.site_env(tmp_path, redis.url)
    shell, webs = SiteShell(env), []
    try:
        await asyncio.to_thread(livestack.migrate, env)
        users = await asyncio.to_thread(shell.ask, users=CLIENTS)
        ports = [livestack.free_port(), livestack.free_port()]
        webs = await asyncio.gather(
            *(asyncio.to_thread(livestack.start_daphne, env, port) for port in ports)
        )
        sockets = [
            socket
            for index, port in enumerate(ports)
            for socket, _hello in await livestack.ws_open_many(
                port, [token for _pk, token in users[index::2]]
            )
        ]
        received = {id(socket): [] for socket in sockets}
        listeners = [asyncio.create_task(_listen(s, received[id(s)])) for s in sockets]
        everyone = [pk for pk, _token in users]

        up = await asyncio.to_thread(shell.ask, notify=everyone)
        assert await _until(lambda: all(len(ids) == 1 for ids in received.values()))
        subscribed = _subscriptions(redis.url)
        redis.stop()
        during = await asyncio.to_thread(shell.ask, notify=everyone)
        redis.start()
        assert await _until(lambda: _subscriptions(redis.url) >= subscribed)
        after = await asyncio.to_thread(shell.ask, notify=everyone)
        assert await _until(lambda: all(len(ids) >= 3 for ids in received.values()))

        batches = (set(up), set(during), set(after))
        assert all(  # each socket: its own row of each batch, in order
            len(ids) == 3 and all(pk in batch for pk, batch in zip(ids, batches, strict=True))
            for ids in received.values()
        )
        assert all(socket.close_code is None for socket in sockets)  # never dropped
        for task in listeners:
            task.cancel()
        await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    finally:
        shell.close()
        for web in webs:
            livestack.stop(web)
        redis.stop()


# --- PostgreSQL ---------------------------------------------------------------------------
CREATE_ADMIN = """
import json
from apps.accounts.models import User
from rest_framework_simplejwt.tokens import AccessToken
user = User.objects.create(username="restart-admin", role="admin", password="!")
print(json.dumps(str(AccessToken.for_user(user))))
"""


def _copy_test_database(target: PostgresServer, workdir: Path) -> None:
    """The migrated test database into the cluster of our own (faster than migrating)."""
    source = connection.settings_dict
    dump = workdir / "schema.sql"
    with open(dump, "wb") as handle:
        subprocess.run(
            [str(target.bindir / "pg_dump"), "--no-owner", "--no-privileges"]
            + ["-h", source["HOST"], "-p", str(source["PORT"]), "-U", source["USER"]]
            + [source["NAME"]],
            stdout=handle,
            check=True,
            timeout=120,
            env={**os.environ, "PGPASSWORD": source.get("PASSWORD") or ""},
        )
    subprocess.run(
        [str(target.bindir / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-f", str(dump)]
        + ["-h", "127.0.0.1", "-p", str(target.port), "-U", "postgres", "sms"],
        check=True,
        timeout=120,
        stdout=subprocess.DEVNULL,
    )


def _get(port: int, token: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/notifications/unread-count/",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - loopback
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def workdir():
    """A folder the postgres user can enter (pytest's own are private to this user)."""
    with tempfile.TemporaryDirectory(prefix="sms-restart-") as folder:
        Path(folder).chmod(0o755)
        yield Path(folder)


@dataclass
class OwnSite:
    """A daphne over a PostgreSQL cluster of the test's own, with an admin's token."""

    postgres: PostgresServer
    web: subprocess.Popen
    port: int
    token: str

    def get(self) -> int:
        return _get(self.port, self.token)


@contextmanager
def own_site(workdir: Path, **env: str) -> Iterator[OwnSite]:
    """The migrated test database copied into a fresh cluster, and daphne serving it."""
    bindir = PostgresServer.find_bindir()
    if bindir is None or not (bindir / "initdb").exists():
        missing_service("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    postgres = PostgresServer(workdir / "pg", livestack.free_port())
    web = None
    try:
        postgres.init()
        _copy_test_database(postgres, workdir)
        site_env = livestack.site_env(workdir, "", DATABASE_URL=postgres.url, **env)
        token = livestack.run_python(site_env, CREATE_ADMIN)
        port = livestack.free_port()
        web = livestack.start_daphne(site_env, port)
        site = OwnSite(postgres, web, port, token)
        assert site.get() == 200
        yield site
    finally:
        livestack.stop(web)
        postgres.stop("immediate", check=False)


@pytest.mark.postgres
def test_postgres_restart_fails_requests_only_while_it_is_down(postgres_db, workdir):
    with own_site(workdir) as site:
        site.postgres.stop("fast")
        during = site.get()
        site.postgres.start()
        after = site.get()

        # Answered with Retry-After once the pool has waited DB_POOL_TIMEOUT (3 s) for a
        # connection: not hung, not a 500.
        assert during == 503
        assert after == 200
        assert site.web.poll() is None  # the same web process, not restarted


def _sessions_opened(postgres: PostgresServer) -> int:
    """How many sessions PostgreSQL has started on the site's database so far."""
    output = subprocess.run(
        [str(postgres.bindir / "psql"), "-tA", "-h", "127.0.0.1", "-p", str(postgres.port)]
        + ["-U", "postgres", "-d", "postgres", "-c"]
        + ["SELECT sessions FROM pg_stat_database WHERE datname = 'sms'"],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return int(output.stdout.strip())


@pytest.mark.postgres
@pytest.mark.parametrize(("pool_size", "pooled"), [("25", True), ("0", False)])
def test_web_process_reuses_its_database_connections(postgres_db, workdir, pool_size, pooled):
    with own_site(workdir, DB_POOL_SIZE=pool_size) as site:
        before = _sessions_opened(site.postgres)

        answers = [site.get() for _ in range(30)]

        opened = _sessions_opened(site.postgres) - before
        assert answers == [200] * 30
        if pooled:
            assert opened <= 2  # the pool's own, at most: none per request
        else:
            assert opened >= 30  # DB_POOL_SIZE=0: one per request, as before the pool
