"""Changing SQLite's per-connection settings for the length of one piece of work, and
the planner's statistics after a bulk write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# Rows SQLite samples per index for its statistics: ANALYZE of the whole large demo
# database takes 0.06 s instead of a full read of every index.
ANALYSIS_LIMIT = 1000


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
    would get there too, minutes later."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
