"""Run one step of a long rebuild on a second database connection while this thread
computes the next step.

A rebuild alternates two kinds of work per chunk of students: the grade engine in Python
(this process's CPU) and the rollups' ``INSERT … SELECT`` statements (the database
server's CPU). On PostgreSQL they use different processes, so writing a chunk's rollups
on a second connection while the engine computes the next chunk takes the longer of the
two instead of their sum. Each step commits on its own, as the chunked rebuild already
does, and a step's error is raised in the caller at the next ``submit`` or at the end.

It runs the steps inline (in the caller's connection and transaction) when overlapping
could change what a reader sees or cannot help: on SQLite (one writer at a time: the
second connection would wait for the lock the first holds), and inside an open
transaction (the second connection would not see its uncommitted rows, as in tests that
run in one).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.db import connection, transaction


def can_overlap() -> bool:
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _in_own_transaction(step: Callable[..., Any], *args: Any) -> None:
    try:
        with transaction.atomic():
            step(*args)
    finally:
        # The thread's own connection: not returned to a pool, never reused by a request.
        connection.close()


class Overlapped:
    """``with Overlapped() as background: background.submit(step, chunk)``: at most one
    step runs beside the caller, in a transaction of its own; the next ``submit`` waits
    for it first. Inline, a step runs in the caller's transaction."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = can_overlap() if enabled is None else enabled
        self._pool = ThreadPoolExecutor(max_workers=1) if self.enabled else None
        self._running: Future | None = None

    def submit(self, step: Callable[..., Any], *args: Any) -> None:
        if self._pool is None:
            step(*args)
            return
        self.wait()
        self._running = self._pool.submit(_in_own_transaction, step, *args)

    def wait(self) -> None:
        running, self._running = self._running, None
        if running is not None:
            running.result()

    def __enter__(self) -> Overlapped:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        try:
            self.wait()
        except Exception:
            if exc_type is None:  # the caller's own error, if any, is the one to see
                raise
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
