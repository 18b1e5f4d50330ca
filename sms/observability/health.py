"""Liveness and readiness, built on django-health-check's checks.

- ``GET /health/live/``: the process answers. No database, no Redis: for a process
  manager deciding whether to restart this process.
- ``GET /health/``: ready to serve: the database answers ``SELECT 1``; Redis answers a
  ping and the cache a set/get (both only when ``REDIS_URL`` is set, "skipped" otherwise);
  the folder under ``SMS_VAR_DIR`` (uploads, exports) has ``SMS_HEALTH_MIN_FREE_DISK_MB``
  free. For a load balancer or proxy deciding whether to send traffic here.
- ``GET /health/celery/``: a Celery worker answers a ping (skipped when tasks run eagerly).
  Slower (up to about two seconds) and about other processes, so apart from readiness.

Each answers JSON: 200 with ``"status": "ok"``, or 503 with ``"status": "fail"`` and the
failing check named with a short reason; always the ``version``. Reasons never carry
addresses, names or passwords (the database's own error goes to the log only).
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from pathlib import Path

from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers
from health_check.base import HealthCheck, HealthCheckResult
from health_check.checks import Cache
from health_check.checks import Database as LibraryDatabase
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from redis.asyncio import Redis as AsyncRedis

from sms.version import VERSION

LIVE_PATH = "/health/live/"
READY_PATH = "/health/"
CELERY_PATH = "/health/celery/"
SKIPPED = "skipped"


@dataclasses.dataclass
class Database(LibraryDatabase):
    """The library's ``SELECT 1``, with a reason that names no host, port or user."""

    def run(self) -> None:
        try:
            super().run()
        except ServiceUnavailable as error:  # the library logs the cause, with its traceback
            raise ServiceUnavailable("The database did not answer.") from error


@dataclasses.dataclass
class Disk(HealthCheck):
    """Free space where the application writes (uploads, exports, SQLite)."""

    path: Path = dataclasses.field(default_factory=lambda: Path(settings.VAR_DIR))
    min_free_mb: int = dataclasses.field(default=500, repr=False)

    def run(self) -> None:
        folder = self.path
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent  # not created yet: the disk it will be on
        free_mb = shutil.disk_usage(folder).free // 1_048_576
        if free_mb < self.min_free_mb:
            raise ServiceUnavailable(
                f"{free_mb} MB free for var/, below the minimum of {self.min_free_mb} MB."
            )


def _redis_client() -> AsyncRedis:
    return AsyncRedis.from_url(
        settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1, retry_on_timeout=False
    )


def readiness_checks() -> dict[str, HealthCheck | str]:
    """Each check by its name in the answer; a reason string for one that is skipped."""
    redis_configured = bool(settings.REDIS_URL)
    return {
        "database": Database(),
        "redis": Redis(client_factory=_redis_client) if redis_configured else SKIPPED,
        "cache": Cache() if redis_configured else SKIPPED,
        "disk": Disk(min_free_mb=settings.SMS_HEALTH_MIN_FREE_DISK_MB),
    }


def celery_checks() -> dict[str, HealthCheck | str]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"celery": SKIPPED}
    from sms.celery import app

    return {"celery": Ping(app=app, limit=1)}


def _entry(result: HealthCheckResult) -> dict:
    entry = {"status": "fail" if result.error else "ok", "seconds": round(result.time_taken, 4)}
    if result.error:
        entry["detail"] = str(result.error)
    return entry


def health_response(entries: dict[str, dict]) -> JsonResponse:
    failed = any(entry["status"] == "fail" for entry in entries.values())
    response = JsonResponse(
        {"status": "fail" if failed else "ok", "version": VERSION, "checks": entries},
        status=503 if failed else 200,
    )
    add_never_cache_headers(response)
    return response


class ReadinessView(HealthCheckView):
    """django-health-check's view (checks run concurrently, sync ones in threads), with
    the answer above instead of its content negotiation."""

    def named_checks(self) -> dict[str, HealthCheck | str]:
        return readiness_checks()

    async def get(self, request, *args, **kwargs):
        named = self.named_checks()
        runnable = {name: check for name, check in named.items() if not isinstance(check, str)}
        with self.get_executor() as executor:
            results = await asyncio.gather(
                *(check.get_result(executor) for check in runnable.values())
            )
        by_name = dict(zip(runnable, results, strict=True))
        entries = {
            name: _entry(by_name[name]) if name in by_name else {"status": check}
            for name, check in named.items()
        }
        return health_response(entries)

    def get_checks(self):
        """For ``manage.py health_check <name> --no-http``."""
        return (check for check in self.named_checks().values() if not isinstance(check, str))


class CeleryReadinessView(ReadinessView):
    def named_checks(self) -> dict[str, HealthCheck | str]:
        return celery_checks()


async def liveness(request):
    response = JsonResponse({"status": "ok", "version": VERSION})
    add_never_cache_headers(response)
    return response


readiness = ReadinessView.as_view()
celery_readiness = CeleryReadinessView.as_view()
