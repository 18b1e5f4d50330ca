"""Big lists benchmark: page-number and cursor pages of the attendance and grade lists.

    python benchmarks/lists.py                                    # SQLite, a temporary folder
    python benchmarks/lists.py --database-url postgres://…/bench  # a throw-away PostgreSQL database
    python benchmarks/lists.py --database-url sqlite:////tmp/lists.sqlite3  # kept for a re-run

It migrates the database and, when it is empty, fills it by bulk insert (a read benchmark's
throw-away data, not school data: no services, no history) with ``--attendance`` rows
(default 200,000) and ``--grades`` rows (default 100,000) spread over 2,000 students (one of
them soft-deleted), 50 courses and 150 school days, then runs ANALYZE. A database this script
filled before, with the same sizes, is reused as it is (so the same data can be measured
before and after a change). Requests go through Django's test client (URL routing,
middleware, session, view, serialisation; no network) as an admin and as a teacher of 8 of
the 50 courses. Each line gives the p50 / p95 of ``--runs`` requests and the p50 of the
time their SQL took (Django's query log, on for the measured requests), in ms:

- ``page 1`` and ``page N`` (``--deep-page``, default 1,000) of the page-number form;
- ``cursor first`` (``?cursor=``), ``cursor walk`` (every page while following ``next``
  links down to the depth of page N) and ``cursor deep`` (that last cursor page again);
- a course filter and a date range, page 1, to compare with the unfiltered list.

A cursor figure shows "—" when the API does not answer ``?cursor=`` with a cursor page
(before keyset pagination existed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STUDENTS, COURSES, TAUGHT, SCHOOL_DAYS = 2_000, 50, 8, 150
FIRST_DAY = dt.date(2024, 9, 2)  # a Monday
BATCH = 5_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="default: SQLite in a temporary folder")
    parser.add_argument("--attendance", type=int, default=200_000, help="attendance rows")
    parser.add_argument("--grades", type=int, default=100_000, help="grade rows")
    parser.add_argument("--runs", type=int, default=30, help="requests per figure")
    parser.add_argument("--deep-page", type=int, default=1_000, help="the deep page's number")
    parser.add_argument("--page-size", type=int, default=50)
    return parser.parse_args()


ARGS = parse_args()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sms.settings")
if ARGS.database_url:
    os.environ["DATABASE_URL"] = ARGS.database_url
else:
    os.environ.pop("DATABASE_URL", None)
    os.environ["SMS_VAR_DIR"] = tempfile.mkdtemp(prefix="sms-lists-bench-")
# Production-like settings (no query log); the per-user throttle is not what is measured.
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + os.urandom(16).hex())
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("SMS_PLAIN_HTTP", "1")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["SMS_THROTTLE_USER"] = "100000000/minute"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.academics import scoping  # noqa: E402
from apps.academics.models import Attendance, Course, Grade, Student  # noqa: E402
from apps.accounts.models import User  # noqa: E402


def school_days() -> list[dt.date]:
    days, day = [], FIRST_DAY
    while len(days) < SCHOOL_DAYS:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def bulk_insert(model, rows) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            model.objects.bulk_create(batch)
            batch = []
    model.objects.bulk_create(batch)


def attendance_rows(total: int, students: list[int], courses: list[int]):
    """Day after day, newest last: each student in one course per period of the day."""
    days = school_days()
    per_day = -(-total // len(days))
    statuses = ("present",) * 17 + ("absent", "late", "excused")
    made = 0
    for day in days:
        for k in range(min(per_day, total - made)):
            student, slot = k % len(students), k // len(students)
            yield Attendance(
                student_id=students[student],
                course_id=courses[(student + slot * 7) % len(courses)],
                date=day,
                period_number=slot + 1,
                status=statuses[(k * 7 + day.toordinal()) % len(statuses)],
            )
        made += per_day


def grade_rows(total: int, students: list[int], courses: list[int]):
    days = school_days()
    categories = ("Homework", "Homework", "Project", "Exam")
    for n in range(total):
        student, item = n % len(students), n // len(students)
        yield Grade(
            student_id=students[student],
            course_id=courses[(student + item) % len(courses)],
            assignment_name=f"Item {item}",
            category=categories[item % len(categories)],
            grade=(n * 13) % 100,
            max_grade=100,
            date_assigned=days[(n * 7) % len(days)],
        )


def fill(args: argparse.Namespace) -> tuple[User, User]:
    admin, _ = User.objects.get_or_create(
        username="lists-admin", defaults={"role": "admin", "is_staff": True}
    )
    teacher, _ = User.objects.get_or_create(username="lists-teacher", defaults={"role": "teacher"})
    have = (Attendance.objects.count(), Grade.objects.count())
    if have == (args.attendance, args.grades):
        print(f"reusing the data already there: {have[0]:,} attendance, {have[1]:,} grades")
        return admin, teacher
    if any(have) or Student.all_objects.exists():
        raise SystemExit(f"the database holds other data ({have}): give an empty one")
    started = time.perf_counter()
    Student.objects.bulk_create(
        Student(
            student_id=f"L{n:05d}",
            first_name=f"First{n}",
            last_name=f"Last{n}",
            email=f"l{n:05d}@example.org",
            study_year=n % 4 + 1,
            class_division=f"A{n % 8 + 1}",
        )
        for n in range(STUDENTS)
    )
    Course.objects.bulk_create(
        Course(course_code=f"LC{n:03d}", course_name=f"List {n}", semester="A")
        for n in range(COURSES)
    )
    students = list(Student.objects.order_by("pk").values_list("pk", flat=True))
    courses = list(Course.objects.order_by("pk").values_list("pk", flat=True))
    for course in Course.objects.filter(pk__in=courses[:TAUGHT]):
        course.teachers.add(teacher)
    Student.all_objects.filter(pk=students[-1]).update(deleted_at=timezone.now())
    bulk_insert(Attendance, attendance_rows(args.attendance, students, courses))
    bulk_insert(Grade, grade_rows(args.grades, students, courses))
    print(
        f"filled {args.attendance:,} attendance and {args.grades:,} grade rows "
        f"in {time.perf_counter() - started:.0f} s"
    )
    return admin, teacher


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def get(client: Client, path: str, params: dict | None = None):
    response = client.get(path, params or {})
    if response.status_code != 200:
        raise SystemExit(f"{path} {params} answered {response.status_code}: {response.content!r}")
    return response.json()


def timed(client: Client, path: str, params: dict | None, runs: int) -> list[tuple[float, float]]:
    """(request ms, of which SQL ms) of ``runs`` requests, after one unmeasured."""
    get(client, path, params)  # the first request warms the connection and the caches
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            get(client, path, params)
            elapsed = (time.perf_counter() - started) * 1000
        sql = sum(float(query["time"]) for query in queries.captured_queries) * 1000
        timings.append((elapsed, sql))
    return timings


def cursor_walk(client: Client, path: str, params: dict, pages: int) -> tuple[list, str] | None:
    """Timings of every cursor page down to ``pages`` deep, and the last page's URL."""
    body = get(client, path, {**params, "cursor": ""})
    if "count" in body:
        return None  # no cursor mode: ``?cursor=`` was ignored
    timings, url, seen = [], None, set()
    while body["next"] and len(timings) < pages - 1:
        url = body["next"]
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            body = client.get(url).json()
            elapsed = (time.perf_counter() - started) * 1000
        timings.append((elapsed, sum(float(q["time"]) for q in queries.captured_queries) * 1000))
        ids = {row["id"] for row in body["results"]}
        assert not ids & seen, "a cursor page repeated a row"
        seen |= ids
    return timings, url


def line(label: str, timings: list[tuple[float, float]] | None) -> None:
    if not timings:
        print(f"{label:<52}" + f"{'—':>9}" * 3, flush=True)
        return
    request, sql = [t[0] for t in timings], [t[1] for t in timings]
    figures = (statistics.median(request), percentile(request, 0.95), statistics.median(sql))
    print(f"{label:<52}" + "".join(f"{figure:>9.1f}" for figure in figures), flush=True)


def measure(client: Client, who: str, path: str, params: dict, args: argparse.Namespace) -> None:
    """Page 1, a deep page (``--deep-page``, or the last one of a shorter list) and the
    cursor pages down to the same depth."""
    size = {"page_size": args.page_size}
    shown = "&".join(f"{key}={value}" for key, value in params.items())
    name = f"{who} {path.split('/')[-2]}{'?' + shown if shown else ''}"
    scope = scoping.attendance_for if "attendance" in path else scoping.grades_for
    depth = min(args.deep_page, -(-scope(client.user).count() // args.page_size))
    line(f"{name} page 1", timed(client, path, {**params, **size}, args.runs))
    deep = {**params, **size, "page": depth}
    line(f"{name} page {depth:,}", timed(client, path, deep, args.runs))
    line(f"{name} cursor first", timed(client, path, {**params, **size, "cursor": ""}, args.runs))
    walked = cursor_walk(client, path, {**params, **size}, depth)
    if walked is None:
        line(f"{name} cursor walk", None)
        line(f"{name} cursor deep", None)
        return
    timings, deep_url = walked
    line(f"{name} cursor walk ({len(timings) + 1:,} pages)", timings)
    line(f"{name} cursor deep", timed(client, deep_url, None, args.runs))


def main(args: argparse.Namespace) -> None:
    call_command("migrate", verbosity=0)
    admin, teacher = fill(args)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    course = Course.objects.order_by("pk").values_list("pk", flat=True).first()
    last_day = school_days()[-1]
    print(
        f"database: {connection.vendor}; {Attendance.objects.count():,} attendance, "
        f"{Grade.objects.count():,} grades; page_size {args.page_size}; {args.runs} runs; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'request':<52}{'p50':>9}{'p95':>9}{'SQL p50':>9}   (ms)")
    print("-" * 79)
    clients = {}
    for who, user in (("admin", admin), ("teacher", teacher)):
        clients[who] = Client(HTTP_HOST="localhost")
        clients[who].force_login(user)
        clients[who].user = user
    measure(clients["admin"], "admin", "/api/v1/attendance/", {}, args)
    measure(clients["admin"], "admin", "/api/v1/grades/", {}, args)
    measure(clients["admin"], "admin", "/api/v1/grades/", {"ordering": "-date_assigned"}, args)
    measure(clients["teacher"], "teacher", "/api/v1/attendance/", {}, args)
    size = {"page_size": args.page_size}
    for label, params in (
        ("admin attendance?course page 1", {"course": course}),
        ("admin attendance?date_from&date_to page 1",
         {"date_from": last_day - dt.timedelta(days=28), "date_to": last_day}),
        ("admin attendance?status=absent page 1", {"status": "absent"}),
    ):  # fmt: skip
        line(label, timed(clients["admin"], "/api/v1/attendance/", {**params, **size}, args.runs))
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if connection.vendor == "sqlite":
        print(f"(SQLite file under {os.environ.get('SMS_VAR_DIR') or args.database_url})")


if __name__ == "__main__":
    main(ARGS)
