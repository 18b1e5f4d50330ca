"""Celery tasks of analytics: rebuilding the daily rollups when they are not current,
warming the common figures after a deploy or a rebuild, and the teachers' weekly digest
emails."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from celery.signals import worker_ready
from django.core.cache import cache
from django.utils import timezone

from apps.accounts.models import User
from apps.analytics import rollup_state
from apps.analytics.digest import teachers_with_courses
from apps.analytics.digest_sending import send_teacher_digest as send_one
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


# Queued by ``rollup_state.request_rebuild`` (which holds the lock until this ends): by the
# first ranged request that finds the rollups not current, and by every worker start. It
# checks again, so a second queueing after a finished rebuild costs one query.
@shared_task(
    name="analytics.rebuild_rollups",
    soft_time_limit=rollup_state.REBUILD_LOCK_SECONDS,
    time_limit=rollup_state.REBUILD_LOCK_SECONDS + 60,
)
def rebuild_rollups() -> bool:
    """Rebuild the daily rollups when they are not current; True when it rebuilt."""
    try:
        if rollup_state.rollups_current():
            return False
        rollup_state.rebuild_rollups()
        return True
    finally:
        rollup_state.release_rebuild_lock()


@worker_ready.connect
def warm_after_deploy(**_kwargs) -> None:
    """A worker that starts (a deploy, a restart) rebuilds the rollups if a migration left
    them not current (an upgrade), and warms the figures the cache lost."""
    rollup_state.request_rebuild()
    warm_figures.delay()


# --- Teachers' weekly digest (beat: Mondays 07:00 site time) -------------------------------
@shared_task(name="analytics.send_teacher_digests")
def send_teacher_digests() -> int:
    """Queue one digest email per active teacher with courses; returns how many."""
    today = timezone.localdate().isoformat()
    teacher_ids = list(teachers_with_courses().values_list("pk", flat=True))
    for teacher_id in teacher_ids:
        send_teacher_digest.delay(teacher_id, today)
    return len(teacher_ids)


# Idempotent per teacher and week (digest_sending records the week before sending and
# gives it back when the send fails), so a retry or a second run never sends twice.
# OSError covers the mail server's refusals (smtplib.SMTPException) and connection errors.
@shared_task(
    name="analytics.send_teacher_digest",
    autoretry_for=(OSError,),
    retry_backoff=60,
    max_retries=3,
)
def send_teacher_digest(teacher_id: int, today: str) -> str:
    teacher = User.objects.filter(pk=teacher_id, is_active=True).first()
    if teacher is None:
        return "gone"
    return send_one(teacher, today=dt.date.fromisoformat(today)).status
