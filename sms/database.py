"""The web process's PostgreSQL connections, kept in a pool (Django's ``"pool"`` option,
psycopg-pool) instead of one opened per request.

Under ASGI every request runs in a new thread, so Django cannot keep a connection per
thread across requests (``CONN_MAX_AGE`` > 0 piles them up); with ``CONN_MAX_AGE=0`` each
request opened its own, and PostgreSQL starting a backend for it was ~7 of the ~17 ms of
CPU a simple API read cost (docs/benchmarks.md, "Tenth round"). A pooled connection is
checked before it is handed out, so one broken by a database restart is replaced.

Only the web process pools (``sms/asgi.py`` calls ``pool_web_connections``): Celery's
prefork workers would inherit an open pool through ``fork``, and commands and workers
connect once per job anyway.
"""

from __future__ import annotations

from django.conf import settings


def pool_web_connections() -> bool:
    """Give the default database the pool ``pool_options`` gives it, if any; True when it
    did. Called before any connection is made: Django's connections read these same
    settings when they first connect."""
    if not settings.SMS_POOL_WEB_CONNECTIONS:
        return False
    database = settings.DATABASES["default"]
    pool = pool_options(database, settings.DB_POOL_SIZE, settings.DB_POOL_TIMEOUT)
    if pool is None:
        return False
    database.setdefault("OPTIONS", {})["pool"] = pool
    return True


def pool_options(database: dict, size: int, timeout: float) -> dict | None:
    """The pool of a ``DATABASES`` entry: at most ``size`` connections (``DB_POOL_SIZE``),
    a request waiting at most ``timeout`` seconds for one (``DB_POOL_TIMEOUT``: under a
    load above the size, and while PostgreSQL is down, after which it is answered 503,
    ``sms/outage.py``). None for SQLite, for kept connections (``DB_CONN_MAX_AGE`` > 0,
    which Django's pool refuses) and for a size of 0."""
    if database["ENGINE"] != "django.db.backends.postgresql" or database.get("CONN_MAX_AGE"):
        return None
    if size <= 0:
        return None
    return {"min_size": min(2, size), "max_size": size, "timeout": timeout}
