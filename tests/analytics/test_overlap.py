"""A rebuild writes its statements (rollups, slots) on a second connection while the
engine computes the next chunk, then on both (PostgreSQL, outside a transaction), and
writes what the inline rebuild writes."""

from __future__ import annotations

import os
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


@pytest.fixture
def on_postgres():
    """The helper's steps run in transactions of a second connection, which SQLite's
    in-memory test database locks out; production enables the helper on PostgreSQL only.
    Skips on SQLite; the PostgreSQL run (``SMS_REQUIRE_POSTGRES=1``) fails instead."""
    if connection.vendor == "postgresql":
        return
    if os.environ.get("SMS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"expected PostgreSQL, got {connection.vendor}", pytrace=False)
    pytest.skip(f"needs PostgreSQL, running on {connection.vendor}")


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
    # One write per rollup table and chunk, together every rollup; on PostgreSQL the
    # second connection's thread writes some of them, elsewhere the caller writes all.
    assert len(writers) == 3 * len(results.ROLLUP_STEPS)
    assert {scope for _thread, scope in writers} == set(results.ROLLUP_STEPS)
    assert frozenset().union(*(scope.tables for scope in results.ROLLUP_STEPS)) == ALL_TABLES
    threads = {thread for thread, _scope in writers}
    assert (threads != {threading.get_ident()}) is (connection.vendor == "postgresql")


def test_a_failed_step_is_raised_and_no_later_step_starts(on_postgres):
    ran = []
    failed = threading.Event()

    def step(number):
        ran.append(number)
        if number == 1:
            failed.set()
            raise ValueError("step 1 failed")

    def steps():
        with Overlapped(enabled=True) as overlapped:
            overlapped.submit(step, 1)
            failed.wait(timeout=10)
            overlapped.submit(step, 2)

    with pytest.raises(ValueError, match="step 1 failed"):
        steps()

    assert ran == [1]


def test_the_caller_runs_queued_steps_while_the_helper_is_busy(on_postgres):
    ran = []
    started, release = threading.Event(), threading.Event()

    def step(number):
        if number == 0:
            started.set()
            release.wait(timeout=10)
        ran.append((number, threading.get_ident()))
        if number == 4:
            release.set()

    with Overlapped(enabled=True) as overlapped:
        overlapped.submit(step, 0)
        assert started.wait(timeout=10)
        for number in range(1, 5):
            overlapped.submit(step, number)

    caller = threading.get_ident()
    assert sorted(number for number, _thread in ran) == [0, 1, 2, 3, 4]
    assert [number for number, thread in ran if thread == caller] == [1, 2, 3, 4]
    assert [number for number, thread in ran if thread != caller] == [0]


def test_inside_a_transaction_steps_run_inline():
    with transaction.atomic():
        background = Overlapped()

    assert background.enabled is False
