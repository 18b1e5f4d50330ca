"""Login failure counting and lockout, shared by the login page, the admin login and the
JWT token endpoint.

Each failed attempt counts against two subjects, in the cache (Redis in production, so
every web process sees the same counts):

- the username *from this address*: ``SMS_LOGIN_MAX_FAILURES`` (5) failures lock it;
- the address, whatever the usernames: ``SMS_LOGIN_MAX_FAILURES_PER_IP`` (20), higher
  because a whole school often shares one public address.

A subject that reaches its limit within ``SMS_LOGIN_WINDOW_SECONDS`` is refused, whatever
the password, for ``SMS_LOGIN_LOCKOUT_SECONDS``. There is deliberately no count per
username alone: it would let anyone lock any account, from anywhere, with five wrong
passwords. A guesser gets 5 tries per account and 20 in all per address and window. A
correct password resets the count of its username from that address.

The address is ``throttling.client_ip``, the one the API throttles use: behind
``SMS_NUM_PROXIES`` trusted proxies the entry the outermost proxy wrote, otherwise the
connection's own, so a forged X-Forwarded-For neither dodges nor plants a lockout.

Administrators see the current lockouts and clear them in the admin (Users → Login
lockouts, or the "Clear login lockouts" action on selected users), and from a shell with
``manage.py clear_lockouts``. Each lockout is written to a journal in the cache that
lives as long as the lockout: entries numbered by an atomic counter, the last
``JOURNAL_SIZE`` of which the admin lists.

Why not django-axes (``AXES_LOCKOUT_PARAMETERS=[["username", "ip_address"],
"ip_address"]`` counts the same subjects): axes applies one failure limit to every
subject, where an address shared by a school needs a higher one than an account; its
lockout answer is its own, where this one keeps the API's 429 with ``Retry-After`` and the
pages' message; and it adds an authentication backend, a middleware and tables written on
every failure. This module keeps the counts in the shared cache, which fails open while
Redis is down (``sms/cache.py``) instead of failing logins.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

KEY_PREFIX = "login-lockout"
SEQUENCE_KEY = f"{KEY_PREFIX}:journal:last"
JOURNAL_SIZE = 1000  # lockouts the admin lists; older ones still expire on time
ACCOUNT = "account"  # a username from one address
ADDRESS = "address"  # an address, whatever the usernames


def max_failures() -> int:
    return int(getattr(settings, "SMS_LOGIN_MAX_FAILURES", 5))


def max_failures_per_ip() -> int:
    return int(getattr(settings, "SMS_LOGIN_MAX_FAILURES_PER_IP", 20))


def window_seconds() -> int:
    return int(getattr(settings, "SMS_LOGIN_WINDOW_SECONDS", 15 * 60))


def lockout_seconds() -> int:
    return int(getattr(settings, "SMS_LOGIN_LOCKOUT_SECONDS", 15 * 60))


@dataclass(frozen=True)
class Subject:
    """What one failure counts against: an account from an address, or an address."""

    kind: str
    username: str
    ip: str
    limit: int

    @property
    def key(self) -> str:
        # Hashed so that any username is a safe cache key.
        value = f"{self.username}\n{self.ip}" if self.kind == ACCOUNT else self.ip
        return f"{self.kind}:{hashlib.sha256(value.encode('utf-8')).hexdigest()[:32]}"


@dataclass(frozen=True)
class Lockout:
    """A current lockout, as the admin lists it."""

    number: int
    kind: str
    username: str
    ip: str
    failures: int
    since: datetime
    until: datetime


def normalize_username(username: str | None) -> str:
    return (username or "").strip().lower()


def subjects_for(username: str, ip: str) -> list[Subject]:
    """The subjects an attempt touches, each with its own failure limit."""
    subjects = []
    name = normalize_username(username)
    if name:
        subjects.append(Subject(ACCOUNT, name, ip, max_failures()))
    if ip:
        subjects.append(Subject(ADDRESS, "", ip, max_failures_per_ip()))
    return subjects


def _count_key(key: str) -> str:
    return f"{KEY_PREFIX}:count:{key}"


def _lock_key(key: str) -> str:
    return f"{KEY_PREFIX}:locked:{key}"


def _journal_key(number: int) -> str:
    return f"{KEY_PREFIX}:journal:{number}"


def seconds_locked(username: str, ip: str) -> int:
    """How long attempts for this username from this address stay refused; 0 when not."""
    now = time.time()
    locks = cache.get_many([_lock_key(subject.key) for subject in subjects_for(username, ip)])
    until = max((lock["until"] for lock in locks.values()), default=0)
    return int(until - now) + 1 if until > now else 0


def register_failure(username: str, ip: str) -> int:
    """Count a failed attempt; returns the seconds locked afterwards (0 if not locked)."""
    for subject in subjects_for(username, ip):
        key = _count_key(subject.key)
        # add() starts the window only on the first failure; incr() keeps its expiry.
        cache.add(key, 0, timeout=window_seconds())
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add() and incr(), or the cache is down
            cache.set(key, 1, timeout=window_seconds())
            failures = 1
        if failures >= subject.limit:
            _lock(subject, failures)
            cache.delete(key)
    return seconds_locked(username, ip)


def register_success(username: str, ip: str) -> None:
    """A correct password resets its username's count from that address (not the address's)."""
    accounts = [subject for subject in subjects_for(username, ip) if subject.kind == ACCOUNT]
    cache.delete_many([_count_key(subject.key) for subject in accounts])


def _lock(subject: Subject, failures: int) -> None:
    now = time.time()
    seconds = lockout_seconds()
    number = _next_journal_number()
    cache.set(_lock_key(subject.key), {"until": now + seconds, "number": number}, seconds)
    if number:
        entry = {
            "key": subject.key,
            "kind": subject.kind,
            "username": subject.username,
            "ip": subject.ip,
            "failures": failures,
            "since": now,
            "until": now + seconds,
        }
        cache.set(_journal_key(number), entry, seconds)


def _next_journal_number() -> int:
    """A number no other lockout gets (the cache's atomic incr); 0 if the cache is down."""
    cache.add(SEQUENCE_KEY, 0, timeout=None)
    try:
        return cache.incr(SEQUENCE_KEY)
    except ValueError:
        return 0


def current_lockouts() -> list[Lockout]:
    """The lockouts in force among the last ``JOURNAL_SIZE``, the latest first."""
    last = cache.get(SEQUENCE_KEY) or 0
    numbers = range(last, max(0, last - JOURNAL_SIZE), -1)
    entries = cache.get_many([_journal_key(number) for number in numbers])
    locks = cache.get_many([_lock_key(entry["key"]) for entry in entries.values()])
    now = time.time()
    lockouts = []
    for number in numbers:
        entry = entries.get(_journal_key(number))
        lock = locks.get(_lock_key(entry["key"])) if entry else None
        if lock is None or lock["number"] != number or lock["until"] <= now:
            continue
        lockouts.append(
            Lockout(
                number=number,
                kind=entry["kind"],
                username=entry["username"],
                ip=entry["ip"],
                failures=entry["failures"],
                since=datetime.fromtimestamp(entry["since"], tz=UTC),
                until=datetime.fromtimestamp(lock["until"], tz=UTC),
            )
        )
    return lockouts


def clear_lockouts(
    *, numbers: list[int] | None = None, username: str | None = None, ip: str | None = None
) -> int:
    """Lift current lockouts and their failure counts; returns how many were lifted.

    ``numbers`` picks lockouts from the admin's list; ``username`` those of an account
    (from any address), ``ip`` those of an address (its own and its accounts'). Given
    several, a lockout must match all of them; given none, every current lockout goes.
    With ``ip`` the address's own lockout (and with ``username`` too, that account's from
    the address) is lifted even when the journal missed it.
    """
    name = normalize_username(username) if username is not None else None
    chosen = [
        lockout
        for lockout in current_lockouts()
        if (numbers is None or lockout.number in numbers)
        and (name is None or lockout.username == name)
        and (ip is None or lockout.ip == ip)
    ]
    subjects = {Subject(lockout.kind, lockout.username, lockout.ip, 0) for lockout in chosen}
    if numbers is None and ip is not None:
        subjects.add(Subject(ACCOUNT, name, ip, 0) if name else Subject(ADDRESS, "", ip, 0))
    lock_keys = [_lock_key(subject.key) for subject in subjects]
    lifted = len(cache.get_many(lock_keys))
    cache.delete_many(
        lock_keys
        + [_count_key(subject.key) for subject in subjects]
        + [_journal_key(lockout.number) for lockout in chosen]
    )
    return lifted


def lockout_message(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return _("Too many failed login attempts. Try again in %(wait)s.") % {
        "wait": ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    }
