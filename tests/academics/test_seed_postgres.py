"""Seeding on PostgreSQL: the big tables go in through ``COPY`` with their indexes and
foreign keys built after the load. The school stored must be the one the generator planned,
row for row, on either database, and the tables must come out with every index and
constraint they went in with, even when a load fails."""

import datetime as dt
import os
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.academics.demo import build_dataset, copying
from apps.academics.demo.generator import (
    ATTENDANCE_FIELDS,
    DAILY_PERFORMANCE_FIELDS,
    ENROLLMENT_FIELDS,
    GRADE_FIELDS,
)
from apps.academics.models import (
    Attendance,
    Course,
    DailyPerformance,
    Enrollment,
    Grade,
    Student,
)
from tests.factories import CourseFactory, StudentFactory

pytestmark = pytest.mark.postgres

STAMPS = {"created_at", "updated_at", "posted_at"}  # the time of the run, not the plan
TABLES = {
    "enrollments": (Enrollment, ENROLLMENT_FIELDS, "enrollment_rows"),
    "grades": (Grade, GRADE_FIELDS, "grade_rows"),
    "attendance": (Attendance, ATTENDANCE_FIELDS, "attendance_rows"),
    "daily_performance": (DailyPerformance, DAILY_PERFORMANCE_FIELDS, "daily_performance_rows"),
}


@pytest.fixture
def on_postgres(db):
    """Skips on SQLite; the PostgreSQL run (``SMS_REQUIRE_POSTGRES=1``) fails instead."""
    if connection.vendor == "postgresql":
        return
    if os.environ.get("SMS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"expected PostgreSQL, got {connection.vendor}", pytrace=False)
    pytest.skip(f"needs PostgreSQL, running on {connection.vendor}")


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def planned_rows(dataset, table: str) -> Counter:
    """The generator's rows with natural keys (student and course codes) for primary keys."""
    _model, fields, rows = TABLES[table]
    student_codes = [plan.student_id for plan in dataset.students]
    course_codes = [plan.course_code for plan in dataset.courses]
    keep = [i for i, name in enumerate(fields) if name not in STAMPS]
    return Counter(
        tuple(row[i] for i in keep)
        for row in getattr(dataset, rows)(student_codes, course_codes, timezone.now())
    )


def stored_rows(table: str) -> Counter:
    model, fields, _rows = TABLES[table]
    natural = {"student_id": "student__student_id", "course_id": "course__course_code"}
    columns = [natural.get(name, name) for name in fields if name not in STAMPS]
    return Counter(model.objects.values_list(*columns))


def table_shape(model) -> set[tuple[str, str]]:
    """Every index and constraint of the model's table, as PostgreSQL prints it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass",
            [model._meta.db_table, model._meta.db_table],
        )
        return set(cursor.fetchall())


def test_seed_demo_stores_exactly_the_rows_the_generator_planned(db):
    dataset = build_dataset("tiny", 7, timezone.localdate())

    output = seed("--size", "tiny", "--seed", "7")

    assert Student.objects.count() == 40
    assert Course.objects.count() == 6
    for table, count in dataset.row_counts().items():
        if table not in TABLES:
            continue
        stored = stored_rows(table)
        assert sum(stored.values()) == count, table
        assert stored == planned_rows(dataset, table), table
        assert f"{count:,} rows" in output


def test_seed_demo_on_postgres_leaves_every_index_and_constraint_in_place(on_postgres):
    models = [model for model, _fields, _rows in TABLES.values()]
    before = {model: table_shape(model) for model in models}

    seed("--size", "tiny", "--seed", "7")

    after = {model: table_shape(model) for model in models}
    assert after == before
    assert len(before[Attendance]) >= 10  # indexes, unique slot, foreign keys, checks


OCTOBER_1, OCTOBER_2 = dt.date(2026, 10, 1), dt.date(2026, 10, 2)


@pytest.mark.parametrize(
    "bad_row",
    [
        pytest.param(lambda s, c: (s, c, OCTOBER_1, 1, "absent"), id="duplicate-slot"),
        pytest.param(lambda s, c: (s + 10_000, c, OCTOBER_2, 1, "late"), id="unknown-student"),
    ],
)
def test_copy_rows_refused_row_loads_nothing_and_keeps_the_table_shape(on_postgres, bad_row):
    student, course = StudentFactory(), CourseFactory()
    before = table_shape(Attendance)
    fields = ("student_id", "course_id", "date", "period_number", "status", "notes",
              "created_at", "updated_at")  # fmt: skip
    now = timezone.now()
    good = (student.pk, course.pk, OCTOBER_1, 1, "present", "", now, now)
    rows = [good, (*bad_row(student.pk, course.pk), "", now, now)]

    with pytest.raises(IntegrityError), transaction.atomic():
        copying.copy_rows(Attendance, fields, iter([rows]), lambda count: None)

    assert Attendance.objects.count() == 0
    assert table_shape(Attendance) == before
