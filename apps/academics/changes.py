"""The one change hook: every write of school data is announced once, on commit.

Writers (the services, the batch services, imports, rollbacks, the seed, and any model
save through the collector in ``apps.academics.signals``) call ``record_change``. What a
transaction records is merged into one ``Change`` and sent as the ``records_changed``
signal when the outermost transaction commits (at once in autocommit mode). A rolled-back
transaction sends nothing. Other apps learn of writes through this signal and nothing else:
analytics forgets cached figures and refreshes stored results, the notice rules
(``apps.academics.notices``) tell people.

``write_source("api")`` names where writes come from (page, api, admin, import, rollback,
seed); the request middleware sets it per request.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

# Kinds of record a change can touch.
STUDENT, COURSE, ENROLLMENT = "student", "course", "enrollment"
GRADE, ATTENDANCE, DAILY_PERFORMANCE, TEACHERS = (
    "grade",
    "attendance",
    "daily_performance",
    "teachers",
)
KINDS = frozenset({STUDENT, COURSE, ENROLLMENT, GRADE, ATTENDANCE, DAILY_PERFORMANCE, TEACHERS})

# Sent with ``change=Change`` once per committed transaction that wrote school data.
records_changed = Signal()

_source: contextvars.ContextVar[str] = contextvars.ContextVar("sms_write_source", default="app")
_origin: contextvars.ContextVar[str] = contextvars.ContextVar("sms_write_origin", default="")


@dataclass(frozen=True)
class Change:
    """What one transaction changed, merged from every ``record_change`` inside it.

    ``grades_posted`` maps a grade id to whether it was an update of an existing grade;
    ``absences`` maps an attendance id to its status before the write (``None`` when new).
    ``origin`` names what caused the writes (``import:12``) so that the notices they raise
    can be withdrawn with it; ``reverted_origins`` lists origins a rollback undid.
    """

    kinds: frozenset[str]
    student_ids: frozenset[int]
    course_ids: frozenset[int]
    actor_id: int | None = None
    source: str = "app"
    origin: str = ""
    grades_posted: dict[int, bool] = field(default_factory=dict)
    absences: dict[int, str | None] = field(default_factory=dict)
    reverted_origins: frozenset[str] = frozenset()
    everything: bool = False

    def merged(self, other: Change) -> Change:
        return replace(
            self,
            kinds=self.kinds | other.kinds,
            student_ids=self.student_ids | other.student_ids,
            course_ids=self.course_ids | other.course_ids,
            actor_id=self.actor_id if self.actor_id is not None else other.actor_id,
            origin=self.origin or other.origin,
            grades_posted={**other.grades_posted, **self.grades_posted},
            absences={**other.absences, **self.absences},
            reverted_origins=self.reverted_origins | other.reverted_origins,
            everything=self.everything or other.everything,
        )


def record_change(
    *,
    kinds: Iterable[str],
    student_ids: Iterable[int] = (),
    course_ids: Iterable[int] = (),
    actor=None,
    source: str | None = None,
    origin: str | None = None,
    grades_posted: dict[int, bool] | None = None,
    absences: dict[int, str | None] | None = None,
    reverted_origins: Iterable[str] = (),
    everything: bool = False,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """Remember what a write touched; ``records_changed`` goes out once, on commit."""
    kinds = frozenset(kinds)
    unknown = kinds - KINDS
    if unknown:
        raise ValueError(f"Unknown record kinds: {sorted(unknown)}")
    change = Change(
        kinds=kinds,
        student_ids=frozenset(pk for pk in student_ids if pk is not None),
        course_ids=frozenset(pk for pk in course_ids if pk is not None),
        actor_id=getattr(actor, "pk", actor),
        source=source or _source.get(),
        origin=_origin.get() if origin is None else origin,
        grades_posted=dict(grades_posted or {}),
        absences=dict(absences or {}),
        reverted_origins=frozenset(reverted_origins),
        everything=everything,
    )
    _Pending.add(connections[using], change)


def uncommitted_change(using: str = DEFAULT_DB_ALIAS) -> Change | None:
    """What the open transaction has recorded so far (for reads inside that transaction)."""
    return _Pending.current(connections[using])


@contextlib.contextmanager
def write_source(source: str, *, origin: str | None = None) -> Iterator[None]:
    """Writes inside the block are recorded as coming from ``source`` (and ``origin``)."""
    source_token = _source.set(source)
    origin_token = _origin.set(origin) if origin is not None else None
    try:
        yield
    finally:
        _source.reset(source_token)
        if origin_token is not None:
            _origin.reset(origin_token)


def current_source() -> str:
    return _source.get()


class _Pending:
    """The merged change of a connection's open transaction, and its one on-commit send.

    Kept on the connection (one per thread). A transaction that rolls back drops its
    on-commit callback; the next record notices the callback is gone and starts afresh,
    so nothing recorded by rolled-back work is ever announced.
    """

    ATTRIBUTE = "_sms_pending_change"

    @classmethod
    def current(cls, connection) -> Change | None:
        state = getattr(connection, cls.ATTRIBUTE, None)
        if state is None or not cls._still_registered(connection, state[1]):
            return None
        return state[0]

    @classmethod
    def add(cls, connection, change: Change) -> None:
        if not connection.in_atomic_block:
            _send(change)
            return
        state = getattr(connection, cls.ATTRIBUTE, None)
        if state is not None and cls._still_registered(connection, state[1]):
            setattr(connection, cls.ATTRIBUTE, (state[0].merged(change), state[1]))
            return

        def send_pending() -> None:
            pending = getattr(connection, cls.ATTRIBUTE, None)
            setattr(connection, cls.ATTRIBUTE, None)
            if pending is not None and pending[1] is send_pending:
                _send(pending[0])

        setattr(connection, cls.ATTRIBUTE, (change, send_pending))
        transaction.on_commit(send_pending, using=connection.alias)

    @staticmethod
    def _still_registered(connection, callback) -> bool:
        return any(entry[1] is callback for entry in connection.run_on_commit)


def _send(change: Change) -> None:
    for receiver, response in records_changed.send_robust(sender=Change, change=change):
        if isinstance(response, Exception):
            logger.error(
                "records_changed receiver %r failed",
                receiver,
                exc_info=(type(response), response, response.__traceback__),
            )
