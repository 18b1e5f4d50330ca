"""A full rebuild on SQLite empties the daily rollups first, in the commit that marks them
stale, and writes them into empty tables (``rollup_state.empty_for_rebuild``): until it
ends, figures over a date range come from the live engine. A figure that was reading the
rollups when that commit came is computed again (``rollup_state.consistently``), never
shown half empty. PostgreSQL keeps them readable throughout."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.db import connection

from apps.academics.filtering import RecordFilters
from apps.analytics import reports, results, rollup_state
from apps.analytics.models import GradeDay, RollupState
from apps.analytics.ranged import finals, finishing
from apps.analytics.ranged import sums as sums_module
from apps.analytics.rollups import ROLLUPS_VERSION
from tests.analytics.test_results import _rollup_rows

pytestmark = pytest.mark.postgres

only_where_a_rebuild_empties = pytest.mark.skipif(
    not rollup_state.rebuild_empties(), reason="only a SQLite rebuild empties the rollups"
)
OCTOBER = RecordFilters(date_from=dt.date(2025, 9, 24), date_to=dt.date(2025, 10, 8))


def _state_at_the_first_rollup_write(monkeypatch, school) -> list[tuple[int, int]]:
    """(the state's version, rollup rows of students other than the chunk's) when the
    rebuild writes its first chunk of rollups."""
    seen: list[tuple[int, int]] = []
    write_rollups = results.write_rollups

    def spy(student_ids, scope):
        if not seen:
            others = GradeDay.objects.exclude(student_id__in=student_ids).count()
            seen.append((RollupState.objects.get(pk=1).version, others))
        write_rollups(student_ids, scope)

    monkeypatch.setattr(results, "write_rollups", spy)
    return seen


def test_rollup_emptying_sqlite_rebuild_empties_first_postgresql_keeps_them_readable(
    school, monkeypatch
):
    results.flush_pending()
    before = _rollup_rows()
    assert before["GradeDay"]
    seen = _state_at_the_first_rollup_write(monkeypatch, school)

    results.rebuild_results(students_per_step=1)

    if connection.vendor == "sqlite":
        assert seen == [(0, 0)]  # stale and empty: ranged figures were the live engine's
    else:
        assert seen[0][0] == ROLLUPS_VERSION and seen[0][1] > 0
    assert RollupState.objects.get(pk=1).version == ROLLUPS_VERSION
    assert _rollup_rows() == before
    assert cache.get(rollup_state.REBUILD_LOCK) is None  # a later stale state can queue one


def test_rollup_emptying_not_while_another_rebuild_is_queued(school, monkeypatch):
    results.flush_pending()
    before = _rollup_rows()
    cache.add(rollup_state.REBUILD_LOCK, 1, 60)  # the queued task's: it rewrites them too
    seen = _state_at_the_first_rollup_write(monkeypatch, school)

    results.rebuild_results(students_per_step=1)

    assert seen[0][0] == ROLLUPS_VERSION and seen[0][1] > 0  # replaced chunk by chunk
    assert _rollup_rows() == before
    assert cache.get(rollup_state.REBUILD_LOCK) == 1  # still the queued task's


def _payload(compute) -> dict:
    payload = compute()
    payload.pop("generated_at", None)
    return json.loads(json.dumps(payload))


def _emptied_after_the_grade_read(monkeypatch) -> list[int]:
    """The rebuild's emptying commits between a figure's read of the grade rollups and
    its read of the attendance ones. Returns the grade reads made."""
    reads: list[int] = []

    def then_emptied(selection):
        sums = sums_module.grade_sums(selection)
        reads.append(1)
        if len(reads) == 1:
            assert rollup_state.empty_for_rebuild()
            rollup_state.release_rebuild_lock()  # the rebuild's, held until it ends
        return sums

    for reader in (finals, finishing):  # per enrollment, and final grades only
        monkeypatch.setattr(reader, "grade_sums", then_emptied)
    return reads


@only_where_a_rebuild_empties
def test_rollup_emptying_a_figure_that_read_them_before_is_computed_again_live(
    school, admin_user, monkeypatch
):
    results.flush_pending()
    live = _payload(lambda: reports.compute_report("students", admin_user, OCTOBER, live=True))
    reads = _emptied_after_the_grade_read(monkeypatch)

    # Read half before, half after the emptying: not the engine's figures.
    half = _payload(lambda: reports._compute("students", admin_user, OCTOBER, None, False))
    assert half != live

    results.rebuild_results()
    reads.clear()
    answered = _payload(lambda: reports.compute_report("students", admin_user, OCTOBER))

    assert answered == live
    assert reads == [1]  # the second computation read no rollup: the live engine's
    # Cached "current" by the first computation, after the emptying: forgotten.
    assert cache.get(rollup_state.VERSION_KEY) is None
    assert not GradeDay.objects.exists()  # the emptying did come in between


@only_where_a_rebuild_empties
def test_rollup_emptying_a_rebuild_that_fails_leaves_them_stale_and_unlocked(
    school, admin_user, monkeypatch
):
    results.flush_pending()
    live = _payload(lambda: reports.compute_report("students", admin_user, OCTOBER, live=True))
    write_rollups = results.write_rollups
    written: list[int] = []

    def fails_on_the_second_chunk(student_ids, scope):
        written.append(1)
        if len(written) > len(results.ROLLUP_STEPS):
            raise RuntimeError("the disk is full")
        write_rollups(student_ids, scope)

    monkeypatch.setattr(results, "write_rollups", fails_on_the_second_chunk)

    with pytest.raises(RuntimeError):
        results.rebuild_results(students_per_step=1)

    assert RollupState.objects.get(pk=1).version == 0
    assert cache.get(rollup_state.REBUILD_LOCK) is None  # the next stale read queues one
    cache.delete(rollup_state.VERSION_KEY)  # as the emptying's commit does
    assert _payload(lambda: reports.compute_report("students", admin_user, OCTOBER)) == live


@only_where_a_rebuild_empties
def test_rollup_emptying_not_while_they_are_stale(school):
    """Stale, another process may be rebuilding them (one that does not share this
    cache): emptying would drop what it wrote before it records them current."""
    results.flush_pending()
    RollupState.objects.update_or_create(pk=1, defaults={"version": 0})

    assert not rollup_state.empty_for_rebuild()
    assert GradeDay.objects.exists()
    assert cache.get(rollup_state.REBUILD_LOCK) is None


@only_where_a_rebuild_empties
def test_rollup_emptying_by_another_rebuild_keeps_a_chunked_one_from_recording_them(
    school, monkeypatch
):
    results.flush_pending()
    cache.add(rollup_state.REBUILD_LOCK, 1, 60)  # this rebuild replaces chunk by chunk
    write_rollups = results.write_rollups
    writes: list[int] = []

    def emptied_after_the_first_chunk(student_ids, scope):
        write_rollups(student_ids, scope)
        writes.append(1)
        if len(writes) == len(results.ROLLUP_STEPS):
            cache.delete(rollup_state.REBUILD_LOCK)
            assert rollup_state.empty_for_rebuild()  # a command without the site's cache

    monkeypatch.setattr(results, "write_rollups", emptied_after_the_first_chunk)

    results.rebuild_results(students_per_step=1)

    # The first chunk's rows went with the emptying: not recorded current by this one.
    assert RollupState.objects.get(pk=1).version == 0
