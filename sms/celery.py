"""The Celery application; tasks are discovered in each app's ``tasks.py``.

Time limits (soft and hard) for every task come from the settings
(``CELERY_TASK_SOFT_TIME_LIMIT``, ``CELERY_TASK_TIME_LIMIT``); long tasks set their own.
"""

import os

from celery import Celery
from celery.signals import (
    before_task_publish,
    task_failure,
    task_postrun,
    task_prerun,
    worker_init,
    worker_ready,
)

from sms.observability import metrics, request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sms.settings")

app = Celery("sms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# A task's log lines carry the id of the request that queued it; every run is measured.
before_task_publish.connect(request_id.add_to_task_headers, weak=False)
task_prerun.connect(request_id.adopt_for_task, weak=False)
task_postrun.connect(request_id.release_for_task, weak=False)
task_prerun.connect(metrics.task_started, weak=False)
task_postrun.connect(metrics.task_finished, weak=False)
task_failure.connect(metrics.task_failed, weak=False)
# With SMS_WORKER_METRICS_PORT, the worker serves its metrics itself (a container's own).
worker_ready.connect(metrics.serve_worker_metrics, weak=False)


@worker_init.connect
def tune_garbage_collector(**_kwargs) -> None:
    """Before the pool starts (its processes inherit it): see sms/gc_tuning.py."""
    from sms.gc_tuning import tune_this_process

    tune_this_process()


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
