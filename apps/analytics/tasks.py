"""Celery tasks of analytics: rebuilding the daily rollups when they are not current,
warming the common figures after a deploy or a rebuild, and the teachers' weekly digest
emails."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
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


# The long tasks' limits (settings: SMS_LONG_TASK_*, 600/660 s), which the graceful stop
# outlasts (runstack's SMS_STOP_TIMEOUT, compose's stop_grace_period: 690 s), so a stop
# never kills these half way. A warming or a rebuild cut by its soft limit is safe to run
# again from the start (tests/test_task_limits.py).
LONG_LIMITS = {
    "soft_time_limit": settings.SMS_LONG_TASK_SOFT_TIME_LIMIT,
    "time_limit": settings.SMS_LONG_TASK_TIME_LIMIT,
}


@shared_task(name="analytics.warm_figures", **LONG_LIMITS)
def warm_figures() -> int:
    if not cache.add(WARMING_LOCK, 1, WARMING_LOCK_SECONDS):
        return 0
    try:
        return warm_common_figures().views
    finally:
        cache.delete(WARMING_LOCK)


# Queued by ``rollup_state.request_rebuild`` (which holds the lock until this ends): by the
# first ranged request that finds the rollups not current, and by every worker start. It
# checks again, so a second queueing after a finished rebuild costs one query. Cut by its
# soft limit, the chunks committed stay, the rollups stay "not current" (readers keep the
# live engine) and the lock is released: the next ranged request queues it again.
@shared_task(name="analytics.rebuild_rollups", **LONG_LIMITS)
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
