"""A Redis cache that degrades instead of failing while Redis is unreachable.

The cache holds only what can be rebuilt or forgotten (analytics responses, rate-limit
histories, login-failure counters, import progress), so an outage must not turn every
page and API call that touches it into a 500. While Redis is unreachable:

- reads miss: ``get`` returns the default, ``get_many`` ``{}``, ``has_key`` False;
- writes do nothing: ``set`` / ``set_many`` / ``delete`` / ``delete_many`` store nothing,
  ``add`` / ``touch`` / ``delete`` / ``clear`` answer False;
- ``incr`` / ``decr`` raise ``ValueError`` as for a missing key (Django's contract), so
  callers fall back as they already must: throttles and the login lockout then simply
  do not count (they fail open) until Redis is back.

Short socket timeouts keep a request from hanging on a dead or unreachable server, and
after a failure Redis is left alone for ``retry_after`` seconds (every call answers the
degraded value at once) before the next attempt. The outage is logged at most once a
minute per process.

Only connection and timeout errors degrade; anything else (a bug, a bad command) raises.

Connections, clients and the outage state are kept per process and Redis location, not
per backend object: under ASGI Django makes a backend per request (``caches`` is per
asyncio context), and each one opened a connection of its own (redis-py reads its package
metadata for every new connection: ~1 ms of CPU) and forgot an outage the request before
had met.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError)
DEFAULT_SOCKET_TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}


@dataclass
class _Location:
    """What every backend of one Redis location (servers and options) shares in a
    process: its connection pools and clients, and the outage it is in."""

    pools: dict[int, Any] = field(default_factory=dict)
    clients: dict[int, Any] = field(default_factory=dict)
    down_until: float = 0.0
    logged_at: float = float("-inf")
    suppressed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


_LOCATIONS: dict[str, _Location] = {}
_LOCATIONS_LOCK = threading.Lock()


def _location(servers: list[str], options: dict) -> _Location:
    key = repr((servers, sorted(options.items(), key=lambda item: item[0])))
    found = _LOCATIONS.get(key)
    if found is None:
        with _LOCATIONS_LOCK:
            found = _LOCATIONS.setdefault(key, _Location())
    return found


class _SharedClient(RedisCacheClient):
    """Django's client over the location's pools and ``redis.Redis`` clients (a client
    builds ~170 response callbacks when made; both are thread-safe). redis-py's pools
    start afresh in a forked child (a Celery worker) by themselves."""

    def __init__(self, servers, *, location: _Location, **options):
        super().__init__(servers, **options)
        self._pools = location.pools
        self._clients = location.clients

    def _get_connection_pool(self, write):
        return self._pool_at(self._get_connection_pool_index(write))

    def _pool_at(self, index: int):
        pool = self._pools.get(index)
        if pool is None:
            made = self._pool_class.from_url(self._servers[index], **self._pool_options)
            pool = self._pools.setdefault(index, made)
        return pool

    def get_client(self, key=None, *, write=False):
        # One draw of the server: with several, a read picks one at random, and the
        # client kept for that index must be built on that index's pool.
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            made = self._client(connection_pool=self._pool_at(index))
            client = self._clients.setdefault(index, made)
        return client


class ResilientRedisCache(RedisCache):
    """``RedisCache`` that treats an unreachable Redis as an empty, write-ignoring cache."""

    retry_after = 2.0  # seconds without trying Redis after a failure
    log_every = 60.0  # seconds between two outage warnings

    def __init__(self, server, params):
        options = {**DEFAULT_SOCKET_TIMEOUTS, **params.get("OPTIONS", {})}
        super().__init__(server, {**params, "OPTIONS": options})
        self._location = _location(self._servers, self._options)

    @cached_property
    def _cache(self):
        return _SharedClient(self._servers, location=self._location, **self._options)

    # --- outage handling ----------------------------------------------------------------
    @property
    def is_degraded(self) -> bool:
        """True while calls are answered without trying Redis."""
        return time.monotonic() < self._location.down_until

    def _call(self, fallback: Any, method, *args, **kwargs) -> Any:
        if self.is_degraded:
            return fallback
        try:
            return method(*args, **kwargs)
        except OUTAGE_ERRORS as error:
            self._location.down_until = time.monotonic() + self.retry_after
            self._log_outage(error)
            return fallback

    def _log_outage(self, error: Exception) -> None:
        location = self._location
        with location.lock:
            now = time.monotonic()
            if now - location.logged_at < self.log_every:
                location.suppressed += 1
                return
            suppressed, location.suppressed, location.logged_at = location.suppressed, 0, now
        logger.warning(
            "Cache (Redis) unavailable, serving without it: %s (%d similar since last report)",
            error,
            suppressed,
        )

    # --- the cache API --------------------------------------------------------------------
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        return self._call(False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        self._call(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        return self._call(False, super().touch, key, timeout, version)

    def delete(self, key, version=None) -> bool:
        return self._call(False, super().delete, key, version)

    def get_many(self, keys, version=None) -> dict:
        return self._call({}, super().get_many, keys, version)

    def has_key(self, key, version=None) -> bool:
        return self._call(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None) -> int:
        missing = object()
        value = self._call(missing, super().incr, key, delta, version)
        if value is missing:
            raise ValueError(f"Key '{key}' not found (cache unavailable).")
        return value

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None) -> list:
        # The keys that could not be stored: all of them during an outage.
        return self._call(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None) -> None:
        self._call(None, super().delete_many, keys, version)

    def clear(self) -> bool:
        return self._call(False, super().clear)
