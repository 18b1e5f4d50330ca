"""A SQLite rebuild's engine rows of the next chunk of students, computed in a helper
process while this one writes the current chunk.

SQLite takes one writer at a time, so a rebuild there writes its chunks one after the
other on one connection (``overlap`` shares them between two connections on PostgreSQL
only). What another process can do beside that writer is read: the grade engine's
reads and Python for the next chunk, a third of a rebuild (large demo, a chunk of 1,000
students: the engine 1.7 s, writing its rows 0.4 s, the rollups ~3.5 s). A process, not
a thread: a thread beside the writer slowed the writer's statements by as much as it
saved.

A chunk's rows computed ahead are stale if a write to one of its students committed
after the helper read them. The caller takes them inside its chunk's transaction, which
holds SQLite's write lock, and checks what such a write leaves behind: its refresh
(``refresh_for_change``) has rewritten the student's ``StudentResult`` since the helper
started, or the student is gone. A write whose refresh has not run yet is harmless: the
refresh waits for the lock and writes after the chunk. Then, as when the helper failed,
the caller computes the chunk itself, as an inline rebuild does.

The helper runs only where it can see what the caller sees: a database file (not the
in-memory one of the tests), outside an open transaction, and a process that may start
children. Elsewhere every chunk is computed inline.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import TYPE_CHECKING

from django.db import connection
from django.utils import timezone

from apps.academics.models import Student
from apps.analytics.models import StudentResult
from sms.helper_process import start_django

if TYPE_CHECKING:
    from apps.analytics.results import EngineRows

logger = logging.getLogger(__name__)

Chunk = list[int]

# Subtracted from the moment the helper starts a chunk: a refresh in the second before it
# also counts as one that came between (the clock of the process that wrote it may differ
# by as much), which costs only an inline computation.
CLOCK_MARGIN = dt.timedelta(seconds=1)


def can_compute_ahead() -> bool:
    return (
        connection.vendor == "sqlite"
        and not connection.is_in_memory_db()
        and not connection.in_atomic_block
        and not multiprocessing.current_process().daemon
    )


def helper_pool() -> ProcessPoolExecutor:
    # spawn: a forked child would inherit the caller's open SQLite connection.
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=start_django,
        initargs=(str(connection.settings_dict["NAME"]),),
    )


class EngineAhead:
    """``with EngineAhead(chunks, engine_rows) as ahead: ahead.rows(i)``: the engine rows
    of ``chunks[i]`` (``compute``: ``results.engine_rows``, a function the helper can
    import), taken in order, inside the transaction that writes them; while the caller
    writes chunk i, the helper computes chunk i + 1."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        compute: Callable[[Chunk], EngineRows],
        *,
        enabled: bool | None = None,
        pool: Callable[[], Executor] = helper_pool,
    ) -> None:
        self.chunks = chunks
        self.compute = compute
        self.enabled = (can_compute_ahead() if enabled is None else enabled) and len(chunks) > 1
        self._pool_factory = pool
        self._pool: Executor | None = None
        self._ahead: dict[int, tuple[Future, dt.datetime]] = {}
        self.computed_ahead = 0

    def __enter__(self) -> EngineAhead:
        if self.enabled:
            self._pool = self._pool_factory()
            # The caller computes the first chunk while the helper starts.
            self._submit(1)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _submit(self, index: int) -> None:
        if self._pool is None or index >= len(self.chunks) or index in self._ahead:
            return
        started = timezone.now() - CLOCK_MARGIN
        self._ahead[index] = (self._pool.submit(self.compute, self.chunks[index]), started)

    def rows(self, index: int) -> EngineRows:
        self._submit(index + 1)
        chunk = self.chunks[index]
        ahead = self._ahead.pop(index, None)
        if ahead is not None:
            future, started = ahead
            try:
                rows = future.result()
            except Exception:  # noqa: BLE001 - the caller computes it instead
                logger.warning("analytics: engine rows computed ahead failed", exc_info=True)
            else:
                if not _written_since(chunk, rows, started):
                    self.computed_ahead += 1
                    return rows
        return self.compute(chunk)


def _written_since(chunk: Chunk, rows: EngineRows, started: dt.datetime) -> bool:
    """Whether a write to a student of the chunk came after ``started``: their stored
    row was refreshed since, or a student of the rows is no longer live."""
    if StudentResult.objects.filter(student_id__in=chunk, computed_at__gte=started).exists():
        return True
    computed = {values["student_id"] for values in rows.students}
    live = set(Student.objects.filter(pk__in=computed).values_list("pk", flat=True))
    return live != computed
