"""Changing SQLite's per-connection settings for the length of one piece of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def sqlite_pragmas(**values: int) -> Iterator[None]:
    """Set these pragmas (``cache_size=-16000``) on the connection, then put back what
    they were. Nothing happens on another database. The values come from code, never
    from users: a pragma takes no query parameters."""
    if connection.vendor != "sqlite":
        yield
        return
    previous = {}
    with connection.cursor() as cursor:
        for name, value in values.items():
            cursor.execute(f"PRAGMA {name}")
            (previous[name],) = cursor.fetchone()
            cursor.execute(f"PRAGMA {name}={int(value)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in previous.items():
                cursor.execute(f"PRAGMA {name}={int(value)}")
