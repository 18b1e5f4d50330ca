"""Share the steps of a long rebuild between the caller and a helper thread that has a
database connection of its own.

A rebuild mixes two kinds of work: the grade engine in Python (this process's CPU) and
the rollups' and slots' ``INSERT … SELECT`` statements (the database server's CPU). On
PostgreSQL they use different processes, so the caller computes the engine rows of each
chunk of students while the helper writes the statements queued so far; once the caller
has no engine work left, it takes queued steps too, until none is left. Each queued step
commits on its own, as the chunked rebuild already does. The first step that fails stops
the others from starting, and its error is raised in the caller (at the next ``submit``
or at the end).

The steps run inline, each in a transaction (a savepoint inside the caller's), in the
order submitted, when a helper could change what a reader sees or cannot help: on SQLite
(one writer at a time: the second connection would wait for the lock the first holds),
and inside an open transaction (the second connection would not see its uncommitted
rows, as in tests that run in one).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

Step = tuple[Callable[..., Any], tuple[Any, ...]]


def can_overlap() -> bool:
    return connection.vendor == "postgresql" and not connection.in_atomic_block


class Overlapped:
    """``with Overlapped() as steps: steps.submit(step, chunk)``: the helper runs submitted
    steps in order, each in its own transaction, while the caller goes on; leaving the
    block, the caller runs what is still queued beside the helper and waits for it."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = can_overlap() if enabled is None else enabled
        self._queue: queue.SimpleQueue[Step | None] = queue.SimpleQueue()
        self._failure: BaseException | None = None
        self._cancelled = False
        self._helper: threading.Thread | None = None

    def submit(self, step: Callable[..., Any], *args: Any) -> None:
        self._raise_failure()
        if self._helper is None:
            with transaction.atomic():
                step(*args)
            return
        self._queue.put((step, args))

    def _help(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                self._run(item)
        finally:
            # The helper's own connection: not returned to a pool, never reused by a request.
            connection.close()

    def _run(self, item: Step) -> None:
        if self._failure is not None or self._cancelled:
            return
        step, args = item
        try:
            with transaction.atomic():
                step(*args)
        except BaseException as error:  # noqa: BLE001 - handed to the caller
            self._failure = self._failure or error

    def _drain_here(self) -> None:
        while True:  # the stop signal (None) is queued only after this
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            self._run(item)

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def __enter__(self) -> Overlapped:
        if self.enabled:
            self._helper = threading.Thread(target=self._help, name="rebuild-helper")
            self._helper.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        if self._helper is None:
            return
        if exc_type is None:
            self._drain_here()
        else:  # the caller's own error is the one to see: start nothing more
            self._cancelled = True
        self._queue.put(None)
        self._helper.join()
        if exc_type is None:
            self._raise_failure()
