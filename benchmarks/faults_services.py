"""Fault benchmarks with real services, on loopback and bounded in count and time.

``redis``: a Redis with append-only persistence (the production shape), a throw-away site
(SQLite, or ``--database-url``), two daphne processes and N WebSocket clients that behave
like ``static/js/notifications.js`` (``resume`` after ``hello``, drop ids it has seen,
reconnect with backoff and jitter). A separate process sends targeted notifications at a
steady rate plus a broadcast to everyone every few seconds; mid-run Redis is stopped
(SIGTERM, or SIGKILL with ``--kill``) and started again on the same port; at the end every
client sends the ``resume`` the browser sends every fourth heartbeat. Measured: how many
sockets the outage closed and how long until all were back, when the web processes
listened on Redis again, and per notification created whether the client showed it (and
how long after ``notify()``), showed it twice, or never.

``postgres``: a PostgreSQL of its own, two web processes sharing one listening socket (as
the run command starts them), a bounded pool of threads reading and writing the API;
mid-run PostgreSQL is stopped (``pg_ctl stop -m fast``) and started again. Measured:
errors and their time window against the outage, p95 before and after, and that requests
succeed again without restarting the web processes.

    .venv/bin/python benchmarks/faults_services.py --scenario redis --clients 1000 [--kill]
    .venv/bin/python benchmarks/faults_services.py --scenario postgres [--down 0] \
        [--conn-max-age 60]

``FAULTS_KEEP_LOGS=1`` keeps the throw-away site with the servers' logs.

Figures are recorded in docs/benchmarks.md ("Faults: Redis and PostgreSQL restarts").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sms.runstack import listening_socket, web_specs  # noqa: E402
from tests.support import livestack  # noqa: E402
from tests.support.restartable import PostgresServer, RedisServer  # noqa: E402


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --- Scenario 1: Redis restart with WebSocket clients -------------------------------------
SENDER = """
import json, logging, random, time
from apps.notifications.services import notify
from channels.layers import get_channel_layer
ids, seconds, rate, every = {user_ids}, {seconds}, {rate}, {broadcast_every}
failed, slow = [], []
class PushFailures(logging.Handler):
    def emit(self, record):
        if record.getMessage().startswith("Notification push failed"):
            failed.append(time.time())
logging.getLogger("apps.notifications.services").addHandler(PushFailures())
get_channel_layer()  # loaded once per process, as in a web process or worker
print("sending", flush=True)
rows, start, sent, next_broadcast = [], time.time(), 0, every
while time.time() - start < seconds:
    due = start + sent / rate
    if due > time.time():
        time.sleep(due - time.time())
    began = time.time()
    broadcast = began - start >= next_broadcast
    if broadcast:
        created = notify(user_ids=ids, kind="broadcast", title="everyone")
        next_broadcast += every
    else:
        created = notify(user_ids=[random.choice(ids)], kind="system", title="one")
    done = time.time()
    slow.append(done - began)
    rows.extend([n.pk, n.recipient_id, began, broadcast] for n in created)
    sent += 1
slow.sort()
print(json.dumps({{"rows": rows, "push_failed": failed, "notify_max": slow[-1],
                  "notify_p50": slow[len(slow) // 2], "calls": sent}}))
"""


@dataclass
class BrowserClient:
    """What notifications.js does with a socket, minus the page: resume after hello, show
    each notification whose id is above the last one seen, reconnect with backoff."""

    user_id: int
    token: str
    port: int
    last_id: int = 0
    shown: dict[int, float] = field(default_factory=dict)  # id -> when the client showed it
    frames: dict[int, float] = field(default_factory=dict)  # id -> first frame that carried it
    ignored: int = 0  # notification frames dropped as "already seen"
    opened: list[float] = field(default_factory=list)  # each hello
    closed: list[tuple[float, int | None]] = field(default_factory=list)
    failed_connects: int = 0
    socket: object = None

    async def run(self) -> None:
        from websockets.asyncio.client import connect

        attempts = 0
        while True:
            try:
                self.socket = await connect(
                    f"ws://127.0.0.1:{self.port}/ws/notifications/?token={self.token}",
                    origin=f"http://127.0.0.1:{self.port}",
                    open_timeout=30,
                    ping_interval=None,
                    compression=None,
                    proxy=None,
                )
                attempts = 0  # the browser resets its backoff on open
                async for raw in self.socket:
                    await self.on_message(json.loads(raw))
            except asyncio.CancelledError:
                raise
            except Exception:  # refused, reset, or closed abnormally: try again later
                self.failed_connects += self.socket is None
            if self.socket is not None:
                self.closed.append((time.time(), self.socket.close_code))
                if self.socket.close_code == 4401:
                    return
            self.socket = None
            base = min(60.0, 2.0**attempts)
            attempts += 1
            await asyncio.sleep(base / 2 + random.random() * base / 2)

    async def on_message(self, message: dict) -> None:
        if message.get("type") == "hello":
            self.opened.append(time.time())
            await self.resume()
        elif message.get("type") == "notification":
            now, notification_id = time.time(), message["notification"]["id"]
            self.frames.setdefault(notification_id, now)
            if notification_id <= self.last_id:
                self.ignored += 1
                return
            self.last_id = notification_id
            self.shown[notification_id] = now

    async def resume(self) -> None:
        if self.socket is not None:
            await self.socket.send(json.dumps({"action": "resume", "after_id": self.last_id}))


async def _connect_all(clients: list[BrowserClient], limit: float) -> list[asyncio.Task]:
    """Start every client, with at most 50 handshakes (up to ``hello``) in flight."""
    tasks, deadline = [], time.monotonic() + limit
    for client in clients:
        while len(tasks) - sum(1 for c in clients if c.opened) >= 50:
            if time.monotonic() > deadline:
                raise SystemExit("clients did not connect in time")
            await asyncio.sleep(0.01)
        tasks.append(asyncio.create_task(client.run()))
    while not all(c.opened for c in clients) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return tasks


def _subscribed(url: str) -> int:
    """Channels and groups the web processes listen to on this Redis (0 if unreachable)."""
    import redis

    try:
        with redis.Redis.from_url(url, socket_timeout=2) as client:
            return len(client.pubsub_channels())
    except redis.RedisError:
        return 0


async def _restart_redis(redis: RedisServer, kill: bool, down: float, expected: int) -> dict:
    """Stop Redis, keep it down, start it; then wait (bounded) until the web processes
    have subscribed to every socket's channel and groups on the new server again."""
    stopped = time.time()
    await asyncio.to_thread(redis.stop, kill)
    await asyncio.sleep(down)
    await asyncio.to_thread(redis.start)
    back = time.time()
    subscribed = 0
    while time.time() - back < 60:
        subscribed = await asyncio.to_thread(_subscribed, redis.url)
        if subscribed >= expected:
            break
        await asyncio.sleep(0.1)
    return {
        "stopped": stopped,
        "back": back,
        "resubscribed_s": time.time() - back,
        "subscribed": subscribed,
        "expected": expected,
    }


async def redis_restart_with_clients(
    *,
    clients: int = 1000,
    web_processes: int = 2,
    seconds: float = 30,
    rate: float = 20,
    broadcast_every: float = 8,
    restart_after: float = 10,
    down: float = 3,
    kill: bool = False,
    database_url: str = "",
) -> dict:
    """Restart Redis under ``clients`` sockets while notifications are sent; the figures."""
    var_dir = Path(tempfile.mkdtemp(prefix="faults-redis-"))
    redis = RedisServer(var_dir / "redis", livestack.free_port())
    redis.start()
    extra = {"DATABASE_URL": database_url} if database_url else {}
    env = livestack.site_env(var_dir, redis.url, **extra)
    servers = []
    try:
        print(f"site in {var_dir}; Redis {redis.url} (appendonly yes)", flush=True)
        livestack.migrate(env)
        users = livestack.create_users(env, clients, prefix="fault")
        ports = [livestack.free_port() for _ in range(web_processes)]
        for n, port in enumerate(ports):
            servers.append(_start_daphne(env, port, var_dir / f"web{n}.log"))
        figures = await _drive_redis_run(
            env, users, ports, redis, seconds, rate, broadcast_every, restart_after, down, kill
        )
    finally:
        for server in servers:
            livestack.stop(server)
        redis.stop()
    figures["logs"] = _log_counts(var_dir)
    _clean_up(var_dir)
    return figures


def _clean_up(var_dir: Path) -> None:
    if os.environ.get("FAULTS_KEEP_LOGS"):
        print(f"logs kept in {var_dir}")
    else:
        shutil.rmtree(var_dir, ignore_errors=True)


def _start_daphne(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    """daphne with its log in a file: a pipe nobody reads would fill up during an outage
    (a warning per refused socket) and block the server."""
    with open(log, "w") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
            + ["sms.asgi:application"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=handle,
            start_new_session=True,
        )
    livestack.wait_for_port(port)
    return process


def _log_counts(var_dir: Path) -> dict[str, int]:
    """Known warnings and errors in the web processes' and the sender's logs."""
    text = "".join(path.read_text(errors="replace") for path in var_dir.glob("*.log"))
    needles = (
        "Exception inside application",
        "group_add failed",
        "group_discard failed",
        "Unexpected exception in receive task",
        "Notification push failed",
        "took too long to shut down",
    )
    return {needle: text.count(needle) for needle in needles}


async def _drive_redis_run(env, users, ports, redis, seconds, rate, every, after, down, kill):
    clients = [
        BrowserClient(pk, token, ports[i % len(ports)]) for i, (pk, token) in enumerate(users)
    ]
    load_average = os.getloadavg()[0]
    started = time.perf_counter()
    tasks = await _connect_all(clients, limit=300)
    connect_s = time.perf_counter() - started
    print(f"{sum(1 for c in clients if c.opened)}/{len(clients)} connected in {connect_s:.1f}s")
    script = "import django; django.setup()\n" + SENDER.format(
        user_ids=[c.user_id for c in clients], seconds=seconds, rate=rate, broadcast_every=every
    )
    with open(Path(env["SMS_VAR_DIR"]) / "sender.log", "w") as log:
        sender = await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=log
        )
    await sender.stdout.readline()  # "sending": Django is set up, the clock starts
    # Each socket: its own channel and user.<id>; one role.<name> per role.
    expected = await asyncio.to_thread(_subscribed, redis.url)
    await asyncio.sleep(after)
    restart = await _restart_redis(redis, kill, down, expected)
    stopped, back = restart["stopped"], restart["back"]
    print(f"Redis {'killed' if kill else 'stopped'}, up again after {back - stopped:.1f}s")
    output, _ = await sender.communicate()
    if sender.returncode != 0:
        raise SystemExit("the sender failed")
    sent = json.loads(output.decode().strip().splitlines()[-1])
    await asyncio.sleep(5)  # pushes in flight, resumes after late reconnects
    before_sweep = _deliveries(clients, sent["rows"])
    for client in clients:  # the browser's periodic resume (every fourth heartbeat, 100 s)
        await client.resume()
    await asyncio.sleep(5)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.gather(*(c.socket.close() for c in clients if c.socket), return_exceptions=True)
    return {
        "clients": len(clients),
        "connect_s": connect_s,
        "load_average_before_after": (load_average, os.getloadavg()[0]),
        **restart,
        "sender": {k: v for k, v in sent.items() if k != "rows"},
        "reconnect": _reconnects(clients, stopped, back),
        "before_sweep": before_sweep,
        "after_sweep": _deliveries(clients, sent["rows"]),
        "phases": _by_phase(clients, sent["rows"], stopped, back),
    }


def _reconnects(clients: list[BrowserClient], stopped: float, back: float) -> dict:
    dropped = [c for c in clients if any(t >= stopped for t, _code in c.closed)]
    codes = Counter(code for c in clients for t, code in c.closed if t >= stopped)
    returned = [min((t for t in c.opened if t > stopped), default=None) for c in dropped]
    times = [t - back for t in returned if t is not None]
    return {
        "closed": len(dropped),
        "close_codes": dict(codes),
        "reconnected": len(times),
        "all_back_after_s": max(times, default=0.0),
        "p50_back_after_s": pct(times, 50),
        "failed_connects": sum(c.failed_connects for c in clients),
        "connected_at_end": sum(1 for c in clients if c.socket is not None),
    }


def _deliveries(clients: list[BrowserClient], rows: list) -> dict:
    """Per notification created: shown by the client, or why not; delays from notify()."""
    by_user = {c.user_id: c for c in clients}
    shown = [(row, by_user[row[1]].shown.get(row[0])) for row in rows]
    framed = sum(1 for pk, user_id, *_rest in rows if pk in by_user[user_id].frames)
    figures = {
        "created": len(rows),
        "shown": sum(1 for _row, at in shown if at is not None),
        "lost": sum(1 for _row, at in shown if at is None),
        "never_sent": len(rows) - framed,  # no frame at all: neither pushed nor replayed
        "dropped_as_seen": framed - sum(1 for _row, at in shown if at is not None),
        "duplicates_ignored": sum(c.ignored for c in clients),
    }
    for kind, broadcast in (("targeted", False), ("broadcast", True)):
        delays = [at - row[2] for row, at in shown if at is not None and row[3] == broadcast]
        figures[kind] = {"n": len(delays)}
        if delays:
            figures[kind].update(
                p50_ms=round(pct(delays, 50) * 1000),
                p99_ms=round(pct(delays, 99) * 1000),
                max_ms=round(max(delays) * 1000),
            )
    return figures


def _by_phase(clients: list[BrowserClient], rows: list, stopped: float, back: float) -> dict:
    phases = {"before": [], "during": [], "after": []}
    for row in rows:
        created = row[2]
        phase = "before" if created < stopped else "during" if created < back else "after"
        phases[phase].append(row)
    return {name: _deliveries(clients, part) for name, part in phases.items()}


def _delivery_line(name: str, figures: dict) -> str:
    delays = "; ".join(
        f"{kind} n={d['n']} p50 {d['p50_ms']} p99 {d['p99_ms']} max {d['max_ms']} ms"
        for kind, d in ((k, figures[k]) for k in ("targeted", "broadcast"))
        if d["n"]
    )
    return (
        f"  {name:<28} created {figures['created']:>5}  shown {figures['shown']:>5}  "
        f"lost {figures['lost']} (no frame {figures['never_sent']}, "
        f"dropped as seen {figures['dropped_as_seen']})  {delays}"
    )


def print_redis(figures: dict, kill: bool) -> None:
    sender, reconnect = figures["sender"], figures["reconnect"]
    print(f"\n== Redis {'SIGKILL' if kill else 'SIGTERM'} + start, {figures['clients']} clients")
    print(
        f"outage {figures['back'] - figures['stopped']:.1f} s; sender {sender['calls']} "
        f"notify() calls, {len(sender['push_failed'])} push failures logged, notify() p50 "
        f"{sender['notify_p50'] * 1000:.0f} ms, max {sender['notify_max']:.2f} s"
    )
    print(f"load average (1 min) before / after: {figures['load_average_before_after']}")
    print(f"sockets: {json.dumps(reconnect)}")
    print(
        f"web processes listening again {figures['resubscribed_s']:.1f} s after Redis is back "
        f"({figures['subscribed']}/{figures['expected']} channels and groups)"
    )
    for name in ("before", "during", "after"):
        print(_delivery_line(f"created {name} the outage", figures["phases"][name]))
    print(_delivery_line("all, before periodic resume", figures["before_sweep"]))
    print(_delivery_line("all, after periodic resume", figures["after_sweep"]))
    print(f"duplicates the client ignored: {figures['after_sweep']['duplicates_ignored']}")
    print(f"log lines (web processes and sender): {json.dumps(figures['logs'])}")


# --- Scenario 2: PostgreSQL restart under API load ----------------------------------------
ADMIN_TOKEN = """
import json
from apps.accounts.models import User
from apps.academics.models import Student
from rest_framework_simplejwt.tokens import AccessToken
admin = User.objects.get(username="admin")
ids = list(Student.objects.values_list("pk", flat=True)[:200])
print(json.dumps([str(AccessToken.for_user(admin)), ids]))
"""


@dataclass(frozen=True)
class Outcome:
    started: float
    finished: float
    status: int  # 0: no HTTP answer (refused, reset, timed out)
    name: str
    error: str = ""


class ApiLoad:
    """``threads`` clients in a loop over list, detail and write requests, each request
    bounded by a timeout; every outcome is kept with its start and end time."""

    def __init__(self, base: str, token: str, student_ids: list[int], threads: int) -> None:
        self.base, self.token, self.student_ids, self.threads = base, token, student_ids, threads
        self.outcomes: list[Outcome] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def request(self, session) -> Outcome:
        choice = random.random()
        if choice < 0.35:
            name, method, path = "students list", "GET", "/api/v1/students/?page=1"
        elif choice < 0.7:
            name, method = "students/{id}", "GET"
            path = f"/api/v1/students/{random.choice(self.student_ids)}/"
        elif choice < 0.9:
            name, method, path = "courses list", "GET", "/api/v1/courses/"
        else:  # a write: marks every notification read (an UPDATE, usually of none)
            name, method, path = "read-all", "POST", "/api/v1/notifications/read-all/"
        started = time.time()
        try:
            response = session.request(method, self.base + path, timeout=10, allow_redirects=False)
        except Exception as error:  # no answer: counted with the exception's name
            return Outcome(started, time.time(), 0, name, type(error).__name__)
        return Outcome(started, time.time(), response.status_code, name)

    def worker(self) -> None:
        import requests

        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {self.token}"
            while not self.stop.is_set():
                outcome = self.request(session)
                with self.lock:
                    self.outcomes.append(outcome)
                time.sleep(0.05)

    def run_for(self, seconds: float, during=None) -> None:
        workers = [threading.Thread(target=self.worker, daemon=True) for _ in range(self.threads)]
        for thread in workers:
            thread.start()
        if during is not None:
            during()
        self.stop.wait(seconds)
        self.stop.set()
        for thread in workers:
            thread.join(15)


def _start_web(env: dict[str, str], port: int, processes: int, log: Path):
    """``processes`` daphne sharing one listening socket, as the run command starts them."""
    listener = listening_socket("127.0.0.1", port)
    try:
        specs = web_specs(sys.executable, "127.0.0.1", port, processes, listener.fileno())
        with open(log, "w") as handle:
            return [
                subprocess.Popen(
                    spec.argv,
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=handle,
                    pass_fds=spec.pass_fds,
                )
                for spec in specs
            ]
    finally:
        listener.close()  # each web process holds its own copy


def _wait_until_serving(base: str, token: str, processes: int, limit: float = 180) -> None:
    """Until a few requests in a row answer 200 (the shared socket listens before either
    process has loaded Django), so that start-up is not counted as errors."""
    import requests

    deadline, answered = time.monotonic() + limit, 0
    while answered < 4 * processes:
        if time.monotonic() > deadline:
            raise SystemExit("the web processes did not answer in time")
        try:
            response = requests.get(
                base + "/api/v1/courses/",
                headers={"Authorization": f"Bearer {token}", "Connection": "close"},
                timeout=30,
                allow_redirects=False,
            )
            answered = answered + 1 if response.status_code == 200 else 0
        except requests.RequestException:
            answered = 0
            time.sleep(0.5)


def postgres_restart_under_load(
    *,
    seconds: float = 45,
    restart_after: float = 15,
    down: float = 3,
    threads: int = 8,
    web_processes: int = 2,
    conn_max_age: int = 0,
) -> dict:
    """Stop PostgreSQL for ``down`` seconds under API load; errors and latency around it."""
    var_dir = Path(tempfile.mkdtemp(prefix="faults-pg-"))
    postgres = PostgresServer(var_dir / "pg", livestack.free_port())
    redis = RedisServer(var_dir / "redis", livestack.free_port())
    servers: list[subprocess.Popen] = []
    try:
        postgres.init()
        redis.start()
        env = _postgres_site(var_dir, redis.url, postgres.url, conn_max_age)
        token, student_ids = livestack.run_python(env, ADMIN_TOKEN)
        port = livestack.free_port()
        servers = _start_web(env, port, web_processes, var_dir / "web.log")
        _wait_until_serving(f"http://127.0.0.1:{port}", token, len(servers))
        load = ApiLoad(f"http://127.0.0.1:{port}", token, student_ids, threads)
        load_average = os.getloadavg()[0]
        window: dict[str, float] = {}

        def outage() -> None:
            time.sleep(restart_after)
            window["stopped"] = time.time()
            postgres.stop("fast")
            time.sleep(down)
            postgres.start()
            window["back"] = time.time()

        restarter = threading.Thread(target=outage, daemon=True)
        load.run_for(seconds, during=restarter.start)
        restarter.join(60)
        alive = all(server.poll() is None for server in servers)
    finally:
        for server in servers:
            livestack.stop(server)
        redis.stop()
        postgres.stop("immediate", check=False)
    figures = _api_figures(load.outcomes, window["stopped"], window["back"])
    figures.update(web_processes_alive=alive, conn_max_age=conn_max_age, threads=threads)
    figures["load_average_before_after"] = (load_average, os.getloadavg()[0])
    figures["logs"] = _log_counts(var_dir)
    _clean_up(var_dir)
    return figures


def _postgres_site(var_dir, redis_url, database_url, conn_max_age):
    env = livestack.site_env(var_dir, redis_url, DATABASE_URL=database_url)
    env.update(DEBUG="false", ALLOWED_HOSTS="127.0.0.1", DB_CONN_MAX_AGE=str(conn_max_age))
    env["SMS_PLAIN_HTTP"] = "1"  # loopback without a TLS proxy: no redirect to https
    print(f"site in {var_dir}; {database_url}; seeding …", flush=True)
    livestack.migrate(env)
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--size", "small"],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=600,
    )
    return env


def _api_figures(outcomes: list[Outcome], stopped: float, back: float) -> dict:
    failed = [o for o in outcomes if o.status != 200]
    before = [o for o in outcomes if o.finished < stopped]
    after = [o for o in outcomes if o.started > back]
    first_ok_after = min((o.finished for o in after if o.status == 200), default=None)

    def p95(part: list[Outcome]) -> float:
        return pct([(o.finished - o.started) * 1000 for o in part if o.status == 200], 95)

    return {
        "requests": len(outcomes),
        "errors": len(failed),
        "error_statuses": dict(Counter(o.status or o.error for o in failed)),
        "errors_by_request": dict(Counter(o.name for o in failed)),
        "outage_s": back - stopped,
        "first_error_s": min((o.started - stopped for o in failed), default=None),
        "last_error_s": max((o.finished - stopped for o in failed), default=None),
        "errors_after_back": sum(1 for o in failed if o.started > back),
        "p95_before_ms": p95(before),
        "p95_after_ms": p95(after),
        "requests_after_back": len(after),
        "ok_after_back": sum(1 for o in after if o.status == 200),
        "first_ok_after_back_s": None if first_ok_after is None else first_ok_after - back,
    }


def print_postgres(figures: dict) -> None:
    print(
        f"\n== PostgreSQL stop -m fast + start under API load "
        f"({figures['threads']} threads, CONN_MAX_AGE={figures['conn_max_age']})"
    )
    for key, value in figures.items():
        print(f"  {key}: {value:.2f}" if isinstance(value, float) else f"  {key}: {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=["redis", "postgres"], required=True)
    parser.add_argument("--seconds", type=float, help="length of the load (default 30/45)")
    parser.add_argument("--restart-after", type=float, help="seconds into the load (10/15)")
    parser.add_argument("--down", type=float, default=3, help="seconds the service stays down")
    parser.add_argument("--web-processes", type=int, default=2, choices=[1, 2, 3, 4])
    redis_group = parser.add_argument_group("redis")
    redis_group.add_argument("--clients", type=int, default=1000)
    redis_group.add_argument("--rate", type=float, default=20, help="notify() calls per second")
    redis_group.add_argument("--broadcast-every", type=float, default=8, help="seconds")
    redis_group.add_argument("--kill", action="store_true", help="SIGKILL instead of SIGTERM")
    redis_group.add_argument("--database-url", default="", help="default: SQLite")
    postgres_group = parser.add_argument_group("postgres")
    postgres_group.add_argument("--threads", type=int, default=8)
    postgres_group.add_argument("--conn-max-age", type=int, default=0)
    args = parser.parse_args()
    if args.clients > 5000 or args.threads > 64 or (args.seconds or 0) > 300:
        parser.error("bounded: at most 5,000 clients, 64 threads and 300 seconds")
    if args.scenario == "redis":
        figures = asyncio.run(
            redis_restart_with_clients(
                clients=args.clients,
                web_processes=args.web_processes,
                seconds=args.seconds or 30,
                rate=args.rate,
                broadcast_every=args.broadcast_every,
                restart_after=args.restart_after or 10,
                down=args.down,
                kill=args.kill,
                database_url=args.database_url,
            )
        )
        print_redis(figures, args.kill)
    else:
        figures = postgres_restart_under_load(
            seconds=args.seconds or 45,
            restart_after=args.restart_after or 15,
            down=args.down,
            threads=args.threads,
            web_processes=args.web_processes,
            conn_max_age=args.conn_max_age,
        )
        print_postgres(figures)


if __name__ == "__main__":
    main()
