"""SQLite settings changed for one piece of work come back afterwards."""

import pytest
from django.db import connection

from apps.bulkio.importing.memory import small_sqlite_cache

pytestmark = pytest.mark.django_db


def _cache_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return cursor.fetchone()[0]


def test_small_sqlite_cache_applies_with_16_mb_then_puts_the_cache_back():
    if connection.vendor != "sqlite":
        pytest.skip("a SQLite setting")
    before = _cache_size()

    with small_sqlite_cache():
        during = _cache_size()

    assert (during, _cache_size()) == (-16_000, before)
