"""A cold figure is computed once however many requests ask for it at the same moment."""

import threading
import time
from unittest import mock

import pytest

from apps.analytics import caching
from sms.cache import ResilientRedisCache
from tests.integration.conftest import redis_url  # noqa: F401 - the real Redis fixture


def _ask_together(count: int, build) -> list:
    start = threading.Barrier(count)
    answers: list = [None] * count

    def ask(index: int) -> None:
        start.wait()
        try:
            answers[index] = caching.cached_body("analytics:test:key", build)
        except RuntimeError as error:  # the failing builder's own request fails, as it would
            answers[index] = error

    threads = [threading.Thread(target=ask, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return answers


def test_single_flight_builds_a_missing_entry_once_for_concurrent_requests():
    calls = []

    def slow_build() -> bytes:
        calls.append(1)
        time.sleep(0.3)
        return b'{"students": 42}'

    answers = _ask_together(8, slow_build)

    assert len(calls) == 1
    assert {answer.body for answer in answers} == {b'{"students": 42}'}
    assert len({answer.etag for answer in answers}) == 1


def test_single_flight_waiters_build_themselves_when_the_builder_fails():
    calls = []

    def failing_then_working() -> bytes:
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.1)
            raise RuntimeError("database went away")
        return b"figures"

    answers = _ask_together(3, failing_then_working)

    failed = [answer for answer in answers if isinstance(answer, RuntimeError)]
    served = [answer for answer in answers if isinstance(answer, caching.CachedBody)]
    assert len(failed) == 1
    assert {answer.body for answer in served} == {b"figures"}
    assert len(served) == 2
    assert len(calls) == 2  # the failed build, then one rebuild shared by the rest


def test_single_flight_does_not_wait_when_the_cache_is_not_answering():
    # An outage: every read misses and every add fails (sms/cache.py's degraded mode).
    calls = []

    def build() -> bytes:
        calls.append(1)
        return b"live figures"

    with (
        mock.patch.object(caching.cache, "get", return_value=None),
        mock.patch.object(caching.cache, "add", return_value=False),
    ):
        started = time.monotonic()
        answer = caching.cached_body("analytics:test:outage", build)
        elapsed = time.monotonic() - started

    assert answer.body == b"live figures"
    assert calls == [1]
    assert elapsed < caching.BUILD_WAIT_SECONDS / 10


@pytest.mark.redis
def test_single_flight_holds_with_the_lock_in_a_real_redis(redis_url):  # noqa: F811
    redis_cache = ResilientRedisCache(redis_url, {"KEY_PREFIX": "single-flight", "TIMEOUT": 60})
    redis_cache.delete("analytics:test:key")
    calls = []

    def slow_build() -> bytes:
        calls.append(1)
        time.sleep(0.3)
        return b"shared"

    with mock.patch.object(caching, "cache", redis_cache):
        answers = _ask_together(5, slow_build)

    assert len(calls) == 1
    assert {answer.body for answer in answers} == {b"shared"}
