"""A rebuild writes each chunk's rollups on a second connection while the engine computes
the next chunk (PostgreSQL, outside a transaction), and writes what the inline rebuild
writes."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from apps.analytics import results
from apps.analytics.models import AttendanceSlot, GradeBucket
from apps.analytics.overlap import Overlapped
from apps.analytics.rollups import ALL_TABLES
from tests.analytics.stored_check import stored_rows
from tests.analytics.test_results import _rollup_rows

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_overlapped_rebuild_writes_what_the_refreshes_wrote(school, monkeypatch):
    results.flush_pending()
    refreshed = (stored_rows(), _rollup_rows())
    buckets = sorted(GradeBucket.objects.values_list("course_id", "category", "items"))
    slots = sorted(AttendanceSlot.objects.values_list("course_id", "date", "status", "records"))
    writers = []
    write_rollups = results.write_rollups

    def recorded(student_ids, scope):
        writers.append((threading.get_ident(), scope))
        write_rollups(student_ids, scope)

    monkeypatch.setattr(results, "write_rollups", recorded)

    timings = results.rebuild_results(students_per_step=1, courses_per_step=1)

    assert timings.students == 3
    assert (stored_rows(), _rollup_rows()) == refreshed
    assert sorted(GradeBucket.objects.values_list("course_id", "category", "items")) == buckets
    assert (
        sorted(AttendanceSlot.objects.values_list("course_id", "date", "status", "records"))
        == slots
    )
    # Two writes per chunk, together every rollup; on PostgreSQL one of them is another
    # thread's (its own connection), elsewhere both are the caller's.
    assert len(writers) == 6
    assert {scope for _thread, scope in writers} == {results.ROLLUPS_BESIDE, results.ROLLUPS_HERE}
    assert results.ROLLUPS_BESIDE.tables | results.ROLLUPS_HERE.tables == ALL_TABLES
    beside = {thread for thread, scope in writers if scope == results.ROLLUPS_BESIDE}
    here = {thread for thread, scope in writers if scope == results.ROLLUPS_HERE}
    assert here == {threading.get_ident()}
    assert (beside != here) is (connection.vendor == "postgresql")


def test_a_failed_step_is_raised_and_no_later_step_starts():
    ran = []

    def step(number):
        ran.append(number)
        if number == 1:
            raise ValueError("step 1 failed")

    def two_steps():
        with Overlapped(enabled=True) as background:
            background.submit(step, 1)
            background.submit(step, 2)

    with pytest.raises(ValueError, match="step 1 failed"):
        two_steps()

    assert ran == [1]


def test_inside_a_transaction_steps_run_inline():
    with transaction.atomic():
        background = Overlapped()

    assert background.enabled is False
