"""Job leases: a retry of the same task takes its own lease back, another run does not get
it, and a heartbeat that cannot reach the cache says so and keeps the run going."""

import logging
import time

from django.core.cache import caches

from apps.bulkio import leases


def test_lease_claimed_again_by_the_same_task_is_granted_and_refused_to_another():
    assert leases.claim("import", 41, "task-1")

    again = leases.claim("import", 41, "task-1")
    other = leases.claim("import", 41, "task-2")

    assert (again, other) == (True, False)
    assert leases.holder("import", 41) == "task-1"


def test_lease_heartbeat_that_cannot_reach_the_cache_logs_and_the_run_goes_on(
    settings, monkeypatch, caplog
):
    settings.SMS_JOB_LEASE_SECONDS = 1

    def unreachable(*args, **kwargs):
        raise ConnectionError("cache is down")

    with (
        caplog.at_level(logging.WARNING, logger="apps.bulkio.leases"),
        leases.hold("export", 42, "task-1") as held,
    ):
        # The heartbeat thread has its own cache connection: fail them all.
        monkeypatch.setattr(type(caches["default"]), "set", unreachable)
        time.sleep(0.8)
        monkeypatch.undo()
        finished = True

    assert held and finished
    assert any("could not renew the lease" in r.getMessage() for r in caplog.records)
    assert not leases.is_held("export", 42)
