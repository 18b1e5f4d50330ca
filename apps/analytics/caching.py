"""Cached analytics responses, keyed by role scope, filters and a generation counter.

Any committed write of school data bumps the generation (``apps.analytics.signals``
listens to the change hook),
so every older entry simply stops being looked up and expires on its own; the next read
computes fresh figures. The generation lives in the shared cache (Redis in production),
so all web processes and workers agree on it.

A missing entry is computed once however many requests ask for it at the same moment
(single flight): the first takes a short lock in the cache and builds, the others wait
for its result instead of running the same cold query in parallel. After a restart or a
rebuild, when every entry is missing at once, this is what keeps fifty users from
starting fifty identical computations.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "analytics:gen"
ENTRY_TIMEOUT = 60 * 60
# How long others wait for the one computing an entry before computing it themselves
# (the builder died, or is far slower than any cold figure should be).
BUILD_WAIT_SECONDS = 30
FIRST_PAUSE, LONGEST_PAUSE = 0.01, 0.2


@dataclass(frozen=True)
class CachedBody:
    body: bytes
    etag: str


def generation() -> str:
    value = cache.get(GENERATION_KEY)
    if value is None:
        value = uuid.uuid4().hex
        # add() keeps the value another process may have set in the meantime.
        cache.add(GENERATION_KEY, value, None)
        value = cache.get(GENERATION_KEY, value)
    return str(value)


def bump_generation() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def clear_cached_figures() -> None:
    """Forget every cached figure: now, and again when the current transaction commits.

    Bumping at once keeps this process from serving stale figures; bumping on commit
    stops a read that ran during the transaction from caching pre-commit figures under
    the new generation.
    """
    bump_generation()
    transaction.on_commit(bump_generation)


def entry_key(*parts: str) -> str:
    """Callers apply the transaction's own writes first (``results.flush_pending``): doing
    so may start a new generation."""
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]
    return f"analytics:{generation()}:{digest}"


def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def single_flight(key: str, build: Callable[[], object]):
    """The value under ``key``; when it is missing, one caller builds it and others wait."""
    lock_key = f"{key}:building"
    give_up_at = time.monotonic() + BUILD_WAIT_SECONDS
    pause = FIRST_PAUSE
    unanswered = 0
    while True:
        value = cache.get(key)
        if value is not None:
            return value
        if cache.add(lock_key, 1, BUILD_WAIT_SECONDS):
            try:
                value = build()
                cache.set(key, value, ENTRY_TIMEOUT)
                return value
            finally:
                cache.delete(lock_key)
        if cache.get(lock_key) is None:
            # The lock could not be taken, yet nobody holds it: a builder just finished
            # or failed (try again at once), or twice running, the cache is not
            # answering at all (an outage), and waiting would only add latency.
            unanswered += 1
            if unanswered >= 2:
                return build()
            continue
        unanswered = 0
        if time.monotonic() >= give_up_at:
            return build()
        time.sleep(pause)
        pause = min(pause * 2, LONGEST_PAUSE)


def cached_body(key: str, build: Callable[[], bytes]) -> CachedBody:
    """The cached body under ``key``, or ``build()`` stored with its ETag."""

    def build_entry() -> tuple[bytes, str]:
        body = build()
        return body, etag_for(body)

    return CachedBody(*single_flight(key, build_entry))


def cached_value(key: str, build: Callable[[], object]):
    return single_flight(key, build)
