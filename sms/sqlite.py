"""Changing SQLite's per-connection settings for the length of one piece of work, and
the planner's statistics after a bulk write."""

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


def refresh_statistics(models) -> None:
    """Let the planner know the tables after a bulk write (a rebuild, a seed). Without
    statistics SQLite guesses between indexes: it deleted a student's rollups of one
    course through the course's index (every row of the course) rather than the
    student's, and the refresh after one grade save doubled. PostgreSQL's autovacuum
    would get there too, minutes later. A full ANALYZE, not a sample: with 1,000 rows an
    index SQLite read a course's grade buckets through the grades' date index (43 ms)
    instead of its enrollments (18 ms); the full one costs 2.8 s on the large demo's
    stored tables."""
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
