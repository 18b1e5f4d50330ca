"""Which databases the web process pools (sms/database.py); that a pooled daphne opens no
connection per request is proven against a real PostgreSQL in
tests/integration/test_service_restarts.py."""

import pytest

from sms.database import pool_options, pool_web_connections

POSTGRES = {"ENGINE": "django.db.backends.postgresql", "CONN_MAX_AGE": 0}


def test_postgres_gets_a_pool_of_the_configured_size_and_wait():
    assert pool_options(POSTGRES, 25, 3.0) == {"min_size": 2, "max_size": 25, "timeout": 3.0}
    assert pool_options(POSTGRES, 1, 0.5) == {"min_size": 1, "max_size": 1, "timeout": 0.5}


@pytest.mark.parametrize(
    ("database", "size"),
    [
        ({"ENGINE": "django.db.backends.sqlite3"}, 25),
        ({**POSTGRES, "CONN_MAX_AGE": 60}, 25),  # Django's pool refuses kept connections
        (POSTGRES, 0),  # DB_POOL_SIZE=0: a connection per request
    ],
)
def test_no_pool_where_it_cannot_or_should_not_be(database, size):
    assert pool_options(database, size, 3.0) is None


def test_the_test_process_does_not_pool(settings):
    assert settings.SMS_POOL_WEB_CONNECTIONS is False
    assert pool_web_connections() is False
    assert "pool" not in settings.DATABASES["default"].get("OPTIONS", {})
