"""Login failure counting and lockout, shared by the login page and the JWT token endpoint.

Failures are counted in the cache (Redis in production, so every web process sees the
same counts) per username and per client address. Once a username reaches
``SMS_LOGIN_MAX_FAILURES`` failures within ``SMS_LOGIN_WINDOW_SECONDS`` — or an address
reaches ``SMS_LOGIN_MAX_FAILURES_PER_IP`` — further attempts are refused, whatever the
password, for ``SMS_LOGIN_LOCKOUT_SECONDS``. A successful login clears the username's
count. The address limit is higher than the username limit because a whole school often
shares one public address.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.settings import api_settings

KEY_PREFIX = "login-lockout"


def max_failures() -> int:
    return int(getattr(settings, "SMS_LOGIN_MAX_FAILURES", 5))


def max_failures_per_ip() -> int:
    return int(getattr(settings, "SMS_LOGIN_MAX_FAILURES_PER_IP", 20))


def window_seconds() -> int:
    return int(getattr(settings, "SMS_LOGIN_WINDOW_SECONDS", 15 * 60))


def lockout_seconds() -> int:
    return int(getattr(settings, "SMS_LOGIN_LOCKOUT_SECONDS", 15 * 60))


def client_ip(request: HttpRequest | None) -> str:
    """The client's address; behind N trusted proxies (``NUM_PROXIES``), from X-Forwarded-For.

    Without ``NUM_PROXIES`` the header is ignored: anyone can send it, and trusting it
    would let an attacker dodge the address limit.
    """
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    num_proxies = api_settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not num_proxies or not forwarded:
        return remote
    addresses = [address.strip() for address in forwarded.split(",")]
    return addresses[-min(num_proxies, len(addresses))] or remote


def _digest(value: str) -> str:
    # Hashed so that any username is a safe cache key and none is stored in clear.
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def _subjects(username: str, ip: str) -> list[tuple[str, int]]:
    """The counters an attempt touches, each with its own failure limit."""
    subjects = []
    name = (username or "").strip().lower()
    if name:
        subjects.append((f"user:{_digest(name)}", max_failures()))
    if ip:
        subjects.append((f"ip:{_digest(ip)}", max_failures_per_ip()))
    return subjects


def _count_key(subject: str) -> str:
    return f"{KEY_PREFIX}:count:{subject}"


def _lock_key(subject: str) -> str:
    return f"{KEY_PREFIX}:locked:{subject}"


def seconds_locked(username: str, ip: str) -> int:
    """How long attempts for this username or address stay refused; 0 when not locked."""
    now = time.time()
    remaining = 0
    for subject, _limit in _subjects(username, ip):
        until = cache.get(_lock_key(subject))
        if until:
            remaining = max(remaining, int(until - now) + 1)
    return remaining


def register_failure(username: str, ip: str) -> int:
    """Count a failed attempt; returns the seconds locked afterwards (0 if not locked)."""
    for subject, limit in _subjects(username, ip):
        key = _count_key(subject)
        # add() starts the window only on the first failure; incr() keeps its expiry.
        cache.add(key, 0, timeout=window_seconds())
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=window_seconds())
            failures = 1
        if failures >= limit:
            cache.set(_lock_key(subject), time.time() + lockout_seconds(), lockout_seconds())
            cache.delete(key)
    return seconds_locked(username, ip)


def register_success(username: str, ip: str) -> None:
    """A correct password resets the username's failure count (not the address's)."""
    subjects = _subjects(username, "")
    cache.delete_many([_count_key(subject) for subject, _limit in subjects])


def lockout_message(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return _("Too many failed login attempts. Try again in %(wait)s.") % {
        "wait": ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    }
