"""Fixtures for tests against the real services that ``scripts/test`` starts.

On a developer's machine without them these tests skip with the reason. Under the test
command (``SMS_REQUIRE_SERVICES=1``) or in CI (``CI=true``) a missing service is a
failure instead, so a broken set-up can never pass as a run of skipped tests.
"""

import os

import pytest
from django.db import connection


def services_required() -> bool:
    flags = (os.environ.get("SMS_REQUIRE_SERVICES", ""), os.environ.get("CI", ""))
    return any(flag.strip().lower() in {"1", "true", "yes"} for flag in flags)


def missing_service(reason: str) -> None:
    if services_required():
        pytest.fail(f"{reason} (required under the test command and in CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the real Redis the test command started (``TEST_REDIS_URL``)."""
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        missing_service("TEST_REDIS_URL is not set: no real Redis to test against")
    return url


@pytest.fixture
def postgres_db(db) -> None:
    """The test database, which must be PostgreSQL; skips on SQLite.

    The SQLite run of the test command skips these tests and its PostgreSQL run
    (``SMS_REQUIRE_POSTGRES=1``) fails them if the database is anything else.
    """
    if connection.vendor == "postgresql":
        return
    if os.environ.get("SMS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"expected PostgreSQL, got {connection.vendor}", pytrace=False)
    pytest.skip(f"needs PostgreSQL (DATABASE_URL=postgres://...), running on {connection.vendor}")
