import io
import json
import logging
import os
import socket

import pytest
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from sms.observability.logs import JsonFormatter, RequestContextFilter
from tests.integration.conftest import missing_service


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def admin_api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


class JsonLines:
    """What the production console handler would print, one parsed JSON object a line."""

    def __init__(self):
        self.stream = io.StringIO()

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line]


@pytest.fixture
def json_log():
    lines = JsonLines()
    handler = logging.StreamHandler(lines.stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lines
    root.removeHandler(handler)
    root.setLevel(level)


def sample(name: str, **labels) -> float:
    """A metric's current value in this process (0 before its first observation)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        missing_service("TEST_REDIS_URL is not set: no real Redis to test against")
    return url
