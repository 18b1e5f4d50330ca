"""Run benchmarks/locustfile.py against a real server and print its percentiles.

    DATABASE_URL=postgres://…/sms REDIS_URL=redis://127.0.0.1:6390/0 \
    .venv/bin/python benchmarks/load.py --scenario analytics --phases cold,warm,steady \
        --users 50 --spawn-rate 10 --run-time 75s

Starts ``--web-processes`` daphne processes (default 2; ``DEBUG=0``, the per-user API
throttle raised so that 429s do not count as failures) on a free loopback port, sharing
one listening socket as the run command does (``sms.runstack.web_specs``), waits until
it answers, then runs locust
headless once per phase with ``--csv var/load/<scenario>-<phase>``. ``cold`` first
empties the Redis database in ``REDIS_URL`` (the analytics response cache, its
generation counter and the throttle counters); ``deploy`` does the same and, as a Celery
worker starting beside the web processes does, warms the default views
(``apps/analytics/warming.py``) while the users arrive; ``warm`` requests every analytics view
the simulated accounts use once, one after another, unmeasured by locust; ``steady``
runs on whatever the previous phases left cached. After each phase it prints, per
request name and in aggregate, the request count, failures and p50/p95/p99/max in ms,
the load average during the run and the CPU the server processes used. The database is
used as it is: load a dataset first (``manage.py seed_demo --size large``) and run
``manage.py rebuild_analytics`` after migrating.
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from sms.runstack import listening_socket, web_specs  # noqa: E402

SCENARIOS = {
    "api": ["ApiUser"],
    "analytics": ["AnalyticsUser"],
    "both": ["ApiUser", "AnalyticsUser"],
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(args) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "sms.settings")
    env["DEBUG"] = "0"
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    env.setdefault("SMS_PLAIN_HTTP", "1")  # loopback without a TLS proxy: no https redirect
    # Throttling is not what is measured: raise the per-user and sign-in rates.
    env["SMS_THROTTLE_USER"] = args.throttle
    env.setdefault("SMS_THROTTLE_LOGIN", "100000/minute")
    return env


def wait_until_up(url: str, servers: list[subprocess.Popen], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for process in servers:
            if process.poll() is not None:
                raise SystemExit(f"a server process exited with code {process.returncode}")
        try:
            urllib.request.urlopen(url + "/api/v1/auth/token/", timeout=2)
        except urllib.error.HTTPError:
            return  # 405 to a GET: the application answers
        except OSError:
            time.sleep(0.3)
            continue
        return
    raise SystemExit(f"the server did not answer within {seconds:.0f} s")


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU time of processes (Linux ``/proc``), or None elsewhere."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class LoadSampler(threading.Thread):
    """The 1-minute load average every few seconds while a phase runs."""

    def __init__(self, every: float = 5.0) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.samples: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.samples.append(os.getloadavg()[0])


def read_stats(prefix: Path) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def read_failures(prefix: Path) -> list[dict[str, str]]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def print_table(rows: list[dict[str, str]]) -> None:
    columns = ("50%", "95%", "99%", "Max Response Time")
    width = max(len(row["Name"]) for row in rows)
    print(f"{'request':<{width}}  {'count':>7} {'fail':>5}    p50    p95    p99     max  (ms)")
    for row in sorted(rows, key=lambda row: (row["Name"] == "Aggregated", row["Name"])):
        figures = " ".join(f"{float(row[name] or 0):>6.0f}" for name in columns)
        print(
            f"{row['Name']:<{width}}  {row['Request Count']:>7} {row['Failure Count']:>5} {figures}"
        )


def warm_up(host: str) -> bool:
    """Every analytics view of every account once (see the locustfile), not measured."""
    print("\n== warm-up: every analytics view of every account, one after another", flush=True)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "locustfile.py"), "--warm", host], cwd=ROOT
    )
    print(f"warm-up took {time.monotonic() - started:.0f} s", flush=True)
    return done.returncode == 0


WARMING = (
    "import django; django.setup(); "
    "from apps.analytics.warming import warm_common_figures; "
    "report = warm_common_figures(); "
    "print(f'warming: {report.views} users in {report.seconds:.1f} s', flush=True)"
)


def start_warming(args) -> subprocess.Popen:
    """The warming a starting worker queues (``analytics.warm_figures``), in its own process."""
    return subprocess.Popen(
        [sys.executable, "-c", WARMING], cwd=ROOT, env=server_env(args), text=True
    )


def run_phase(args, phase: str, host: str, servers: list[subprocess.Popen]) -> bool:
    if phase == "warm":
        return warm_up(host)
    warming = None
    if phase in ("cold", "deploy"):
        flush_redis(os.environ["REDIS_URL"])
    if phase == "deploy":
        warming = start_warming(args)
    prefix = ROOT / "var" / "load" / f"{args.scenario}-{phase}"
    prefix.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "benchmarks" / "locustfile.py"),
        "--headless",
        "--host",
        host,
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        args.run_time,
        "--stop-timeout",
        "10",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        *SCENARIOS[args.scenario],
    ]
    print(f"\n== {args.scenario} / {phase}: {' '.join(command[1:])}", flush=True)
    sampler = LoadSampler()
    pids = [server.pid for server in servers]
    cpu_before = cpu_seconds(pids)
    started = time.monotonic()
    sampler.start()
    locust = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    sampler.done.set()
    elapsed = time.monotonic() - started
    if warming is not None and warming.wait() != 0:
        raise SystemExit(f"the warming exited with code {warming.returncode}")
    cpu_after = cpu_seconds(pids)
    if locust.returncode not in (0, 1):  # 1: some requests failed, still a result
        print(locust.stdout[-3000:], locust.stderr[-3000:], sep="\n")
        raise SystemExit(f"locust exited with code {locust.returncode}")
    rows = read_stats(prefix)
    print_table(rows)
    aggregate = next(row for row in rows if row["Name"] == "Aggregated")
    failures = read_failures(prefix)
    for failure in failures[:10]:
        print(f"  failure: {failure['Name']}: {failure['Error'][:160]} × {failure['Occurrences']}")
    samples = sampler.samples or [os.getloadavg()[0]]
    print(
        f"load average (1 min) during the run: mean {sum(samples) / len(samples):.2f}, "
        f"max {max(samples):.2f}; {os.cpu_count()} cores"
    )
    if cpu_before is not None and cpu_after is not None:
        used = cpu_after - cpu_before
        print(
            f"server CPU ({len(pids)} processes): {used:.1f} s in {elapsed:.0f} s "
            f"({100 * used / elapsed:.0f} % of a core)"
        )
    p95 = float(aggregate["95%"] or 0)
    failed = int(aggregate["Failure Count"])
    requests_per_second = float(aggregate["Requests/s"] or 0)
    met = failed == 0 and p95 < args.p95_target
    print(
        f"aggregate: {aggregate['Request Count']} requests ({requests_per_second:.1f}/s), "
        f"{failed} failed, p95 {p95:.0f} ms — target p95 < {args.p95_target:.0f} ms and "
        f"0 errors: {'met' if met else 'NOT met'}",
        flush=True,
    )
    return met


def start_servers(args, port: int) -> list[subprocess.Popen]:
    """``--web-processes`` daphne processes on 127.0.0.1:port, as the run command starts
    them: one binds the port itself, several share one inherited listening socket."""
    listener = listening_socket("127.0.0.1", port) if args.web_processes > 1 else None
    listen_fd = listener.fileno() if listener is not None else None
    env = server_env(args)
    log = open(ROOT / "var" / "load-server.log", "w")  # noqa: SIM115
    servers = []
    try:
        for spec in web_specs(sys.executable, "127.0.0.1", port, args.web_processes, listen_fd):
            servers.append(
                subprocess.Popen(
                    spec.argv,
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    pass_fds=spec.pass_fds,
                )
            )
    except BaseException:
        stop_servers(servers)
        raise
    finally:
        log.close()  # each process holds its own copy
        if listener is not None:
            listener.close()  # likewise
    return servers


def stop_servers(servers: list[subprocess.Popen]) -> None:
    for server in servers:
        server.terminate()
    for server in servers:
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="api")
    parser.add_argument(
        "--phases", default="cold,steady", help="cold, deploy, warm, steady, in order"
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", default="75s")
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument(
        "--web-processes", type=int, default=2, help="daphne processes sharing one socket"
    )
    parser.add_argument("--throttle", default="1000000/minute", help="SMS_THROTTLE_USER")
    parser.add_argument("--p95-target", type=float, default=300)
    args = parser.parse_args()
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(name):
            parser.error(f"set {name} (the benchmark runs on PostgreSQL and Redis)")
    phases = [phase.strip() for phase in args.phases.split(",") if phase.strip()]
    if any(phase not in ("cold", "deploy", "warm", "steady") for phase in phases):
        parser.error("phases are cold, deploy, warm and steady")
    if args.web_processes < 1:
        parser.error("--web-processes must be at least 1")

    (ROOT / "var").mkdir(exist_ok=True)
    port = args.port or free_port()
    host = f"http://127.0.0.1:{port}"
    servers = start_servers(args, port)
    try:
        wait_until_up(host, servers)
        pids = ", ".join(str(server.pid) for server in servers)
        print(
            f"{len(servers)} daphne process(es) (pid {pids}) on {host}; "
            f"load average now {os.getloadavg()[0]:.2f}"
        )
        results = [run_phase(args, phase, host, servers) for phase in phases]
    finally:
        stop_servers(servers)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
