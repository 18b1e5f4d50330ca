"""Analytics API benchmark: cold and warm p50/p95 per endpoint on the current database.

Run against a database seeded with ``manage.py seed_demo --size large``:

    SMS_VAR_DIR=/path/to/var python benchmarks/analytics.py            # SQLite
    DATABASE_URL=postgres://… python benchmarks/analytics.py           # PostgreSQL

"Cold" clears the analytics cache (a new generation) before each request, so each one
computes its figures from the database (the stored results, kept current on write, are
left as they are); "warm" repeats the request against the cache. Requests go through
Django's test client as the demo admin, so the timings include the URL routing, the
middleware, the session, the view, the serialisation and the cache, but not the network.

Every endpoint is timed for each role scope (``--roles``: the demo ``admin``, ``teacher``
and ``student``; a student only has their own report) and each filter combination
(``--filters``: none, a mid-week ``date_from``, a 30-day range from a Wednesday, a
single day, a semester, one course, one class, one study year), and each cold p95 is
also given as a multiple of the same user's unfiltered cold dashboard (target ≤ 3×).
``trend rows`` says for how many students the trend had to be read from raw rows (their
stored segments interleave; ``apps/analytics/ranged/trend.py``).

The process's garbage collector is set up as the web processes' (``SMS_GC_THRESHOLDS``,
``sms/gc_tuning.py``; ``off`` for Python's own).

``--refresh [RUNS]`` also times the refresh of the stored results after one grade write
(the write is made and undone inside a transaction that is rolled back), RUNS times
(default 20) after a first run that counts the queries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sms.settings")
# Production-like settings (no query log); a throw-away key when none is given.
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + os.urandom(16).hex())
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("SMS_PLAIN_HTTP", "1")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from apps.academics import scoping  # noqa: E402
from apps.academics.models import Course, Grade, Student  # noqa: E402
from apps.accounts.models import User  # noqa: E402
from apps.analytics import ranged, results  # noqa: E402
from apps.analytics.caching import clear_cached_figures  # noqa: E402
from sms.gc_tuning import tune_this_process  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def call(client: Client, endpoint: tuple) -> object:
    path, params = endpoint
    response = client.get(path, params)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]}")
    return response


def measure(client: Client, endpoint: tuple, runs: int, cold: bool) -> list[float]:
    timings = []
    if not cold:
        call(client, endpoint)  # fill the cache once
    for _ in range(runs):
        if cold:
            clear_cached_figures()
        started = time.perf_counter()
        call(client, endpoint)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def time_refresh(runs: int) -> None:
    """Queries and time of the on-commit refresh after saving one grade: the queries
    counted once, then ``runs`` timings without the query log (which slows each query)."""
    grade = Grade.objects.order_by("pk").first()

    def refresh_once(capture: bool) -> tuple[float, int]:
        with transaction.atomic():
            grade.grade = grade.grade
            grade.save()
            with CaptureQueriesContext(connection) if capture else nullcontext() as queries:
                started = time.perf_counter()
                results.flush_pending()
                elapsed = (time.perf_counter() - started) * 1000
            transaction.set_rollback(True)
        return elapsed, len(queries) if capture else 0

    first, count = refresh_once(capture=True)  # also the first, colder run: not counted
    timings = [refresh_once(capture=False)[0] for _ in range(runs)]
    print(
        f"refresh after one grade save: {count} queries; first {first:.1f} ms, then "
        f"{runs} runs p50 {statistics.median(timings):.1f} / p95 "
        f"{percentile(timings, 0.95):.1f} / max {max(timings):.1f} ms"
    )


FILTER_NAMES = ("none", "from", "range", "day", "semester", "course", "class", "year")


def filter_sets(user) -> dict[str, dict]:
    """The filter combinations, anchored in the middle of the grades' dates."""
    dates = Grade.objects.order_by("date_assigned").values_list("date_assigned", flat=True)
    first, last = dates.first(), dates.last()
    middle = first + (last - first) / 2
    wednesday = middle - dt.timedelta(days=middle.weekday()) + dt.timedelta(days=2)
    courses = scoping.courses_for(user).order_by("pk")
    course = courses.first()
    # The class of the student whose report is timed, so that it stays in the filter.
    student = report_student(user)
    division = student.class_division if student else ""
    return {
        "none": {},
        "from": {"date_from": wednesday.isoformat()},
        "range": {
            "date_from": wednesday.isoformat(),
            "date_to": (wednesday + dt.timedelta(days=29)).isoformat(),
        },
        "day": {"date_from": wednesday.isoformat(), "date_to": wednesday.isoformat()},
        "semester": {"semester": course.semester} if course else {},
        "course": {"course": course.pk} if course else {},
        "class": {"class_division": division},
        "year": {"study_year": student.study_year} if student else {},
    }


def report_student(user):
    """The student whose report is timed: the first in scope with a class, if any."""
    students = scoping.students_for(user).order_by("pk")
    return students.exclude(class_division="").first() or students.first()


def endpoints_for(user, role: str) -> dict[str, tuple]:
    base = "/api/v1/analytics/"
    student = report_student(user)
    if role == "student":
        return {"student": (base + f"students/{student.pk}/", {})} if student else {}
    course = scoping.courses_for(user).order_by("pk").first()
    return {
        "dashboard": (base + "dashboard/", {}),
        "students": (base + "students/", {"ordering": "-risk_score"}),
        "student": (base + f"students/{student.pk}/", {}),
        "grades": (base + "grades/", {}),
        "attendance": (base + "attendance/", {}),
        "courses": (base + "courses/", {}),
        "course": (base + f"courses/{course.pk}/", {}),
    }


def user_for(role: str):
    if role == "admin":
        return (
            User.objects.filter(username="admin").first()
            or User.objects.filter(is_superuser=True).first()
            or User.objects.filter(role="admin").first()
        )
    return User.objects.filter(username=role).first() or User.objects.filter(role=role).first()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--warm-runs", type=int, default=50)
    parser.add_argument("--only", nargs="*", help="endpoint names to run (default: all)")
    parser.add_argument("--roles", nargs="*", default=["admin", "teacher", "student"])
    parser.add_argument("--filters", nargs="*", default=list(FILTER_NAMES), choices=FILTER_NAMES)
    parser.add_argument(
        "--refresh",
        type=int,
        nargs="?",
        const=20,
        default=0,
        metavar="RUNS",
        help="also time the refresh after one grade save (RUNS times, default 20)",
    )
    args = parser.parse_args()
    # As the web processes do once started (SMS_GC_THRESHOLDS=off: Python's collector).
    tune_this_process()

    print(
        f"database: {connection.vendor}; students {Student.objects.count():,}; "
        f"courses {Course.objects.count():,}"
    )
    header = (
        f"{'role':<9}{'filter':<10}{'endpoint':<12}{'cold p50':>10}{'cold p95':>10}"
        f"{'× dash':>8}{'warm p50':>10}{'warm p95':>10}{'trend rows':>12}"
    )
    print(header + "   (ms)")
    print("-" * len(header))
    for role in args.roles:
        user = user_for(role)
        if user is None:
            raise SystemExit(f"No {role} user: seed the database with manage.py seed_demo first.")
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        endpoints = endpoints_for(user, role)
        chosen = {n: e for n, e in endpoints.items() if not args.only or n in args.only}
        filters = filter_sets(user)
        reference = None
        call(client, next(iter(endpoints.values())))  # first request: imports, URL resolver
        if "dashboard" in endpoints:
            reference = percentile(
                measure(client, endpoints["dashboard"], args.cold_runs, True), 0.95
            )
        for filter_name in args.filters:
            for name, (path, params) in chosen.items():
                endpoint = (path, {**params, **filters[filter_name]})
                ranged.LAST_TREND_STATS.from_rows = 0
                cold = measure(client, endpoint, args.cold_runs, cold=True)
                from_rows = ranged.LAST_TREND_STATS.from_rows
                warm = measure(client, endpoint, args.warm_runs, cold=False)
                ratio = f"{percentile(cold, 0.95) / reference:.1f}" if reference else "-"
                print(
                    f"{role:<9}{filter_name:<10}{name:<12}{statistics.median(cold):>10.0f}"
                    f"{percentile(cold, 0.95):>10.0f}{ratio:>8}"
                    f"{statistics.median(warm):>10.1f}{percentile(warm, 0.95):>10.1f}"
                    f"{from_rows:>12}",
                    flush=True,
                )
    if args.refresh:
        time_refresh(args.refresh)


if __name__ == "__main__":
    main()
