"""A database migrated to the daily rollups with records already in it has them empty until
they are rebuilt: ranged figures must come from the live engine meanwhile (never "no
data"), the rebuild must be queued once however many requests arrive, and once it commits
the rollups serve again (``apps/analytics/rollup_state.py``)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from apps.academics.filtering import RecordFilters
from apps.analytics import results, rollup_state, rollups, tasks
from apps.analytics.models import (
    AttendanceDay,
    DailyPerformanceDay,
    GradeDay,
    RollupState,
    TrendSegment,
)
from apps.analytics.reports import compute_report
from tests.factories import CourseFactory, GradeFactory, StudentFactory, enroll

D = dt.date
OCTOBER = RecordFilters(date_from=D(2025, 9, 24), date_to=D(2025, 10, 8))
ROLLUP_TABLES = (GradeDay, DailyPerformanceDay, AttendanceDay, TrendSegment)
REPORTS = ("dashboard", "students", "grades", "attendance", "courses")


def _as_after_the_upgrade_migration() -> None:
    """What migration 0004 leaves on a database with records: stored results, no rollup
    rows, the state stale."""
    results.flush_pending()
    for model in ROLLUP_TABLES:
        model.objects.all().delete()
    RollupState.objects.update_or_create(pk=1, defaults={"version": 0})
    cache.clear()


def _report(name, user, filters, pk=None, *, live=False) -> dict:
    payload = compute_report(name, user, filters, pk, live=live)
    payload.pop("generated_at", None)
    return json.loads(json.dumps(payload))


def _reads_rollups(name, user, filters) -> bool:
    with CaptureQueriesContext(connection) as queries:
        _report(name, user, filters)
    tables = [model._meta.db_table for model in ROLLUP_TABLES]
    return any(table in query["sql"] for query in queries for table in tables)


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """Rebuilds handed to Celery (not run)."""
    calls: list[int] = []
    monkeypatch.setattr(tasks.rebuild_rollups, "delay", lambda: calls.append(1))
    return calls


def test_rollup_state_stale_ranged_figures_equal_the_live_engine(
    school, admin_user, queued, django_capture_on_commit_callbacks
):
    _as_after_the_upgrade_migration()
    teacher_course = RecordFilters(courses=(school.math.pk,))

    with django_capture_on_commit_callbacks(execute=True):
        for user, filters in (
            (admin_user, OCTOBER),
            (school.teacher, OCTOBER),
            (school.teacher, RecordFilters()),
            (admin_user, teacher_course),
        ):
            for name in REPORTS:
                assert _report(name, user, filters) == _report(name, user, filters, live=True)
        student = _report("student", admin_user, OCTOBER, school.ana.pk)
        dashboard = _report("dashboard", admin_user, OCTOBER)

    assert student == _report("student", admin_user, OCTOBER, school.ana.pk, live=True)
    # In range: ana MATH1 80, ben MATH1 40, ana and chloe PHYS1 70; not "no data".
    assert dashboard["average_grade"] == 65.0
    assert dashboard["totals"]["grades"] == 4
    assert GradeDay.objects.count() == 0
    assert queued == [1]


def test_rollup_state_stale_reads_no_rollup_then_rebuilt_reads_them(school, admin_user, queued):
    _as_after_the_upgrade_migration()
    stale = _report("dashboard", school.teacher, OCTOBER)

    assert not _reads_rollups("dashboard", school.teacher, OCTOBER)

    assert tasks.rebuild_rollups() is True
    assert RollupState.objects.get().version == rollups.ROLLUPS_VERSION
    assert GradeDay.objects.exists()
    assert _reads_rollups("dashboard", school.teacher, OCTOBER)
    assert _report("dashboard", school.teacher, OCTOBER) == stale


def test_rollup_state_rebuild_is_queued_once_for_many_requests(
    school, admin_user, queued, django_capture_on_commit_callbacks
):
    _as_after_the_upgrade_migration()
    client = APIClient()
    client.force_authenticate(admin_user)
    url = reverse("analytics-api:dashboard")

    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            client.get(url, {"date_from": f"2025-09-{day}", "date_to": "2025-10-08"})
            for day in range(10, 30)
        ]

    assert [answer.status_code for answer in answers] == [200] * 20
    assert queued == [1]
    assert tasks.rebuild_rollups() is True  # the queued task: rebuilds, releases the lock
    assert tasks.rebuild_rollups() is False  # a second one finds them current
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url, {"date_from": "2025-09-01"})
    assert queued == [1]


def test_rollup_state_worker_start_rebuilds_stale_rollups(
    school, monkeypatch, django_capture_on_commit_callbacks
):
    _as_after_the_upgrade_migration()
    warmed: list[int] = []
    monkeypatch.setattr(tasks.warm_figures, "delay", lambda: warmed.append(1))

    # Tests run Celery eagerly: the queued rebuild runs when the (captured) commit does.
    with django_capture_on_commit_callbacks(execute=True):
        tasks.warm_after_deploy()

    assert RollupState.objects.get().version == rollups.ROLLUPS_VERSION
    assert GradeDay.objects.filter(student=school.ana).exists()
    assert warmed == [1]
    assert cache.get(rollup_state.REBUILD_LOCK) is None


def test_rollup_state_a_partial_refresh_leaves_stale_rollups_stale(school, admin_user, queued):
    _as_after_the_upgrade_migration()

    GradeFactory(student=school.ben, course=school.math, category="Midterm")
    results.flush_pending()

    # Ben's rollups are written again, ana's and chloe's are still missing.
    assert GradeDay.objects.filter(student=school.ben).exists()
    assert RollupState.objects.get().version == 0
    assert not rollup_state.rollups_current()


def test_rollup_state_first_write_of_a_new_site_records_the_version(db):
    assert not RollupState.objects.exists()
    assert rollup_state.rollups_current()  # nothing rolled up yet: nothing to miss

    enroll(StudentFactory(), CourseFactory())
    results.flush_pending()

    assert RollupState.objects.get().version == rollups.ROLLUPS_VERSION


def test_rollup_state_a_newer_rollup_version_makes_built_rollups_stale(school, monkeypatch):
    rollup_state.rebuild_rollups()
    assert rollup_state.rollups_current()

    monkeypatch.setattr(rollup_state, "ROLLUPS_VERSION", rollups.ROLLUPS_VERSION + 1)

    assert not rollup_state.rollups_current()


BEFORE = [("analytics", "0003_covering_day_indexes")]
AFTER = [("analytics", "0004_rollup_state")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_rollup_state_migration_marks_a_database_with_records_stale():
    enroll(StudentFactory(), CourseFactory())  # written with rollups, as by 1.16.0's refresh
    try:
        _migrate(BEFORE)
        _migrate(AFTER)

        assert RollupState.objects.get().version == 0
        cache.clear()
        assert not rollup_state.rollups_current()
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_rollup_state_migration_leaves_an_empty_database_current():
    try:
        _migrate(BEFORE)
        _migrate(AFTER)

        assert not RollupState.objects.exists()
        assert rollup_state.rollups_current()
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def _rollup_rows() -> dict[str, list[tuple]]:
    return {
        model.__name__: sorted(
            tuple(map(str, row.values()))
            for row in model.objects.values(
                *[f.attname for f in model._meta.fields if f.attname != "id"]
            )
        )
        for model in ROLLUP_TABLES
    }


def test_rollup_state_rebuild_by_chunks_equals_the_whole_rebuild(school, queued):
    results.rebuild_results()
    whole = _rollup_rows()
    _as_after_the_upgrade_migration()
    GradeFactory(student=school.ben, course=school.math, category="Midterm").delete()
    results.flush_pending()  # ben's rows written again, the others still missing
    GradeDay.objects.create(  # a student removed since: the rebuild drops the row
        student_id=10**9, course=school.math, day=D(2025, 10, 1), category="Midterm",
        weighted_sum=1, weight_sum=1, items=1, latest_day=D(2025, 10, 1), latest_id=1,
        latest_percentage=1,
    )  # fmt: skip

    rollup_state.rebuild_rollups(chunk=1)

    assert _rollup_rows() == whole
    assert rollup_state.rollups_current()
