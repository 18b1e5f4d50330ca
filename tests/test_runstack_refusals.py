"""The run command refuses a port that is taken before starting anything, and stops waiting
for the web server as soon as a child has died or the time is up."""

import io
import os
import socket
import sys
import threading
import time

from sms import runstack


def test_runstack_refuses_a_port_already_in_use_and_starts_nothing(monkeypatch, capsys):
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    started = []
    monkeypatch.setattr(runstack, "run", lambda *args: started.append(args) or 0)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        code = runstack.main(["--host", "127.0.0.1", "--port", str(port)])

    assert code == 1
    assert f"port {port} is already in use; set PORT to another port" in capsys.readouterr().out
    assert started == []


def test_wait_until_gives_up_at_once_when_a_child_has_died():
    output = runstack.Output(stream=io.StringIO())
    spec = runstack.ProcessSpec("web", (sys.executable, "-c", "raise SystemExit(3)"))
    child = runstack.start_child(spec, os.environ, output)
    child.process.wait(timeout=30)
    started = time.monotonic()

    ready = runstack.wait_until(lambda: False, [child], threading.Event(), 30)

    assert ready is False
    assert time.monotonic() - started < 5


def test_wait_until_gives_up_when_the_time_is_up():
    started = time.monotonic()

    ready = runstack.wait_until(lambda: False, [], threading.Event(), 0.5)

    assert ready is False
    assert 0.4 < time.monotonic() - started < 5
