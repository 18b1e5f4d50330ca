"""Keeping a worker's memory flat while it applies a large file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# SQLite's page cache for the length of an apply. The settings give every connection
# 64 MB so that analytics reads stay in memory; an apply of 200,000 rows fills all of it
# with pages it never reads again, which is a third of the worker's growth. 16 MB keeps
# the indexes being written to in memory just as well (measured: no slower).
APPLY_CACHE_KIB = 16_000


@contextmanager
def small_sqlite_cache(kib: int = APPLY_CACHE_KIB) -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size=-{int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size={int(previous)}")
