"""Bulk import/export benchmark (SPEC §6 targets), on a fresh throw-away database.

    python benchmarks/bulkio.py                          # SQLite in a temporary folder
    DATABASE_URL=postgres://… python benchmarks/bulkio.py  # an empty PostgreSQL database

It migrates the database, creates 1,000 students, 50 courses and the enrollments the
grade file needs, then times the service calls the API makes (no HTTP): preview and
apply of 1,000 student rows, preview / apply / rollback of 100,000 grade rows (change
records kept), parse + validate rows/s, CSV and XLSX exports of 100,000 rows and a
5,000-row PDF. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sms.settings")
if not os.environ.get("DATABASE_URL"):
    os.environ["SMS_VAR_DIR"] = tempfile.mkdtemp(prefix="sms-bulkio-bench-")
os.environ.setdefault("SMS_BULKIO_BACKGROUND_ROWS", "10000000")  # time the work, inline
# Production settings: DEBUG off (no query log), quiet logging.
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
os.environ.setdefault("ALLOWED_HOSTS", "localhost")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from apps.academics.filtering import RecordFilters  # noqa: E402
from apps.academics.models import Course, Enrollment, Grade, Student  # noqa: E402
from apps.accounts.models import User  # noqa: E402
from apps.bulkio import exporting  # noqa: E402
from apps.bulkio.importing import jobs  # noqa: E402
from apps.bulkio.importing.plan import build_plan  # noqa: E402
from apps.bulkio.importing.resources import RESOURCES  # noqa: E402

STUDENTS, COURSES, GRADES = 1000, 50, 100_000
results: list[tuple[str, str, str]] = []


def timed(label: str, target: str, func):
    started = time.perf_counter()
    value = func()
    elapsed = time.perf_counter() - started
    results.append((label, f"{elapsed:.2f} s", target))
    print(f"{label:<46} {elapsed:8.2f} s   (target {target})", flush=True)
    return value


def peak_rss_mb() -> float:
    """The process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def student_file() -> bytes:
    header = ["student_id", "first_name", "last_name", "email", "study_year", "class_division"]
    rows = [
        [
            f"B{n:05d}",
            f"First{n}",
            f"Last{n}",
            f"b{n:05d}@example.org",
            str(n % 4 + 1),
            "A1" if n % 2 == 0 else "A2",
        ]  # fmt: skip
        for n in range(STUDENTS)
    ]
    return csv_bytes([header, *rows])


def grade_file() -> bytes:
    header = ["student_id", "course_code", "assignment_name", "category", "grade", "max_grade",
              "weight", "date_assigned", "date_submitted"]  # fmt: skip
    rows = []
    per_pair = GRADES // (STUDENTS * 10)  # every student in 10 courses
    for n in range(STUDENTS):
        for k in range(10):
            course = f"BC{(n + k) % COURSES:03d}"
            for item in range(per_pair):
                assigned = dt.date(2025, 10, 1) + dt.timedelta(days=item)
                rows.append([f"B{n:05d}", course, f"Homework {item + 1}", "Homework",
                             f"{(n * 7 + item * 13) % 100}.5", "100", "1", assigned.isoformat(),
                             (assigned + dt.timedelta(days=1)).isoformat()])  # fmt: skip
    return csv_bytes([header, *rows])


def start(admin, resource: str, data: bytes):
    return jobs.start_import(
        user=admin, resource=resource, filename=f"{resource}.csv", data=data, mode="all_or_nothing"
    )


def main() -> None:
    print(f"database: {connection.vendor}", flush=True)
    call_command("migrate", verbosity=0)
    admin, _created = User.objects.get_or_create(
        username="bench-admin", defaults={"role": "admin", "is_staff": True}
    )
    Course.objects.bulk_create(
        Course(course_code=f"BC{n:03d}", course_name=f"Bench {n}", semester="A")
        for n in range(COURSES)
    )

    def students_round_trip():
        job = start(admin, "students", student_file())
        jobs.confirm_import(job, actor=admin)
        return job

    job = timed("1,000 students preview + apply", "< 1 s", students_round_trip)
    job.refresh_from_db()
    assert job.status == "applied", job.error_message
    students = dict(Student.objects.values_list("student_id", "pk"))
    courses = dict(Course.objects.values_list("course_code", "pk"))
    Enrollment.objects.bulk_create(
        Enrollment(
            student_id=students[f"B{n:05d}"], course_id=courses[f"BC{(n + k) % COURSES:03d}"]
        )
        for n in range(STUDENTS)
        for k in range(10)
    )

    data = grade_file()
    table = jobs.read_upload(data, "grades.csv", "grades")
    plan = timed(
        "parse + validate 100,000 grade rows", "≥ 50,000 rows/s",
        lambda: build_plan(RESOURCES["grades"], jobs.read_upload(data, "grades.csv", "grades")),
    )  # fmt: skip
    rate = len(table.rows) / float(results[-1][1].split()[0])
    results[-1] = (results[-1][0], f"{results[-1][1]} ({rate:,.0f} rows/s)", results[-1][2])
    assert plan.totals["error"] == 0, plan.error_rows[:3]
    del plan, table
    baseline = peak_rss_mb()  # the peak so far: the file's generation and the timed parse
    job = timed("100,000 grades preview", "< 10 s", lambda: start(admin, "grades", data))
    timed("100,000 grades apply", "< 10 s", lambda: jobs.confirm_import(job, actor=admin))
    job.refresh_from_db()
    assert job.status == "applied" and Grade.objects.count() == GRADES, job.error_message
    growth = peak_rss_mb() - baseline
    results.append(("peak memory growth, 100,000 grades preview + apply",
                    f"{growth:.0f} MB ({len(data) / 1e6:.1f} MB file)", "< 200 MB"))  # fmt: skip
    print(f"{results[-1][0]:<46} {results[-1][1]}", flush=True)
    request = exporting.make_request("grades", "csv", [], RecordFilters())
    size = timed(
        "export 100,000 grades CSV", "< 1 s", lambda: len(exporting.to_csv(request, admin))
    )
    print(f"   ({size / 1e6:.1f} MB)")
    request = exporting.make_request("grades", "xlsx", [], RecordFilters())
    timed("export 100,000 grades XLSX", "< 8 s", lambda: exporting.to_xlsx(request, admin))
    # Class A1 (500 students × 10 courses) on one day: 5,000 rows.
    one_day = dt.date(2025, 10, 1)
    request = exporting.make_request(
        "grades",
        "pdf",
        [],
        RecordFilters(class_division="A1", date_from=one_day, date_to=one_day),
    )
    count = exporting.count_rows(request, admin)
    timed(f"export {count:,}-row PDF", "< 15 s",
          lambda: exporting.to_pdf(request, admin, max_rows=count))  # fmt: skip
    timed("100,000 grades rollback", "—", lambda: jobs.rollback_import(job, actor=admin))
    assert Grade.objects.count() == 0
    print()
    print(f"| what ({connection.vendor}) | measured | target |")
    print("| --- | --- | --- |")
    for label, value, target in results:
        print(f"| {label} | {value} | {target} |")
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        print(f"(SQLite file under {os.environ.get('SMS_VAR_DIR')})")


if __name__ == "__main__":
    main()
