"""The process supervisor behind ``scripts/run``: its pieces with dummy children, and one
real start of the whole stack."""

import http.client
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import redis

from sms import runstack
from tests.support import livestack

BASE_DIR = Path(__file__).resolve().parents[1]


def python_child(name: str, code: str, output: runstack.Output) -> runstack.Child:
    spec = runstack.ProcessSpec(name, (sys.executable, "-c", code))
    return runstack.start_child(spec, os.environ, output)


@pytest.fixture
def output() -> runstack.Output:
    return runstack.Output(stream=io.StringIO())


def test_find_free_port_returns_a_port_that_can_be_bound():
    port = runstack.find_free_port()

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))

    assert 1024 <= port <= 65535


def test_child_env_hands_redis_url_to_children_and_keeps_database_url():
    base = {"DATABASE_URL": "postgres://db/sms", "PATH": "/bin"}

    env = runstack.child_env(base, "redis://127.0.0.1:6390/0")

    assert env["REDIS_URL"] == "redis://127.0.0.1:6390/0"
    assert env["DATABASE_URL"] == "postgres://db/sms"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert "REDIS_URL" not in base


def test_start_redis_uses_redis_url_from_environment_without_starting_a_server(output):
    child, url, _port = runstack.start_redis({"REDIS_URL": "redis://cache:6379/2"}, output)

    assert child is None
    assert url == "redis://cache:6379/2"


def test_start_redis_starts_embedded_server_with_password_when_redis_url_unset(output, tmp_path):
    child, url, port = runstack.start_redis({"SMS_VAR_DIR": str(tmp_path)}, output)
    try:
        assert runstack.wait_until(
            lambda: runstack.port_answers("127.0.0.1", port), [child], threading.Event(), 10
        )

        answered = redis.Redis.from_url(url).ping()
        anonymous = redis.Redis(host="127.0.0.1", port=port)

        assert answered is True
        with pytest.raises(redis.AuthenticationError):
            anonymous.ping()
        assert oct((tmp_path / "redis" / "redis.conf").stat().st_mode & 0o777) == "0o600"
    finally:
        runstack.stop_children([child], timeout=5)

    assert child.process.returncode is not None
    assert not runstack.port_answers("127.0.0.1", port)


def test_app_specs_bind_web_to_host_and_port_and_size_the_worker():
    specs = runstack.app_specs("python", "0.0.0.0", 8123, {"CELERY_CONCURRENCY": "4"})

    by_name = {spec.name: spec.argv for spec in specs}
    assert set(by_name) == {"web", "worker", "beat"}
    assert by_name["web"][-5:] == ("-b", "0.0.0.0", "-p", "8123", "sms.asgi:application")
    assert "--concurrency" in by_name["worker"]
    assert by_name["worker"][by_name["worker"].index("--concurrency") + 1] == "4"


def test_app_specs_share_one_listening_socket_between_web_processes():
    specs = runstack.app_specs("python", "127.0.0.1", 8123, {"WEB_CONCURRENCY": "3"}, 7)

    web = [spec for spec in specs if spec.name.startswith("web")]
    assert [spec.name for spec in web] == ["web1", "web2", "web3"]
    assert all(spec.argv[-3:] == ("--fd", "7", "sms.asgi:application") for spec in web)
    assert all(spec.pass_fds == (7,) for spec in web)


def test_start_child_prefixes_each_output_line_with_the_child_name(output):
    child = python_child("echo", "print('first'); print('second')", output)

    child.process.wait(timeout=10)
    child.pump.join(timeout=5)

    assert output.stream.getvalue().splitlines() == ["  echo | first", "  echo | second"]


def test_stop_children_ends_a_child_with_sigterm(output):
    child = python_child("sleeper", "import time; time.sleep(60)", output)
    started = time.monotonic()

    runstack.stop_children([child], timeout=10)

    assert child.process.returncode == -signal.SIGTERM
    assert time.monotonic() - started < 5


def test_stop_children_kills_a_child_that_ignores_sigterm_after_the_timeout(output):
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    child = python_child("stubborn", code, output)
    assert runstack.wait_until(
        lambda: "ready" in output.stream.getvalue(), [child], threading.Event(), 10
    )

    runstack.stop_children([child], timeout=0.5, output=output)

    assert child.process.returncode == -signal.SIGKILL
    assert "stubborn did not stop within 0.5 s: killed" in output.stream.getvalue()


def test_supervise_exits_1_and_names_the_child_that_died(output):
    survivor = python_child("web", "import time; time.sleep(60)", output)
    dead = python_child("worker", "raise SystemExit(3)", output)
    children = [survivor, dead]

    try:
        code = runstack.supervise(children, threading.Event(), output)
    finally:
        runstack.stop_children(children, timeout=5)

    assert code == 1
    assert "worker exited unexpectedly with code 3" in output.stream.getvalue()


def test_supervise_exits_0_when_asked_to_stop(output):
    child = python_child("web", "import time; time.sleep(60)", output)
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()

    try:
        code = runstack.supervise([child], stop, output)
    finally:
        runstack.stop_children([child], timeout=5)

    assert code == 0
    assert child.process.returncode == -signal.SIGTERM


def wait_for_line(process: subprocess.Popen, needle: str, timeout: float) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    pytest.fail(f"{needle!r} not seen; output:\n{''.join(lines)}")


def login_page_status(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/accounts/login/")
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.redis
def test_runstack_serves_login_page_and_stops_every_process_on_sigint(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    # A child that does not stop on SIGTERM is killed after SMS_STOP_TIMEOUT and named in
    # the output; the bound keeps a loaded CI machine (coverage in every child) from waiting
    # for the 11-minute default meant for running imports.
    env.update(
        SMS_VAR_DIR=str(tmp_path),
        CELERY_CONCURRENCY="1",
        PYTHONUNBUFFERED="1",
        SMS_STOP_TIMEOUT="40",
    )
    livestack.migrate(env)  # a copy of the migrated template, not 15 s of migrations
    port = runstack.find_free_port()
    stack = subprocess.Popen(
        [sys.executable, "-m", "sms.runstack", "--port", str(port)],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_line(stack, "ready: http://127.0.0.1:", timeout=60)
        children = psutil.Process(stack.pid).children(recursive=True)
        status = login_page_status(port)

        stack.send_signal(signal.SIGINT)
        rest = stack.communicate(timeout=90)[0]
    finally:
        if stack.poll() is None:
            stack.kill()

    assert status == 200
    assert stack.returncode == 0, rest
    assert "all processes stopped" in rest
    assert len(children) >= 4  # redis, web, worker (and its pool), beat
    assert not [child for child in children if child.is_running() and child.status() != "zombie"]
    assert not runstack.port_answers("127.0.0.1", port)
