"""Write a planned demo school to the database, fast, and wipe it again.

People and courses (thousands of rows) go through ``bulk_create``; the large tables
(millions of rows) through ``executemany`` on a plain cursor on SQLite, and ``COPY`` on
PostgreSQL (``copying``), in batches, inside one transaction, because building a model
instance per row would dominate the run time.
The generator only produces valid rows, so ``full_clean`` is skipped, and seed data has
no history rows. On SQLite, syncing to disk is switched off for the duration.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import DO_NOTHING, Model
from django.test.utils import override_settings
from django.utils import timezone

from apps.academics import changes
from apps.academics.demo import copying
from apps.academics.demo.generator import (
    ATTENDANCE_FIELDS,
    DAILY_PERFORMANCE_FIELDS,
    DEMO_EMAIL_DOMAIN,
    ENROLLMENT_FIELDS,
    GRADE_FIELDS,
    DemoDataset,
)
from apps.academics.models import (
    Attendance,
    Course,
    DailyPerformance,
    Enrollment,
    Grade,
    Student,
)
from apps.accounts.models import Role, User
from sms.sqlite import refresh_statistics, sqlite_pragmas

BATCH_SIZE = 5_000
PROGRESS_EVERY = 500_000
SQLITE_SEED_CACHE_KIB = 1_048_576


@dataclass(frozen=True)
class TableTiming:
    table: str
    rows: int
    seconds: float


@dataclass(frozen=True)
class SeedResult:
    timings: list[TableTiming]
    kept_users: list[str]  # accounts that existed already and were left as they were


Report = Callable[[str], None]


def database_is_empty() -> bool:
    """True when there are no students or courses yet (soft-deleted ones count)."""
    return not Student.all_objects.exists() and not Course.all_objects.exists()


def write_dataset(dataset: DemoDataset, *, report: Report = lambda line: None) -> SeedResult:
    timings: list[TableTiming] = []

    def timed(table: str, write: Callable[..., int], *args, **kwargs) -> None:
        started = time.perf_counter()
        rows = write(*args, **kwargs)
        timings.append(TableTiming(table, rows, time.perf_counter() - started))
        report(f"  {table:<18} {rows:>10,} rows {timings[-1].seconds:8.1f} s")

    # Adapted once, as the ORM would store it (SQLite keeps naive UTC text).
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    counts = dataset.row_counts()
    with _fast_sqlite_writes(), transaction.atomic():
        kept: list[str] = []
        timed("users", _write_users, dataset, kept)
        users = {u.username: u.pk for u in User.objects.filter(username__in=_usernames(dataset))}
        student_pks: list[int] = []
        course_pks: list[int] = []
        timed("students", _write_students, dataset, users, student_pks)
        timed("courses", _write_courses, dataset, users, course_pks)
        tables = (
            ("enrollments", Enrollment, ENROLLMENT_FIELDS, dataset.enrollment_rows),
            ("grades", Grade, GRADE_FIELDS, dataset.grade_rows),
            ("attendance", Attendance, ATTENDANCE_FIELDS, dataset.attendance_rows),
            ("daily_performance", DailyPerformance, DAILY_PERFORMANCE_FIELDS,
             dataset.daily_performance_rows),
        )  # fmt: skip
        for table, model, fields, rows in tables:
            progress = _progress(report, table, counts[table])
            timed(table, _insert_rows, model, fields, rows(student_pks, course_pks, now), progress)
        if connection.vendor == "sqlite":  # on PostgreSQL ``copying`` analyses what it loads
            refresh_statistics([Student, Course, *(model for _, model, _, _ in tables)])
        # Written in bulk, past the models: announce it once, so that what keeps figures
        # (the stored analytics) rebuilds everything when this commits. Seeds tell nobody.
        changes.record_change(kinds=changes.KINDS, everything=True, source="seed")
        started = time.perf_counter()
    timings.append(TableTiming("figures", 0, time.perf_counter() - started))
    report(f"  {'stored figures':<18} {'':>10}      {timings[-1].seconds:8.1f} s")
    return SeedResult(timings=timings, kept_users=kept)


def _usernames(dataset: DemoDataset) -> list[str]:
    return [plan.username for plan in dataset.users]


def _write_users(dataset: DemoDataset, kept: list[str]) -> int:
    existing = set(
        User.objects.filter(username__in=_usernames(dataset)).values_list("username", flat=True)
    )
    kept.extend(sorted(existing))
    # One hash per password: hashing is deliberately slow and the demo passwords are public.
    hashes = {password: make_password(password) for password in {u.password for u in dataset.users}}
    new_users = [
        User(
            username=plan.username,
            role=plan.role,
            first_name=plan.first_name or _student_of(dataset, plan.username).first_name,
            last_name=plan.last_name or _student_of(dataset, plan.username).last_name,
            email=plan.email,
            password=hashes[plan.password],
            is_staff=plan.role == Role.ADMIN,
            is_superuser=plan.role == Role.ADMIN,
        )
        for plan in dataset.users
        if plan.username not in existing
    ]
    User.objects.bulk_create(new_users)
    return len(new_users)


def _student_of(dataset: DemoDataset, username: str):
    return next(student for student in dataset.students if student.username == username)


def _write_students(dataset: DemoDataset, users: dict[str, int], pks: list[int]) -> int:
    students = [
        Student(
            student_id=plan.student_id,
            first_name=plan.first_name,
            last_name=plan.last_name,
            father_name=plan.father_name,
            email=plan.email,
            mobile_phone=plan.mobile_phone,
            phone=plan.phone,
            study_year=plan.study_year,
            academic_year=dataset.term.academic_year,
            class_division=plan.class_division,
            enrollment_date=plan.enrollment_date,
            is_active=plan.is_active,
            health_issue=plan.health_issue,
            user_id=_linkable_student_user(users, plan.username),
        )
        for plan in dataset.students
    ]
    Student.objects.bulk_create(students, batch_size=1_000)
    by_code = dict(Student.all_objects.values_list("student_id", "pk"))
    pks.extend(by_code[plan.student_id] for plan in dataset.students)
    return len(students)


def _linkable_student_user(users: dict[str, int], username: str | None) -> int | None:
    """A kept account that is already someone's profile is not linked twice."""
    user_id = users.get(username) if username else None
    if user_id and Student.all_objects.filter(user_id=user_id).exists():
        return None
    return user_id


def _write_courses(dataset: DemoDataset, users: dict[str, int], pks: list[int]) -> int:
    courses = [
        Course(
            course_code=plan.course_code,
            course_name=plan.course_name,
            semester=plan.semester,
            credits=plan.credits,
            description=plan.description,
            evaluation_rules=plan.evaluation_rules,
            absence_penalty=plan.absence_penalty,
            hours_per_week=plan.hours_per_week,
            periods_per_week=plan.hours_per_week,
        )
        for plan in dataset.courses
    ]
    Course.objects.bulk_create(courses, batch_size=1_000)
    by_code = dict(Course.all_objects.values_list("course_code", "pk"))
    pks.extend(by_code[plan.course_code] for plan in dataset.courses)
    through = Course.teachers.through
    Course.teachers.through.objects.bulk_create(
        through(course_id=pk, user_id=users[username])
        for pk, plan in zip(pks, dataset.courses, strict=True)
        for username in plan.teachers
    )
    return len(courses)


def _progress(report: Report, table: str, total: int) -> Callable[[int], None]:
    def show(done: int) -> None:
        report(f"    … {table}: {done:,} / {total:,}")

    return show


def _insert_rows(
    model: type[Model],
    fields: tuple[str, ...],
    rows: Iterator[tuple],
    progress: Callable[[int], None],
) -> int:
    if connection.vendor == "postgresql":
        return copying.copy_rows(model, fields, _batches(rows, BATCH_SIZE), _counter(progress))
    columns = {f.attname: f.column for f in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(columns[name]) for name in fields),
        ", ".join(["%s"] * len(fields)),
    )
    done = 0
    after_batch = _counter(progress)
    with _indexes_rebuilt_after(model), connection.cursor() as cursor:
        for batch in _batches(rows, BATCH_SIZE):
            cursor.executemany(sql, batch)
            after_batch(len(batch))
            done += len(batch)
    return done


def _counter(progress: Callable[[int], None]) -> Callable[[int], None]:
    """Counts rows written, batch by batch, and shows progress every PROGRESS_EVERY rows."""
    done = 0

    def after_batch(rows: int) -> None:
        nonlocal done
        if (done + rows) // PROGRESS_EVERY > done // PROGRESS_EVERY:
            progress(done + rows)
        done += rows

    return after_batch


def _batches(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


@contextmanager
def _indexes_rebuilt_after(model: type[Model]):
    """On SQLite, building an index once over a full table beats growing it row by row.

    Runs inside the seeding transaction, so a failure rolls the indexes back too.
    The unique constraints stay in place and keep checking every row.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "AND sql IS NOT NULL",
            [model._meta.db_table],
        )
        indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        for _name, sql in indexes:
            cursor.execute(sql)


@contextmanager
def _fast_sqlite_writes():
    """No fsync while seeding: a crash mid-seed just means seeding again."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    # synchronous=OFF (0); a large page cache keeps the indexes of the big tables in memory
    # while they grow.
    with sqlite_pragmas(synchronous=0, cache_size=-SQLITE_SEED_CACHE_KIB):
        yield


# --- reset --------------------------------------------------------------------------------


def reset_demo_data(*, report: Report = lambda line: None) -> None:
    """Delete all academic data, its history, and the demo accounts."""
    started = time.perf_counter()
    history_models = [
        model
        for model in apps.get_app_config("academics").get_models()
        if model._meta.model_name.startswith("historical")
    ]
    # Foreign key checks (off only outside a transaction, on SQLite) make SQLite delete
    # row by row; the ORM below still cascades and nulls relations itself.
    with _fast_sqlite_writes(), connection.constraint_checks_disabled(), transaction.atomic():
        for model in (Grade, Attendance, DailyPerformance, Enrollment, Course.teachers.through):
            _empty_table(model)
        # Students and courses go through the ORM so relations from other apps are honoured.
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            Student.all_objects.all().delete()
            Course.all_objects.all().delete()
        for model in history_models:
            _delete_all(model)
        User.objects.filter(
            email__iendswith=f"@{DEMO_EMAIL_DOMAIN}",
            role__in=[Role.ADMIN, Role.TEACHER, Role.STUDENT],
        ).delete()
        changes.record_change(kinds=changes.KINDS, everything=True, source="seed")
    report(f"  reset              {time.perf_counter() - started:21.1f} s")


def _empty_table(model: type[Model]) -> None:
    """A plain DELETE when nothing points at the rows; going through the ORM would load
    every row to send signals."""
    if any(rel.on_delete is not DO_NOTHING for rel in model._meta.related_objects):
        model._base_manager.all().delete()
    else:
        _delete_all(model)


def _delete_all(model: type[Model]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
