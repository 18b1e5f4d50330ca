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
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError)
DEFAULT_SOCKET_TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}


class ResilientRedisCache(RedisCache):
    """``RedisCache`` that treats an unreachable Redis as an empty, write-ignoring cache."""

    retry_after = 2.0  # seconds without trying Redis after a failure
    log_every = 60.0  # seconds between two outage warnings

    def __init__(self, server, params):
        options = {**DEFAULT_SOCKET_TIMEOUTS, **params.get("OPTIONS", {})}
        super().__init__(server, {**params, "OPTIONS": options})
        self._down_until = 0.0
        self._logged_at = float("-inf")
        self._suppressed = 0
        self._log_lock = threading.Lock()

    # --- outage handling ----------------------------------------------------------------
    @property
    def is_degraded(self) -> bool:
        """True while calls are answered without trying Redis."""
        return time.monotonic() < self._down_until

    def _call(self, fallback: Any, method, *args, **kwargs) -> Any:
        if self.is_degraded:
            return fallback
        try:
            return method(*args, **kwargs)
        except OUTAGE_ERRORS as error:
            self._down_until = time.monotonic() + self.retry_after
            self._log_outage(error)
            return fallback

    def _log_outage(self, error: Exception) -> None:
        with self._log_lock:
            now = time.monotonic()
            if now - self._logged_at < self.log_every:
                self._suppressed += 1
                return
            suppressed, self._suppressed, self._logged_at = self._suppressed, 0, now
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
