"""Celery tasks of analytics: warming the common figures after a deploy or a rebuild."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready
from django.core.cache import cache

from apps.analytics.warming import warm_common_figures

# Several workers start together on a deploy; one warming run is enough.
WARMING_LOCK = "analytics:warming"
WARMING_LOCK_SECONDS = 15 * 60


# A hard limit above the soft one: the default hard limit (CELERY_TASK_TIME_LIMIT) is
# shorter, and Celery refuses to send a task whose soft limit exceeds its hard one.
@shared_task(
    name="analytics.warm_figures",
    soft_time_limit=WARMING_LOCK_SECONDS,
    time_limit=WARMING_LOCK_SECONDS + 60,
)
def warm_figures() -> int:
    if not cache.add(WARMING_LOCK, 1, WARMING_LOCK_SECONDS):
        return 0
    try:
        return warm_common_figures().views
    finally:
        cache.delete(WARMING_LOCK)


@worker_ready.connect
def warm_after_deploy(**_kwargs) -> None:
    """A worker that starts (a deploy, a restart) warms the figures the cache lost."""
    warm_figures.delay()
