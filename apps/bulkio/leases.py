"""Who is running a job right now: a lease in the shared cache, kept alive by a heartbeat.

A run of an import or export step holds its job's lease while it works; a heartbeat
thread renews it every third of ``SMS_JOB_LEASE_SECONDS``. A worker that dies (kill -9,
out of memory, a hard time limit) stops renewing, and the lease lapses within that time:
recovery then knows no live process is working on the job. The lease lives in the cache
(Redis, shared by every process), not in the job's row, because an apply holds one long
database transaction that hides (SQLite: blocks) any write to the row from outside.

A retry of the same Celery task carries the same task id, so it takes over its own lease.

Beside the lease, a marker says a step's message was sent and no run has taken it yet, so
recovery does not send a second one for a job merely waiting in the queue. The marker is
written after the message, to the same Redis: a Redis that loses the message (a restart
without persistence) loses the marker with it, and recovery sends the message again.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def lease_seconds() -> int:
    return settings.SMS_JOB_LEASE_SECONDS


def _key(kind: str, job_id: int) -> str:
    return f"bulkio:{kind}:{job_id}:lease"


def holder(kind: str, job_id: int) -> str | None:
    """The token of the run holding the job, or None."""
    return cache.get(_key(kind, job_id))


def is_held(kind: str, job_id: int) -> bool:
    return holder(kind, job_id) is not None


def claim(kind: str, job_id: int, token: str) -> bool:
    """Take the lease unless another run holds it. An unreachable cache (answers neither
    yes nor a holder) lets the run go ahead: a job is better run than stuck."""
    key = _key(kind, job_id)
    if cache.add(key, token, lease_seconds()):
        return True
    holder = cache.get(key)
    if holder is None or holder == token:
        cache.set(key, token, lease_seconds())
        return True
    return False


def release(kind: str, job_id: int, token: str) -> None:
    key = _key(kind, job_id)
    if cache.get(key) == token:
        cache.delete(key)


def _renew(key: str, token: str, stop: threading.Event) -> None:
    while not stop.wait(max(0.2, lease_seconds() / 3)):
        try:
            cache.set(key, token, lease_seconds())
        except Exception:  # the next beat tries again; the run itself goes on
            logger.warning("could not renew the lease %s", key, exc_info=True)


@contextmanager
def hold(kind: str, job_id: int, token: str | None = None) -> Iterator[bool]:
    """``with hold(...) as held:`` — ``held`` is False when another run has the job.

    On an exception the lease is left to lapse instead of being released, so a retry of
    the same task (same token) finds it again and recovery does not step in between.
    """
    token = token or uuid.uuid4().hex
    if not claim(kind, job_id, token):
        yield False
        return
    stop = threading.Event()
    heartbeat = threading.Thread(
        target=_renew, args=(_key(kind, job_id), token, stop), name="job-lease", daemon=True
    )
    heartbeat.start()
    try:
        yield True
    finally:
        stop.set()
        heartbeat.join()
    release(kind, job_id, token)


# A message waits in the queue for a day at most, in any sane deployment.
SENT_SECONDS = 86_400


def _sent_key(kind: str, job_id: int, step: str) -> str:
    return f"bulkio:{kind}:{job_id}:{step}:sent"


def mark_sent(kind: str, job_id: int, step: str) -> None:
    cache.set(_sent_key(kind, job_id, step), 1, SENT_SECONDS)


def clear_sent(kind: str, job_id: int, step: str) -> None:
    """A run took the step's message."""
    cache.delete(_sent_key(kind, job_id, step))


def resend_needed(kind: str, job_id: int, step: str) -> bool:
    """True, once, when no message of the step is waiting: the caller sends one. Several
    workers recovering together send one message between them."""
    return cache.add(_sent_key(kind, job_id, step), 1, SENT_SECONDS)
