"""A SQLite rebuild computes the next chunk's engine rows in a helper process while it
writes the current chunk (``apps/analytics/engine_ahead.py``). What it writes must be
what the engine gives when the rows are written: rows computed before a write to one of
the chunk's students are computed again.

The orchestration is tested with a helper that computes at once, when a chunk is handed
to it (the moment the helper would start reading); the real helper process on a database
file, through a rebuild in a process of its own."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.academics import services
from apps.academics.models import Grade
from apps.analytics import results
from apps.analytics.engine_ahead import EngineAhead, HelperFailed
from apps.analytics.models import StudentResult
from apps.analytics.results import engine_rows
from tests.support.manage_process import run_manage

pytestmark = pytest.mark.django_db(transaction=True)


class AtOnce:
    """A helper that computes each chunk the moment it is handed over; ``fail`` makes
    every answer an error."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.started: list[list[int]] = []
        self._answers: list = []

    def start(self, chunk: list[int]) -> None:
        self.started.append(chunk)
        self._answers.append(None if self.fail else engine_rows(chunk))

    def result(self):
        answer = self._answers.pop(0)
        if answer is None:
            raise HelperFailed("the helper died")
        return answer

    def close(self) -> None:
        pass


def _chunks(school) -> list[list[int]]:
    """One student per chunk, their stored rows written an hour ago (a write in the last
    second before the helper starts counts as one after it)."""
    results.flush_pending()
    StudentResult.objects.update(computed_at=timezone.now() - dt.timedelta(hours=1))
    return [[school.ana.pk], [school.ben.pk], [school.chloe.pk]]


def _rows_taken(ahead: EngineAhead, between=None) -> list:
    """Each chunk's rows taken as the rebuild takes them, in its transaction; ``between``
    runs after the helper was given chunk 1 and before the caller takes it."""
    taken = []
    with ahead:
        for index in range(len(ahead.chunks)):
            if index == 1 and between is not None:
                between()
            with transaction.atomic():
                taken.append(ahead.rows(index))
    return taken


def test_engine_ahead_rows_are_the_engines_and_the_helper_computes_all_but_the_first(school):
    helper = AtOnce()
    chunks = _chunks(school)
    ahead = EngineAhead(chunks, engine_rows, enabled=True, helper=lambda: helper)

    taken = _rows_taken(ahead)

    assert taken == [engine_rows(chunk) for chunk in chunks]
    assert helper.started == chunks[1:]  # the caller computed the first while it started
    assert ahead.computed_ahead == 2


def test_engine_ahead_recomputes_a_chunk_whose_student_was_written_after_the_helper_read(
    school, admin_user
):
    helper = AtOnce()
    chunks = _chunks(school)
    ahead = EngineAhead(chunks, engine_rows, enabled=True, helper=lambda: helper)
    midterm = Grade.objects.get(student=school.ben, category="Midterm")

    def teacher_changes_bens_grade() -> None:
        services.grade_update(grade_obj=midterm, actor=admin_user, grade=Decimal("95"))

    taken = _rows_taken(ahead, between=teacher_changes_bens_grade)

    # The helper read Ben's old midterm; the rows written are the engine's with the new one.
    assert taken[1] == engine_rows(chunks[1])
    assert ahead.computed_ahead == 1  # Chloe's, read after the write


def test_engine_ahead_drops_rows_of_a_student_deleted_after_the_helper_read(school, admin_user):
    helper = AtOnce()
    chunks = _chunks(school)
    ahead = EngineAhead(chunks, engine_rows, enabled=True, helper=lambda: helper)

    taken = _rows_taken(
        ahead, between=lambda: services.student_delete(student=school.ben, actor=admin_user)
    )

    assert taken[1].students == []  # Ben's rows are not written back
    assert taken[1] == engine_rows(chunks[1])


def test_engine_ahead_computes_the_chunk_itself_when_the_helper_fails(school):
    chunks = _chunks(school)
    ahead = EngineAhead(chunks, engine_rows, enabled=True, helper=lambda: AtOnce(fail=True))

    taken = _rows_taken(ahead)

    assert taken == [engine_rows(chunk) for chunk in chunks]
    assert ahead.computed_ahead == 0


def test_engine_ahead_is_off_for_the_in_memory_test_database_and_one_chunk(school):
    assert not EngineAhead(_chunks(school), engine_rows).enabled
    assert not EngineAhead(_chunks(school)[:1], engine_rows, enabled=True).enabled


REBUILD_IN_A_HELPER = """
import json
from apps.academics.models import Student
from apps.analytics import results
from tests.analytics.stored_check import engine_rows, stored_rows
from tests.analytics.test_results import _rollup_rows

rollups = _rollup_rows()
timings = results.rebuild_results(students_per_step=7)
print(json.dumps({
    "students": Student.objects.count(),
    "written": timings.students,
    "computed_ahead": timings.computed_ahead,
    "stored_equal_engine": stored_rows() == engine_rows(),
    "rollups_unchanged": _rollup_rows() == rollups,
}))
"""


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="the helper process serves SQLite rebuilds only",
)
def test_engine_ahead_sqlite_rebuild_in_a_real_helper_process_writes_the_engines_rows(
    tmp_path: Path,
):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'school.sqlite3'}",
        "SMS_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "sms.settings",
    }

    def run(*args: str) -> str:
        result = run_manage(*args, env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    run("migrate", "--noinput")
    run("seed_demo", "--size", "tiny")
    outcome = json.loads(run("shell", "-c", REBUILD_IN_A_HELPER).splitlines()[-1])

    chunks = -(-outcome["students"] // 7)
    assert outcome["written"] == outcome["students"]
    assert outcome["computed_ahead"] == chunks - 1
    assert outcome["stored_equal_engine"]
    assert outcome["rollups_unchanged"]


def test_engine_ahead_computes_every_chunk_itself_when_no_helper_can_start(school):
    def no_processes_left():
        raise OSError("Resource temporarily unavailable")

    chunks = _chunks(school)
    ahead = EngineAhead(chunks, engine_rows, enabled=True, helper=no_processes_left)

    assert _rows_taken(ahead) == [engine_rows(chunk) for chunk in chunks]
    assert ahead.computed_ahead == 0
