"""The resilient Redis cache (sms/cache.py) against a real redis-server stopped mid-test."""

import logging
import shutil
import time

import pytest
import redis

from apps.accounts import lockout
from sms.cache import ResilientRedisCache
from tests.integration.conftest import missing_service
from tests.support import livestack

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        missing_service("redis-server is not installed")
    port = livestack.free_port()
    server = {"port": port, "url": f"redis://127.0.0.1:{port}/0", "dir": tmp_path}
    server["process"] = livestack.start_redis(port, tmp_path)
    yield server
    livestack.stop(server["process"])


@pytest.fixture
def redis_cache(redis_server):
    cache = ResilientRedisCache(redis_server["url"], {"KEY_PREFIX": "test", "TIMEOUT": 60})
    cache.retry_after = 0.2
    return cache


def test_resilient_cache_while_redis_is_down_misses_and_ignores_writes(
    redis_server, redis_cache, caplog
):
    redis_cache.set("figure", 42)
    livestack.stop(redis_server["process"])
    started = time.monotonic()

    with caplog.at_level(logging.WARNING, logger="sms.cache"):
        results = {
            "get": redis_cache.get("figure", "recomputed"),
            "get_many": redis_cache.get_many(["figure"]),
            "add": redis_cache.add("other", 1),
            "set": redis_cache.set("other", 1),
            "delete": redis_cache.delete("figure"),
            "get_or_set": redis_cache.get_or_set("figure", 7),
        }
        with pytest.raises(ValueError):
            redis_cache.incr("figure")

    assert results == {
        "get": "recomputed",
        "get_many": {},
        "add": False,
        "set": None,
        "delete": False,
        "get_or_set": 7,
    }
    assert time.monotonic() - started < 2
    assert len([r for r in caplog.records if "Cache (Redis) unavailable" in r.message]) == 1


def test_resilient_cache_works_again_once_redis_is_back(redis_server, redis_cache):
    livestack.stop(redis_server["process"])
    assert redis_cache.get("figure") is None

    redis_server["process"] = livestack.start_redis(redis_server["port"], redis_server["dir"])
    time.sleep(redis_cache.retry_after + 0.1)
    redis_cache.set("figure", 42)

    assert redis_cache.get("figure") == 42
    assert redis_cache.incr("figure") == 43


def test_resilient_cache_login_lockout_fails_open_during_outage(redis_server, settings):
    settings.SMS_LOGIN_MAX_FAILURES = 3
    settings.CACHES = {
        "default": {"BACKEND": "sms.cache.ResilientRedisCache", "LOCATION": redis_server["url"]}
    }
    for _ in range(3):
        lockout.register_failure("mallory", "203.0.113.9")
    assert lockout.seconds_locked("mallory", "203.0.113.9") > 0
    livestack.stop(redis_server["process"])

    after_outage = [lockout.register_failure("alice", "203.0.113.7") for _ in range(5)]

    assert after_outage == [0, 0, 0, 0, 0]
    assert lockout.seconds_locked("alice", "203.0.113.7") == 0


def _backend(url: str) -> ResilientRedisCache:
    """A backend as Django makes one for each request under ASGI."""
    return ResilientRedisCache(url, {"KEY_PREFIX": "test", "TIMEOUT": 60})


def test_resilient_cache_backends_of_one_location_share_their_connection(redis_server):
    for n in range(20):
        backend = _backend(redis_server["url"])
        backend.set("figure", n)
        assert backend.get("figure") == n

    clients = redis.Redis.from_url(redis_server["url"]).info("clients")["connected_clients"]
    assert clients <= 2  # this check's own and the backends' one; not one per backend


def test_resilient_cache_outage_met_by_one_backend_spares_the_next(redis_server):
    first = _backend(redis_server["url"])
    livestack.stop(redis_server["process"])
    assert first.get("figure", "recomputed") == "recomputed"

    second = _backend(redis_server["url"])

    assert second.is_degraded  # answers at once, without waiting on the dead server
    assert second.get("figure", "recomputed") == "recomputed"


def test_resilient_cache_reads_from_several_servers_each_through_its_own_pool():
    # No server listens: pools and clients are made without connecting.
    ports = [livestack.free_port() for _ in range(3)]
    location = ";".join(f"redis://127.0.0.1:{port}/0" for port in ports)
    client = _backend(location)._cache

    for _ in range(40):  # reads pick server 1 or 2 at random
        client.get_client()
    client.get_client(write=True)  # writes go to server 0

    kept = client._clients
    assert sorted(kept) == [0, 1, 2]
    for index, redis_client in kept.items():
        assert redis_client.connection_pool.connection_kwargs["port"] == ports[index]
