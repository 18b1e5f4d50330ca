"""WebSocket load test for ws/notifications/ on loopback (bounded in clients and time).

Starts its own daphne process(es) against a throw-away SQLite site and the given Redis,
connects N asyncio clients (one user each, JWT in the query string), then measures:
connect time (handshake → hello), targeted delivery latency (commit → client) at a
fixed rate, broadcast fan-out (until the last client has it) and RSS per connection.

    .venv/bin/python benchmarks/ws_load.py --redis-url redis://127.0.0.1:6379/0 \
        --clients 1000 --web-processes 2

Figures are recorded in docs/benchmarks.md ("Notifications").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sms.settings")
# Production-like settings (no query log); a throw-away key when none is given.
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + os.urandom(16).hex())
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("SMS_PLAIN_HTTP", "1")

import psutil  # noqa: E402

from tests.support import livestack  # noqa: E402

SENDER = """
import json, random, time
from channels.layers import get_channel_layer
from apps.accounts.models import User
from apps.notifications.services import notify
ids = {user_ids}
users = {{u.pk: u for u in User.objects.filter(pk__in=ids)}}
get_channel_layer()  # loaded once per process in a real web process or worker
mode, count, rate = {mode!r}, {count}, {rate}
if mode == "broadcast":
    started = time.time()
    notify(user_ids=[u.pk for u in users.values()], kind="broadcast", title="b",
           data={{"t": started, "probe": "broadcast", "round": {round}}})
    print(json.dumps((time.time() - started) * 1000))
else:
    interval = 1.0 / rate
    start = time.perf_counter()
    for i in range(count):
        target = users[random.choice(ids)]
        notify(user_ids=[target.pk], kind="system", title="t",
               data={{"t": time.time(), "probe": "targeted"}})
        delay = start + (i + 1) * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    print(json.dumps(True))
"""


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> str:
    return (
        f"n={len(values)} p50={pct(values, 50):.1f} p95={pct(values, 95):.1f} "
        f"p99={pct(values, 99):.1f} max={max(values, default=float('nan')):.1f} ms"
    )


class Client:
    def __init__(self, user_id: int, token: str, port: int):
        self.user_id, self.token, self.port = user_id, token, port
        self.socket = None
        self.latencies: dict[str, list[float]] = {"targeted": [], "broadcast": []}
        self.connect_ms = None
        self.rounds: dict[int, float] = {}

    async def open(self) -> None:
        started = time.perf_counter()
        self.socket, _hello = await livestack.ws_open(self.port, self.token, timeout=60)
        self.connect_ms = (time.perf_counter() - started) * 1000

    async def listen(self) -> None:
        async for raw in self.socket:
            now = time.time()
            message = json.loads(raw)
            if message.get("type") == "notification":
                data = message["notification"]["data"]
                if "probe" in data:
                    latency = (now - data["t"]) * 1000
                    self.latencies[data["probe"]].append(latency)
                    if "round" in data:
                        self.rounds[data["round"]] = latency


async def run(args) -> None:
    var_dir = Path(tempfile.mkdtemp(prefix="ws-load-"))
    env = livestack.site_env(var_dir, args.redis_url, CHANNEL_LAYER=args.layer)
    print(f"preparing site in {var_dir} …", flush=True)
    livestack.migrate(env)
    users = livestack.create_users(env, args.clients, prefix="wsload")
    processes, ports = [], []
    for _ in range(args.web_processes):
        port = livestack.free_port()
        processes.append(livestack.start_daphne(env, port))
        ports.append(port)
    try:
        await measure(args, env, users, processes, ports)
    finally:
        for process in processes:
            livestack.stop(process)


async def measure(args, env, users, processes, ports) -> None:
    rss_before = sum(psutil.Process(p.pid).memory_info().rss for p in processes)
    clients = [Client(pk, token, ports[i % len(ports)]) for i, (pk, token) in enumerate(users)]
    gate = asyncio.Semaphore(args.connect_concurrency)
    errors = 0

    async def open_one(client):
        nonlocal errors
        async with gate:
            try:
                await client.open()
            except Exception:
                errors += 1

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(open_one(c) for c in clients)), args.time_limit)
    connect_wall = time.perf_counter() - started
    connected = [c for c in clients if c.socket is not None]
    await asyncio.sleep(1)
    rss_after = sum(psutil.Process(p.pid).memory_info().rss for p in processes)
    print(f"layer={args.layer} web_processes={len(ports)} clients={len(clients)}")
    print(f"connected {len(connected)} in {connect_wall:.1f}s, errors={errors}")
    print(
        f"connect storm ({args.connect_concurrency} in flight): "
        + summary([c.connect_ms for c in connected])
    )
    per_conn = (rss_after - rss_before) / max(1, len(connected)) / 1024
    print(f"RSS per connection: {per_conn:.1f} KB (web total {rss_after / 2**20:.0f} MB)")

    probe_ms = []
    for pk, token in users[: args.probes]:  # one at a time, with everyone else connected
        started = time.perf_counter()
        socket, _hello = await livestack.ws_open(ports[pk % len(ports)], token)
        probe_ms.append((time.perf_counter() - started) * 1000)
        await socket.close()
    print(f"connect with {len(connected)} connected, sequential: " + summary(probe_ms))

    listeners = [asyncio.create_task(c.listen()) for c in connected]
    ids = [c.user_id for c in connected]
    await asyncio.to_thread(
        livestack.run_python,
        env,
        SENDER.format(user_ids=ids, mode="targeted", count=args.targeted, rate=args.rate, round=0),
    )
    await asyncio.sleep(2)
    targeted = [v for c in connected for v in c.latencies["targeted"]]
    print(f"targeted at {args.rate}/s (commit→client): " + summary(targeted))
    print(f"targeted delivered {len(targeted)}/{args.targeted}")

    notify_ms = []
    for done in range(1, args.broadcasts + 1):
        script = SENDER.format(user_ids=ids, mode="broadcast", count=1, rate=1, round=done)
        notify_ms.append(await asyncio.to_thread(livestack.run_python, env, script))
        deadline = time.monotonic() + args.broadcast_wait
        while time.monotonic() < deadline:  # until the last client has it (bounded)
            if sum(1 for c in connected if done in c.rounds) >= len(connected):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(args.broadcast_pause)
    broadcast = [v for c in connected for v in c.latencies["broadcast"]]
    until_last = [
        max((c.rounds[r] for c in connected if r in c.rounds), default=float("nan"))
        for r in range(1, args.broadcasts + 1)
    ]
    delivered = sum(len(c.rounds) for c in connected)
    print("broadcast notify() in the sender (insert + commit + publish): " + summary(notify_ms))
    print("broadcast (commit→each client): " + summary(broadcast))
    print("broadcast until the last client, per round: " + summary(until_last))
    print(f"broadcast delivered {delivered}/{len(connected) * args.broadcasts}")
    for task in listeners:
        task.cancel()
    close_started = time.perf_counter()
    await asyncio.gather(*(c.socket.close() for c in connected), return_exceptions=True)
    print(f"closed {len(connected)} in {time.perf_counter() - close_started:.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default=os.environ.get("TEST_REDIS_URL", ""))
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--web-processes", type=int, default=1, choices=[1, 2, 3, 4])
    parser.add_argument("--layer", choices=["pubsub", "core"], default="pubsub")
    parser.add_argument("--targeted", type=int, default=500, help="targeted sends")
    parser.add_argument("--rate", type=float, default=100, help="targeted sends per second")
    parser.add_argument("--broadcasts", type=int, default=10)
    parser.add_argument(
        "--broadcast-pause", type=float, default=0.5, help="seconds between broadcasts"
    )
    parser.add_argument("--probes", type=int, default=100, help="sequential connect probes")
    parser.add_argument("--broadcast-wait", type=float, default=60, help="seconds per broadcast")
    parser.add_argument("--connect-concurrency", type=int, default=50)
    parser.add_argument("--time-limit", type=float, default=300, help="seconds to connect all")
    args = parser.parse_args()
    if not args.redis_url:
        parser.error("--redis-url (or TEST_REDIS_URL) is required")
    if args.clients > 10000:
        parser.error("--clients is capped at 10,000")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
