"""Keeping a worker's memory flat while it applies a large file."""

from __future__ import annotations

from sms.sqlite import sqlite_pragmas

# SQLite's page cache for the length of an apply. The settings give every connection
# 64 MB so that analytics reads stay in memory; an apply of 200,000 rows fills all of it
# with pages it never reads again, which is a third of the worker's growth. 16 MB keeps
# the indexes being written to in memory just as well (measured: no slower).
APPLY_CACHE_KIB = 16_000


def small_sqlite_cache(kib: int = APPLY_CACHE_KIB):
    return sqlite_pragmas(cache_size=-kib)
