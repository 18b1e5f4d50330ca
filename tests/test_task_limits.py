"""Every Celery task is bounded, and a graceful stop outlasts the longest hard limit, so a
stop never kills a task half way (docs/security.md, "Restarts and faults"). The grace is
compose's worker ``stop_grace_period`` and the run command's ``SMS_STOP_TIMEOUT`` default.

The analytics rebuild is the one long task that is not an import or export job: cut by its
soft limit, it keeps the chunks it committed, leaves the rollups "not current" (readers
keep the live engine), releases its lock, and a second run completes it."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import yaml
from celery.exceptions import SoftTimeLimitExceeded
from django.core.cache import cache

from apps.analytics import results, rollup_state, tasks
from apps.analytics.models import (
    AttendanceDay,
    DailyPerformanceDay,
    GradeDay,
    RollupState,
    TrendSegment,
)
from sms import runstack
from sms.celery import app
from tests.factories import CourseFactory, GradeFactory, StudentFactory, enroll

BASE_DIR = Path(__file__).resolve().parent.parent
ROLLUP_TABLES = (GradeDay, DailyPerformanceDay, AttendanceDay, TrendSegment)


def _seconds(duration: str) -> int:
    """Compose's ``11m30s`` / ``30s`` / ``2m`` as seconds."""
    minutes, _, rest = duration.rpartition("m")
    return int(minutes or 0) * 60 + int(rest.removesuffix("s") or 0)


def stop_grace() -> int:
    """The shorter of the two graceful stops: compose's worker and the run command's."""
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    worker = _seconds(compose["services"]["worker"]["stop_grace_period"])
    return min(worker, int(runstack.default_stop_timeout({})))


def registered_tasks() -> dict:
    app.loader.import_default_modules()  # what a worker does at start: every tasks.py
    return dict(app.tasks)


def limits(task) -> tuple[float | None, float | None]:
    """(soft, hard) seconds as the worker applies them: the task's own, else the app's."""
    conf = app.conf
    soft = conf.task_soft_time_limit if task.soft_time_limit is None else task.soft_time_limit
    hard = conf.task_time_limit if task.time_limit is None else task.time_limit
    return soft, hard


def test_task_limits_stop_grace_is_the_documented_690_seconds():
    assert stop_grace() == 690


def test_task_limits_see_the_tasks_of_every_app():
    names = set(registered_tasks())

    assert {
        "analytics.rebuild_rollups",
        "analytics.warm_figures",
        "bulkio.apply_import",
        "bulkio.run_export",
        "notifications.send_due_emails",
        "sms.ping",
    } <= names


def test_task_limits_every_task_has_a_soft_limit_below_a_hard_limit_below_the_stop_grace():
    grace = stop_grace()
    bounds = {name: limits(task) for name, task in registered_tasks().items()}

    offenders = {
        name: (soft, hard)
        for name, (soft, hard) in bounds.items()
        if soft is None or hard is None or not soft < hard < grace
    }

    assert offenders == {}, f"(soft, hard) limits not under the {grace} s stop grace"


def _rollup_rows() -> dict[str, list[tuple]]:
    return {
        model.__name__: sorted(
            tuple(map(str, row))
            for row in model.objects.values_list(
                *[field.attname for field in model._meta.fields if field.attname != "id"]
            )
        )
        for model in ROLLUP_TABLES
    }


@pytest.mark.django_db
def test_task_limits_rebuild_cut_by_its_soft_limit_keeps_its_chunks_and_completes_when_run_again(
    monkeypatch,
):
    course = CourseFactory(evaluation_rules=[{"category": "Midterm", "weight": 100}])
    students = [StudentFactory() for _ in range(3)]
    for student in students:
        enroll(student, course)
        GradeFactory(student=student, course=course, category="Midterm")
    results.flush_pending()
    whole = _rollup_rows()
    for model in ROLLUP_TABLES:  # as a migration leaves them: empty, the state stale
        model.objects.all().delete()
    RollupState.objects.update_or_create(pk=1, defaults={"version": 0})
    cache.clear()
    monkeypatch.setattr(tasks.rebuild_rollups, "delay", lambda: None)
    assert rollup_state.request_rebuild()  # the lock, held until the task ends
    write_rollups = rollup_state.write_rollups
    written: list[list[int]] = []

    def cut_after_the_first_chunk(student_ids, *args, **kwargs):
        if written:
            raise SoftTimeLimitExceeded()
        written.append(student_ids)
        return write_rollups(student_ids, *args, **kwargs)

    monkeypatch.setattr(rollup_state, "write_rollups", cut_after_the_first_chunk)
    monkeypatch.setattr(
        rollup_state, "rebuild_rollups", functools.partial(rollup_state.rebuild_rollups, chunk=1)
    )

    with pytest.raises(SoftTimeLimitExceeded):
        tasks.rebuild_rollups()

    assert written == [[students[0].pk]]
    assert GradeDay.objects.filter(student=students[0]).exists()  # its chunk committed
    assert not GradeDay.objects.filter(student__in=students[1:]).exists()
    assert not rollup_state.rollups_current()  # readers keep the live engine
    assert rollup_state.request_rebuild()  # the lock was released: it can be queued again

    monkeypatch.setattr(rollup_state, "write_rollups", write_rollups)

    assert tasks.rebuild_rollups() is True
    assert _rollup_rows() == whole
    assert rollup_state.rollups_current()
