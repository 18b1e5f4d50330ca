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
from collections.abc import Callable, Iterable, Iterator
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
    ``grade_categories`` maps a course to the raw grade categories a grade write touched
    there (before and after it), so that only those categories' grade figures are redone;
    a course of a grade change without an entry had any of its grades changed.
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
    grade_categories: dict[int, frozenset[str]] = field(default_factory=dict)
    reverted_origins: frozenset[str] = frozenset()
    everything: bool = False
    # The part that reads inside the transaction did not take (``take_uncommitted``);
    # None when none took any, i.e. the whole change.
    untaken: Change | None = None

    def __bool__(self) -> bool:
        return bool(self.kinds or self.everything)

    @property
    def not_yet_applied(self) -> Change:
        """What a listener that also reads inside transactions still has to apply."""
        return self if self.untaken is None else self.untaken


EMPTY = Change(kinds=frozenset(), student_ids=frozenset(), course_ids=frozenset())


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
    grade_categories: dict[int, Iterable[str]] | None = None,
    reverted_origins: Iterable[str] = (),
    everything: bool = False,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """Remember what a write touched; ``records_changed`` goes out once, on commit.

    A grade writer that knows every category it touched (before and after the write) in
    a course passes them in ``grade_categories``; any course of ``course_ids`` it leaves
    out counts as wholly touched."""
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
        grade_categories={
            pk: frozenset(categories)
            for pk, categories in (grade_categories or {}).items()
            if pk is not None
        },
        reverted_origins=frozenset(reverted_origins),
        everything=everything,
    )
    _Pending.add(connections[using], change)


def uncommitted_change(using: str = DEFAULT_DB_ALIAS) -> Change | None:
    """What the open transaction has recorded so far."""
    return _Pending.current(connections[using])


def take_uncommitted(using: str = DEFAULT_DB_ALIAS) -> Change:
    """For a read inside the open transaction: what it recorded since the last take.

    Analytics applies it before reading its stored figures; the change announced at
    commit then says, in ``untaken``, what was recorded after the last take.
    """
    return _Pending.take(connections[using])


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


class _Merge:
    """Changes merged in place (a seed or a cascade may record thousands of times);
    ``snapshot()`` is the frozen ``Change``, rebuilt only after something new arrived."""

    def __init__(self, first: Change):
        self.first = first
        self.kinds = set(first.kinds)
        self.student_ids = set(first.student_ids)
        self.course_ids = set(first.course_ids)
        self.actor_id, self.origin, self.source = first.actor_id, first.origin, first.source
        self.grades_posted = dict(first.grades_posted)
        self.absences = dict(first.absences)
        self.grade_categories: dict[int, set[str]] = {}
        self.whole_grade_courses: set[int] = set()
        self._add_grade_categories(first)
        self.reverted_origins = set(first.reverted_origins)
        self.everything = first.everything
        self._snapshot: Change | None = first

    def _add_grade_categories(self, change: Change) -> None:
        # A course stays narrowed to categories only while every grade change naming it
        # said which; one that did not makes it whole for the rest of the transaction.
        if GRADE not in change.kinds:
            return
        for pk in change.course_ids:
            categories = change.grade_categories.get(pk)
            if categories is None:
                self.whole_grade_courses.add(pk)
            else:
                self.grade_categories.setdefault(pk, set()).update(categories)

    def add(self, change: Change) -> None:
        self.kinds |= change.kinds
        self.student_ids |= change.student_ids
        self.course_ids |= change.course_ids
        if self.actor_id is None:
            self.actor_id = change.actor_id
        self.origin = self.origin or change.origin
        if self.source == "app":  # the default: a named source (api, import, seed) wins
            self.source = change.source
        for pk, updated in change.grades_posted.items():
            self.grades_posted.setdefault(pk, updated)  # a grade created here stays "new"
        for pk, before in change.absences.items():
            self.absences.setdefault(pk, before)  # the status before the transaction
        self._add_grade_categories(change)
        self.reverted_origins |= change.reverted_origins
        self.everything = self.everything or change.everything
        self._snapshot = None

    def snapshot(self) -> Change:
        if self._snapshot is None:
            self._snapshot = replace(
                self.first,
                kinds=frozenset(self.kinds),
                student_ids=frozenset(self.student_ids),
                course_ids=frozenset(self.course_ids),
                actor_id=self.actor_id,
                source=self.source,
                origin=self.origin,
                grades_posted=dict(self.grades_posted),
                absences=dict(self.absences),
                grade_categories={
                    pk: frozenset(categories)
                    for pk, categories in self.grade_categories.items()
                    if pk not in self.whole_grade_courses
                },
                reverted_origins=frozenset(self.reverted_origins),
                everything=self.everything,
            )
        return self._snapshot


class _Transaction:
    """One open transaction's record: the whole change, the part not yet taken by reads
    inside it, and the last on-commit callback registered for it."""

    def __init__(self, first: Change):
        self.whole = _Merge(first)
        self.fresh: _Merge | None = _Merge(first)
        self.taken = False
        self.sent = False
        self.last_callback: tuple[int, Callable[[], None]] = (-1, lambda: None)

    def add(self, change: Change) -> None:
        self.whole.add(change)
        if self.fresh is None:
            self.fresh = _Merge(change)
        else:
            self.fresh.add(change)

    def take(self) -> Change:
        fresh, self.fresh, self.taken = self.fresh, None, True
        return EMPTY if fresh is None else fresh.snapshot()

    def announcement(self) -> Change:
        whole = self.whole.snapshot()
        if not self.taken:
            return whole
        return replace(whole, untaken=EMPTY if self.fresh is None else self.fresh.snapshot())


class _Pending:
    """The merged change of a connection's open transaction, sent once on commit.

    Kept on the connection (one per thread). Every record registers an on-commit callback
    (cheap); the first to run sends everything merged so far and the others find it sent,
    so a transaction announces once however it is committed (tests' captured callbacks
    included). A transaction that rolls back drops its callbacks: the next record finds
    its last callback gone and starts afresh, so rolled-back work is never announced.
    """

    ATTRIBUTE = "_sms_pending_change"

    @classmethod
    def current(cls, connection) -> Change | None:
        state = cls._live(connection)
        return None if state is None else state.whole.snapshot()

    @classmethod
    def take(cls, connection) -> Change:
        state = cls._live(connection)
        return EMPTY if state is None else state.take()

    @classmethod
    def add(cls, connection, change: Change) -> None:
        if not connection.in_atomic_block:
            _send(change)
            return
        state = cls._live(connection)
        if state is None:
            state = _Transaction(change)
            setattr(connection, cls.ATTRIBUTE, state)
        else:
            state.add(change)

        def send_pending() -> None:
            if getattr(connection, cls.ATTRIBUTE, None) is state:
                setattr(connection, cls.ATTRIBUTE, None)
            if not state.sent:
                state.sent = True
                _send(state.announcement())

        transaction.on_commit(send_pending, using=connection.alias)
        state.last_callback = (len(connection.run_on_commit) - 1, send_pending)

    @classmethod
    def _live(cls, connection) -> _Transaction | None:
        """The open transaction's record, or None when its callbacks were dropped."""
        state = getattr(connection, cls.ATTRIBUTE, None)
        if state is None or state.sent:
            return None
        index, callback = state.last_callback
        callbacks = connection.run_on_commit
        if index < len(callbacks) and callbacks[index][1] is callback:
            return state
        # Moved by a savepoint rollback, or dropped with the transaction: look for it.
        if any(entry[1] is callback for entry in reversed(callbacks)):
            return state
        return None


def _send(change: Change) -> None:
    for receiver, response in records_changed.send_robust(sender=Change, change=change):
        if isinstance(response, Exception):
            logger.error(
                "records_changed receiver %r failed",
                receiver,
                exc_info=(type(response), response, response.__traceback__),
            )
