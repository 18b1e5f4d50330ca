"""backup_database / restore_database: a backup brings back the data and the figures.

The round trip runs on SQLite (the backup API, in the unit run) and on PostgreSQL
(pg_dump / psql, in the ``-m postgres`` run). Restores replace the whole database, so these
tests commit for real (``transactional_db``) and pytest-django empties the tables after.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from apps.academics import services
from apps.academics.grading import course_result
from apps.academics.models import Grade, Student
from tests.factories import AdminFactory, CourseFactory, GradeFactory, StudentFactory, enroll
from tests.support.manage_process import run_manage


def _school() -> dict:
    """Two students in one course, a midterm and a final each: finals of 86 and 56."""
    course = CourseFactory(course_code="NET101")
    ana = StudentFactory(first_name="Ana")
    ben = StudentFactory(first_name="Ben")
    for student, midterm, final in ((ana, "80", "90"), (ben, "50", "60")):
        enroll(student, course)
        GradeFactory(student=student, course=course, category="Midterm", grade=Decimal(midterm))
        GradeFactory(student=student, course=course, category="Final", grade=Decimal(final))
    return {"course": course, "ana": ana, "ben": ben, "admin": AdminFactory()}


def _dashboard_average(admin) -> float:
    client = APIClient()
    client.force_authenticate(admin)
    response = client.get(reverse("analytics-api:dashboard"))
    assert response.status_code == 200
    return response.json()["average_grade"]


def _change_everything(school: dict) -> None:
    admin = school["admin"]
    ana_final = Grade.objects.get(student=school["ana"], category="Final")
    services.grade_update(grade_obj=ana_final, actor=admin, grade=Decimal("10"))
    services.student_delete(student=school["ben"], actor=admin)
    StudentFactory(first_name="Late")


def _assert_round_trip(tmp_path: Path) -> None:
    school = _school()
    before_final = course_result(school["ana"], school["course"]).final_grade
    before_average = _dashboard_average(school["admin"])
    backup = tmp_path / "sms.backup"

    call_command("backup_database", str(backup))
    _change_everything(school)
    changed_average = _dashboard_average(school["admin"])  # cached until the restore
    call_command("restore_database", str(backup), "--force")

    assert before_final == Decimal("86.00")
    assert changed_average != before_average
    assert sorted(Student.objects.values_list("first_name", flat=True)) == ["Ana", "Ben"]
    assert Grade.objects.count() == 4
    assert course_result(school["ana"], school["course"]).final_grade == before_final
    assert _dashboard_average(school["admin"]) == before_average


@pytest.fixture
def on_postgres(transactional_db) -> None:
    """Skip unless the test database is PostgreSQL; the PostgreSQL run requires it."""
    if connection.vendor == "postgresql":
        return
    if os.environ.get("SMS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"expected PostgreSQL, got {connection.vendor}", pytrace=False)
    pytest.skip(f"needs PostgreSQL (DATABASE_URL=postgres://...), running on {connection.vendor}")


@pytest.fixture
def on_sqlite(transactional_db) -> None:
    if connection.vendor != "sqlite":
        pytest.skip(f"the SQLite round trip; running on {connection.vendor}")


def test_restore_database_brings_back_data_and_figures_on_sqlite(on_sqlite, tmp_path):
    _assert_round_trip(tmp_path)


@pytest.mark.postgres
def test_restore_database_brings_back_data_and_figures_on_postgres(on_postgres, tmp_path):
    _assert_round_trip(tmp_path)


@pytest.mark.postgres
def test_restore_database_on_postgres_drops_tables_the_backup_does_not_have(on_postgres, tmp_path):
    StudentFactory()
    backup = tmp_path / "sms.dump"
    call_command("backup_database", str(backup))
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE from_a_newer_release (id integer)")

    call_command("restore_database", str(backup), "--force")

    assert "from_a_newer_release" not in connection.introspection.table_names()
    assert Student.objects.count() == 1


def _thirty_students_backed_up_then_ten_deleted(tmp_path: Path) -> Path:
    for _ in range(30):
        StudentFactory()
    backup = tmp_path / "sms.dump"
    call_command("backup_database", str(backup))
    Student.objects.filter(pk__in=Student.objects.values("pk")[:10]).delete()
    return backup


@pytest.mark.postgres
def test_restore_database_on_postgres_changes_nothing_when_the_backup_is_cut(on_postgres, tmp_path):
    backup = _thirty_students_backed_up_then_ten_deleted(tmp_path)
    cut = tmp_path / "cut.dump"
    cut.write_bytes(backup.read_bytes()[:-4096])  # the table of contents is whole, data is not

    with pytest.raises(CommandError, match="pg_restore failed.*Nothing was restored"):
        call_command("restore_database", str(cut), "--force")

    assert Student.objects.count() == 20


@pytest.mark.postgres
def test_restore_database_on_postgres_changes_nothing_when_the_server_refuses_a_statement(
    on_postgres, tmp_path, monkeypatch
):
    backup = _thirty_students_backed_up_then_ten_deleted(tmp_path)
    # pg_restore as installed, with one more statement after the backup's, which fails.
    fake = tmp_path / "bin" / "pg_restore"
    fake.parent.mkdir()
    fake.write_text(
        f'#!/bin/sh\n"{shutil.which("pg_restore")}" "$@" || exit\n'
        'case "$*" in *--list*) exit 0 ;; esac\necho "SELECT 1/0;"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")

    with pytest.raises(CommandError, match="division by zero.*Nothing was restored"):
        call_command("restore_database", str(backup), "--force")

    assert Student.objects.count() == 20


def test_restore_database_refuses_a_database_with_data_unless_forced(transactional_db, tmp_path):
    StudentFactory(first_name="Kept")
    backup = tmp_path / "sms.backup"
    call_command("backup_database", str(backup))

    with pytest.raises(CommandError, match="not empty .*academics_student.*--force"):
        call_command("restore_database", str(backup))

    assert Student.objects.get().first_name == "Kept"


def test_restore_database_refuses_a_file_that_is_not_a_backup(db, tmp_path):
    StudentFactory()
    stranger = tmp_path / "grades.csv"
    stranger.write_text("student_id,grade\nS00001,80\n")

    with pytest.raises(CommandError, match="is not a backup made by backup_database"):
        call_command("restore_database", str(stranger), "--force")

    assert Student.objects.count() == 1


def test_backup_database_file_is_private_and_not_overwritten(transactional_db, tmp_path):
    backup = tmp_path / "sms.backup"
    call_command("backup_database", str(backup))
    first = backup.read_bytes()

    with pytest.raises(CommandError, match="exists already"):
        call_command("backup_database", str(backup))

    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert backup.read_bytes() == first
    assert list(tmp_path.iterdir()) == [backup]


def _manage(*args: str, var_dir: Path) -> subprocess.CompletedProcess:
    return run_manage(*args, env={"SMS_VAR_DIR": str(var_dir)})


def test_backup_database_copies_a_sqlite_file_in_use_as_of_its_last_commit(on_sqlite, tmp_path):
    """The site's own shape: a WAL file that another process is writing to meanwhile."""
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    call_command("backup_database", str(var_dir / "sms.sqlite3"))  # the migrated schema
    database, backup = var_dir / "sms.sqlite3", tmp_path / "sms.backup"
    writer = sqlite3.connect(database, isolation_level=None, timeout=20)
    writer.execute("PRAGMA journal_mode=WAL")
    (permissions,) = writer.execute("SELECT count(*) FROM auth_permission").fetchone()
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM auth_permission")  # open, uncommitted while the backup runs

    backed_up = _manage("backup_database", str(backup), var_dir=var_dir)
    writer.execute("COMMIT")
    writer.close()
    restored = _manage("restore_database", str(backup), var_dir=var_dir)

    assert permissions > 0
    assert backed_up.returncode == 0, backed_up.stderr
    assert "Back up the media folder too" in backed_up.stdout
    assert restored.returncode == 0, restored.stderr
    with sqlite3.connect(database) as reader:
        assert reader.execute("SELECT count(*) FROM auth_permission").fetchone() == (permissions,)
        assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["sms.backup", "var"]
