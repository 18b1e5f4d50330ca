"""Locust load for the notifications REST API and WebSocket (bounded by locust's -t).

    SMS_LOAD_USERNAME=teacher1 SMS_LOAD_PASSWORD=… \
    .venv/bin/locust -f benchmarks/locustfile_notifications.py --headless \
        -H http://127.0.0.1:8000 -u 50 -r 10 -t 60s

Each simulated user takes a JWT, polls the unread count, pages through the centre,
marks notifications read, and (``NotificationSocketUser``) holds a WebSocket that
resumes and pings, reporting the handshake → hello time as a "WS connect" request.
"""

from __future__ import annotations

import json
import os
import time

from locust import HttpUser, between, events, task

USERNAME = os.environ.get("SMS_LOAD_USERNAME", "teacher1")
PASSWORD = os.environ.get("SMS_LOAD_PASSWORD", "")
API = "/api/v1/notifications/"


def _token(client) -> str:
    response = client.post(
        "/api/v1/auth/token/", json={"username": USERNAME, "password": PASSWORD}, name="token"
    )
    response.raise_for_status()
    return response.json()["access"]


class NotificationApiUser(HttpUser):
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {_token(self.client)}"

    @task(5)
    def unread_count(self) -> None:
        self.client.get(API + "unread-count/", name="unread-count")

    @task(3)
    def centre(self) -> None:
        self.client.get(API, params={"page_size": 20}, name="list")
        self.client.get(API, params={"unread": "true", "page_size": 20}, name="list unread")

    @task(1)
    def mark_first_read(self) -> None:
        page = self.client.get(API, params={"unread": "true", "page_size": 1}, name="list unread")
        results = page.json().get("results", []) if page.ok else []
        if results:
            self.client.post(f"{API}{results[0]['id']}/read/", name="read")


class NotificationSocketUser(HttpUser):
    """One WebSocket per simulated user; reports connect time and ping round trips."""

    wait_time = between(5, 10)

    def on_start(self) -> None:
        from websockets.sync.client import connect

        token = _token(self.client)
        base = self.host.replace("http", "ws", 1)
        started = time.perf_counter()
        try:
            self.socket = connect(
                f"{base}/ws/notifications/?token={token}", origin=self.host, proxy=None
            )
            hello = json.loads(self.socket.recv(timeout=10))
            self._report("WS connect", started, None if hello["type"] == "hello" else "no hello")
        except Exception as error:  # reported to locust as a failure
            self.socket = None
            self._report("WS connect", started, error)

    def on_stop(self) -> None:
        if self.socket is not None:
            self.socket.close()

    @task
    def ping(self) -> None:
        if self.socket is None:
            return
        started = time.perf_counter()
        try:
            self.socket.send(json.dumps({"action": "ping"}))
            while json.loads(self.socket.recv(timeout=10))["type"] != "pong":
                pass
            self._report("WS ping", started, None)
        except Exception as error:
            self._report("WS ping", started, error)

    def _report(self, name: str, started: float, error) -> None:
        events.request.fire(
            request_type="WS",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=error,
            context={},
        )
