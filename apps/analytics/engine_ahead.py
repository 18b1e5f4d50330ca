"""A SQLite rebuild's engine rows of the next chunk of students, computed in a helper
process while this one writes the current chunk.

SQLite takes one writer at a time, so a rebuild there writes its chunks one after the
other on one connection (``overlap`` shares them between two connections on PostgreSQL
only). What another process can do beside that writer is read: the grade engine's
reads and Python for the next chunk, a third of a rebuild (large demo, a chunk of 1,000
students: the engine 1.7 s, writing its rows 0.4 s, the rollups ~3.5 s). A process, not
a thread: a thread beside the writer slowed the writer's statements by as much as it
saved. Its own interpreter (``engine_helper``), not a ``multiprocessing`` child: those
re-run the parent's main script, which a script without a ``__main__`` guard cannot
take.

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
import pickle
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.academics.models import Student
from apps.analytics.models import StudentResult

if TYPE_CHECKING:
    from apps.analytics.results import EngineRows

logger = logging.getLogger(__name__)

Chunk = list[int]

# Subtracted from the moment the helper starts a chunk: a refresh in the second before it
# also counts as one that came between (the clock of the process that wrote it may differ
# by as much), which costs only an inline computation.
CLOCK_MARGIN = dt.timedelta(seconds=1)
# How long a helper that was told to stop may take to end before it is killed.
STOP_SECONDS = 30


class Helper(Protocol):
    """Computes one chunk at a time: ``start`` hands it over, ``result`` waits for its
    rows (and raises if it could not compute them)."""

    def start(self, chunk: Chunk) -> None: ...
    def result(self) -> EngineRows: ...
    def close(self) -> None: ...


class HelperFailed(Exception):
    pass


def can_compute_ahead() -> bool:
    return (
        connection.vendor == "sqlite"
        and not connection.is_in_memory_db()
        and not connection.in_atomic_block
    )


class HelperProcess:
    """``engine_helper`` in a process of its own, on this connection's database file."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed module
            [
                sys.executable,
                "-m",
                "apps.analytics.engine_helper",
                str(connection.settings_dict["NAME"]),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=settings.BASE_DIR,
        )

    def start(self, chunk: Chunk) -> None:
        pickle.dump(chunk, self._process.stdin)
        self._process.stdin.flush()

    def result(self) -> EngineRows:
        try:
            kind, value = pickle.load(self._process.stdout)
        except EOFError as error:
            raise HelperFailed(f"the helper ended (exit {self._process.poll()})") from error
        if kind != "rows":
            raise HelperFailed(value)
        return value

    def close(self) -> None:
        """Its input ends and its answers go unread: it stops, also half way through an
        answer (a rebuild that failed)."""
        try:
            self._process.stdin.close()
            self._process.stdout.close()
            self._process.wait(STOP_SECONDS)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()


class EngineAhead:
    """``with EngineAhead(chunks, engine_rows) as ahead: ahead.rows(i)``: the engine rows
    of ``chunks[i]`` (``compute``, ``results.engine_rows``, the function the helper
    runs), taken in order, inside the transaction that writes them; while the caller
    writes chunk i, the helper computes chunk i + 1."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        compute: Callable[[Chunk], EngineRows],
        *,
        enabled: bool | None = None,
        helper: Callable[[], Helper] = HelperProcess,
    ) -> None:
        self.chunks = chunks
        self.compute = compute
        self.enabled = (can_compute_ahead() if enabled is None else enabled) and len(chunks) > 1
        self._new_helper = helper
        self._helper: Helper | None = None
        # The chunks handed to the helper and not yet taken (it answers in that order),
        # with when each was handed over: it starts reading them no earlier.
        self._pending: dict[int, dt.datetime] = {}
        self.computed_ahead = 0

    def __enter__(self) -> EngineAhead:
        if self.enabled:
            try:
                self._helper = self._new_helper()
            except OSError:
                logger.warning("analytics: no helper process for the rebuild", exc_info=True)
            # The caller computes the first chunk while the helper starts.
            self._submit(1)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop_helper()

    def _stop_helper(self) -> None:
        helper, self._helper = self._helper, None
        self._pending.clear()
        if helper is not None:
            helper.close()

    def _failed(self, what: str) -> None:
        logger.warning("analytics: %s; the rebuild goes on without it", what, exc_info=True)
        self._stop_helper()

    def _submit(self, index: int) -> None:
        if self._helper is None or index >= len(self.chunks) or index in self._pending:
            return
        try:
            self._helper.start(self.chunks[index])
        except (OSError, pickle.PickleError):
            self._failed("the helper process could not take a chunk")
            return
        self._pending[index] = timezone.now() - CLOCK_MARGIN

    def rows(self, index: int) -> EngineRows:
        self._submit(index + 1)  # queued behind this one: the helper goes straight on
        rows = self._rows_ahead(index)
        if rows is not None:
            self.computed_ahead += 1
            return rows
        return self.compute(self.chunks[index])

    def _rows_ahead(self, index: int) -> EngineRows | None:
        """The helper's rows of chunk ``index``, if it computed them and no write to its
        students came since it started."""
        started = self._pending.pop(index, None)
        if self._helper is None or started is None:
            return None
        try:
            rows = self._helper.result()
        except (HelperFailed, OSError, pickle.PickleError):
            self._failed("the helper process failed a chunk")
            return None
        return None if _written_since(self.chunks[index], rows, started) else rows


def _written_since(chunk: Chunk, rows: EngineRows, started: dt.datetime) -> bool:
    """Whether a write to a student of the chunk came after ``started``: their stored
    row was refreshed since, or a student of the rows is no longer live."""
    if StudentResult.objects.filter(student_id__in=chunk, computed_at__gte=started).exists():
        return True
    computed = {values["student_id"] for values in rows.students}
    live = set(Student.objects.filter(pk__in=computed).values_list("pk", flat=True))
    return live != computed
