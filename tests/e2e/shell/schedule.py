# Run inside `manage shell` by tests/e2e/stack.py (see school.py there).
import datetime as dt

from django.utils import timezone
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from apps.bulkio import scheduling
from apps.bulkio.models import ScheduledExport


def last_ran_minutes_ago(p: dict) -> dict:
    """Record the schedule's beat task as last run ``minutes`` ago, as beat itself records
    a run, and tell beat the schedules changed: at its next check (every 5 s at most) it
    finds an every-minute schedule due, instead of at the next minute boundary."""
    scheduled = ScheduledExport.objects.get(name=p["name"])
    task = PeriodicTask.objects.get(pk=scheduled.periodic_task_id)
    last_run = timezone.now() - dt.timedelta(minutes=p.get("minutes", 2))
    PeriodicTask.objects.filter(pk=task.pk).update(last_run_at=last_run)
    PeriodicTasks.update_changed()
    return {"task": task.task, "crontab": str(task.crontab), "enabled": task.enabled}


def remove(p: dict) -> int:
    removed = 0
    for scheduled in ScheduledExport.objects.filter(name=p["name"]):
        scheduling.scheduled_export_delete(scheduled)
        removed += 1
    return removed
