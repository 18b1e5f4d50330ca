"""Cached analytics responses, keyed by role scope, filters and a generation counter.

Any committed write of school data bumps the generation (``apps.analytics.signals``
listens to the change hook),
so every older entry simply stops being looked up and expires on its own; the next read
computes fresh figures. The generation lives in the shared cache (Redis in production),
so all web processes and workers agree on it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "analytics:gen"
ENTRY_TIMEOUT = 60 * 60


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


def cached_body(key: str, build: Callable[[], bytes]) -> CachedBody:
    """The cached body under ``key``, or ``build()`` stored with its ETag."""
    entry = cache.get(key)
    if entry is not None:
        return CachedBody(*entry)
    body = build()
    entry = (body, etag_for(body))
    cache.set(key, entry, ENTRY_TIMEOUT)
    return CachedBody(*entry)


def cached_value(key: str, build: Callable[[], object]):
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, ENTRY_TIMEOUT)
    return value
