"""The resilient cache pointed at an address where no Redis listens: every call answers
at once with its degraded value, and the outage is logged once, not once per call."""

import logging
import time

from sms.cache import ResilientRedisCache
from tests.support import livestack


def unreachable_cache() -> ResilientRedisCache:
    url = f"redis://127.0.0.1:{livestack.free_port()}/0"
    cache = ResilientRedisCache(url, {"KEY_PREFIX": "test", "TIMEOUT": 60})
    cache.retry_after = 0  # try Redis on every call, so each one meets the outage
    return cache


def test_resilient_cache_without_redis_answers_every_call_with_its_degraded_value(caplog):
    cache = unreachable_cache()
    started = time.monotonic()

    with caplog.at_level(logging.WARNING, logger="sms.cache"):
        results = {
            "touch": cache.touch("figure"),
            "has_key": cache.has_key("figure"),
            "set_many": cache.set_many({"a": 1, "b": 2}),
            "delete_many": cache.delete_many(["a", "b"]),
            "clear": cache.clear(),
        }

    assert results == {
        "touch": False,
        "has_key": False,
        "set_many": ["a", "b"],
        "delete_many": None,
        "clear": False,
    }
    assert time.monotonic() - started < 5
    warnings = [r for r in caplog.records if "Cache (Redis) unavailable" in r.message]
    assert len(warnings) == 1


def test_resilient_cache_reports_how_many_failures_it_kept_quiet_about(caplog):
    cache = unreachable_cache()
    cache.log_every = 0.5
    with caplog.at_level(logging.WARNING, logger="sms.cache"):
        for _ in range(3):
            cache.get("figure")
        time.sleep(0.6)

        cache.get("figure")

    warnings = [r.getMessage() for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(warnings) == 2
    assert "(0 similar since last report)" in warnings[0]
    assert "(2 similar since last report)" in warnings[1]
