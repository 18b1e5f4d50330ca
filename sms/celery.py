"""The Celery application; tasks are discovered in each app's ``tasks.py``.

Time limits (soft and hard) for every task come from the settings
(``CELERY_TASK_SOFT_TIME_LIMIT``, ``CELERY_TASK_TIME_LIMIT``); long tasks set their own.
"""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sms.settings")

app = Celery("sms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="sms.ping")
def ping() -> str:
    """Round trip used by the run command's health check and the integration tests."""
    return "pong"


@worker_ready.connect
def recover_interrupted_jobs(**_kwargs) -> None:
    """A worker that starts (after a restart, a crash, a deploy) recovers the import and
    export jobs left queued or running by a worker that is gone. It waits until every
    lease a dead worker held has lapsed, so a job some live worker runs is left alone."""
    from django.conf import settings

    from apps.bulkio.tasks import recover_jobs

    recover_jobs.apply_async(countdown=settings.SMS_JOB_LEASE_SECONDS + 1)
