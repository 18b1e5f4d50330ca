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

On SQLite, deleting a chunk's old rows was a third of a full rebuild's rollup writes, so
a full rebuild there (``results.rebuild_results``) empties the rollup tables first, in the
commit that marks them stale (``empty_for_rebuild``): until it ends, the ranged figures
are the live engine's, as after an upgrade. A figure computed from the rollups while that
commit came (``consistently``) checks the state once it is done, and is computed again
by the live engine if they stopped being current meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from apps.academics.models import Student
from apps.analytics.models import (
    AttendanceDay,
    DailyPerformanceDay,
    GradeDay,
    RollupState,
    TrendSegment,
)
from apps.analytics.rollups import ALL_TABLES, ROLLUPS_VERSION, write_rollups

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
    if current_in_database():
        _remember_current()
        return True
    return False


def _remember_current() -> None:
    try:
        cache.set(VERSION_KEY, ROLLUPS_VERSION, VERSION_SECONDS)
    except Exception:
        logger.warning("analytics: cache unavailable for %s", VERSION_KEY, exc_info=True)


def _forget_current() -> None:
    try:
        cache.delete(VERSION_KEY)
    except Exception:  # noqa: BLE001 - the database answers each time meanwhile
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


# --- Emptied by a SQLite rebuild ------------------------------------------------------------
def rebuild_empties() -> bool:
    """Whether a full rebuild empties the rollups before writing them: on SQLite, where
    deleting the old rows chunk by chunk cost a third of their writes (PostgreSQL only
    marks them dead, and its rebuild reads them meanwhile)."""
    return connection.vendor == "sqlite"


def current_in_database() -> bool:
    return stored_version() >= ROLLUPS_VERSION


def empty_for_rebuild() -> bool:
    """Before a full rebuild writes every rollup (SQLite): in one commit, mark them stale
    and delete every row; True when done. Not done (False) while another rebuild is
    queued or running, or without the cache to say so, or while they are stale: the
    rebuild then replaces the rows chunk by chunk. The caller holds the rebuild lock until
    ``release_rebuild_lock`` (``request_rebuild`` queues nothing meanwhile).

    Only current rollups are emptied: while they are stale, a rebuild may be writing
    them in another process that does not share this cache (a command run without the
    site's ``REDIS_URL``), and emptying would drop what it wrote before it records them
    current. The state is read in the emptying's own transaction, which SQLite's write
    lock keeps from interleaving with that record."""
    if not rebuild_empties():
        return False
    try:
        locked = cache.add(REBUILD_LOCK, 1, REBUILD_LOCK_SECONDS)
    except Exception:  # noqa: BLE001 - no cache, no lock: replace chunk by chunk
        logger.warning("analytics: cache unavailable, rollups not emptied", exc_info=True)
        return False
    if not locked:
        return False
    with transaction.atomic():
        if not current_in_database():
            release_rebuild_lock()
            return False
        RollupState.objects.update_or_create(pk=1, defaults={"version": 0})
        for model in ALL_TABLES:
            model.objects.all().delete()  # SQLite drops the pages, not row by row
        transaction.on_commit(_forget_current)
    return True


def record_rebuilt_unless_emptied(*, was_current: bool, emptied: bool) -> None:
    """The end of a full rebuild: ``record_rebuilt``, except for a rebuild that replaced
    the rows chunk by chunk while another one emptied them (they were current when it
    started and are stale now): the rows it wrote before that emptying are gone, and the
    emptying rebuild records them once it has written them again."""
    with transaction.atomic():
        if emptied or not was_current or current_in_database():
            record_rebuilt()


# Whether the figure computed in this context (``consistently``) has read the rollups,
# or has found them stale and runs on the live engine.
UNREAD, READ, STALE = "unread", "read", "stale"
_reading: ContextVar[str | None] = ContextVar("analytics_rollup_reading", default=None)

T = TypeVar("T")


def consistently(compute: Callable[[], T]) -> T:
    """``compute()``, whose reads of the rollups all saw them current. Where a rebuild
    empties them (``empty_for_rebuild``) in the commit that marks them stale, a figure
    that read them and finds them stale afterwards may have read them half empty: it is
    computed again, on the live engine."""
    if not rebuild_empties():
        return compute()
    token = _reading.set(UNREAD)
    try:
        value = compute()
        if _reading.get() == READ and not current_in_database():
            # A reader that found them current just before the emptying committed may
            # have cached that after the emptying's own delete: the next ones ask again.
            _forget_current()
            _reading.set(STALE)
            value = compute()
        return value
    finally:
        _reading.reset(token)


def readable() -> bool:
    """``rollups_current()``, queueing the rebuild when they are not: what a ranged
    figure asks before reading them."""
    reading = _reading.get()
    if reading == STALE:
        return False
    if rollups_current():
        if reading == UNREAD:
            _reading.set(READ)
        return True
    request_rebuild()
    return False
