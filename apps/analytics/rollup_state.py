"""Whether the daily rollups can be read (``RollupState``), and the one rebuild that makes
them readable when they cannot.

A database migrated to the rollup tables with a school's records already in it has them
empty (or partial: the refresh fills them only for the students a change touches), and a
range read from them would answer "no data" without any error. So the ranged figures
(``apps/analytics/ranged``) ask ``rollups_current()`` first: while the rollups are not
built by this code's ``ROLLUPS_VERSION``, they come from the live engine (the reference:
exact, slower), and the first such request queues one rebuild (``request_rebuild``: a
Celery task behind a cache lock, also queued when a worker starts). The rebuild replaces
every rollup row and records the version in the same transaction.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from apps.academics.models import Student
from apps.analytics.models import (
    AttendanceDay,
    DailyPerformanceDay,
    GradeDay,
    RollupState,
    TrendSegment,
)
from apps.analytics.rollups import ROLLUPS_VERSION, write_rollups

logger = logging.getLogger(__name__)

# The version the database's rollups were built by, as last read: a current answer is
# kept 5 minutes (a stale one is never cached, so a finished rebuild is seen at once).
VERSION_KEY = "analytics:rollups:version"
VERSION_SECONDS = 5 * 60
# Held from the moment a rebuild is queued until it has finished (or failed): requests
# that arrive meanwhile queue nothing. It expires on its own if no worker takes the task.
REBUILD_LOCK = "analytics:rollups:rebuild"
# Longer than the task's hard limit (SMS_LONG_TASK_TIME_LIMIT, 660 s): it also covers the
# wait in the queue behind long imports. It is not the task's time limit.
REBUILD_LOCK_SECONDS = 30 * 60
# Students per transaction of the queued rebuild.
REBUILD_CHUNK = 500


def _cache_get(key: str):
    try:
        return cache.get(key)
    except Exception:  # the cache is down: the database answers
        logger.warning("analytics: cache unavailable for %s", key, exc_info=True)
        return None


def stored_version() -> int:
    """The rollups' version in the database; no row means nothing was ever rolled up,
    which any version reads correctly."""
    row = RollupState.objects.filter(pk=1).values_list("version", flat=True).first()
    return ROLLUPS_VERSION if row is None else row


def rollups_current() -> bool:
    """Whether the daily rollups hold every counted record, written by this code."""
    if _cache_get(VERSION_KEY) == ROLLUPS_VERSION:
        return True
    if stored_version() >= ROLLUPS_VERSION:
        _remember_current()
        return True
    return False


def _remember_current() -> None:
    try:
        cache.set(VERSION_KEY, ROLLUPS_VERSION, VERSION_SECONDS)
    except Exception:
        logger.warning("analytics: cache unavailable for %s", VERSION_KEY, exc_info=True)


def record_rebuilt() -> None:
    """Inside the transaction of a full rebuild: every rollup row is this code's."""
    RollupState.objects.update_or_create(
        pk=1, defaults={"version": ROLLUPS_VERSION, "built_at": timezone.now()}
    )
    cache.delete(VERSION_KEY)
    transaction.on_commit(_remember_current)


def record_first_write() -> None:
    """Inside a refresh of some students: a database whose rollups were never written
    (a new site) has them complete from its first write on, at this code's version; a
    recorded state (stale or not) stays as it is."""
    RollupState.objects.get_or_create(pk=1, defaults={"version": ROLLUPS_VERSION})


def request_rebuild() -> bool:
    """Queue the rebuild unless one is queued or running; True when this call queued it."""
    try:
        queued = cache.add(REBUILD_LOCK, 1, REBUILD_LOCK_SECONDS)
    except Exception:  # no cache, no lock: the worker's start and the command still rebuild
        logger.warning("analytics: cache unavailable, rollup rebuild not queued", exc_info=True)
        return False
    if queued:
        from apps.analytics.tasks import rebuild_rollups  # tasks import the selectors

        transaction.on_commit(rebuild_rollups.delay)
    return queued


def rebuild_rollups(*, chunk: int = REBUILD_CHUNK) -> None:
    """Replace every rollup row, a chunk of students per transaction, then record them
    current. It runs on a live site (the queued task): each transaction holds the write
    lock (SQLite) and the rows of its students (PostgreSQL) for a few seconds, as a
    refresh does, instead of the whole school's for a minute and more; readers use the
    live engine until the last step commits. Students are every row of ``Student`` and
    every student with rollup rows (rows of removed students go too)."""
    students = set(Student.all_objects.values_list("pk", flat=True))
    for model in (GradeDay, DailyPerformanceDay, AttendanceDay, TrendSegment):
        students.update(model.objects.order_by().values_list("student_id", flat=True).distinct())
    ordered = sorted(students)
    for start in range(0, len(ordered), chunk):
        with transaction.atomic():
            write_rollups(ordered[start : start + chunk])
    with transaction.atomic():
        record_rebuilt()


def release_rebuild_lock() -> None:
    cache.delete(REBUILD_LOCK)


def readable() -> bool:
    """``rollups_current()``, queueing the rebuild when they are not: what a ranged
    figure asks before reading them."""
    if rollups_current():
        return True
    request_rebuild()
    return False
