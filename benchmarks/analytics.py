"""Analytics API benchmark: cold and warm p50/p95 per endpoint on the current database.

Run against a database seeded with ``manage.py seed_demo --size large``:

    SMS_VAR_DIR=/path/to/var python benchmarks/analytics.py            # SQLite
    DATABASE_URL=postgres://… python benchmarks/analytics.py           # PostgreSQL

"Cold" clears the analytics cache (a new generation) before each request, so each one
computes its figures from the database; "warm" repeats the request against the cache.
Requests are built with DRF's request factory and handed to the analytics views as the
demo admin, so the timings include authentication, the view, the serialisation and the
cache, but neither the URL routing, the middleware nor the network.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sms.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from rest_framework.test import APIRequestFactory, force_authenticate  # noqa: E402

from apps.academics.models import Course, Student  # noqa: E402
from apps.accounts.models import User  # noqa: E402
from apps.analytics.api import views  # noqa: E402
from apps.analytics.caching import invalidate_analytics  # noqa: E402

FACTORY = APIRequestFactory()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def call(user, endpoint: tuple) -> object:
    view, path, params, pk = endpoint
    request = FACTORY.get(path, params)
    force_authenticate(request, user=user)
    response = view(request, pk=pk) if pk else view(request)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]}")
    return response


def measure(user, endpoint: tuple, runs: int, cold: bool) -> list[float]:
    timings = []
    if not cold:
        call(user, endpoint)  # fill the cache once
    for _ in range(runs):
        if cold:
            invalidate_analytics()
        started = time.perf_counter()
        call(user, endpoint)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--warm-runs", type=int, default=50)
    parser.add_argument("--only", nargs="*", help="endpoint names to run (default: all)")
    args = parser.parse_args()

    admin = (
        User.objects.filter(is_superuser=True).first() or User.objects.filter(role="admin").first()
    )
    if admin is None:
        raise SystemExit("No admin user: seed the database with manage.py seed_demo first.")
    student = Student.objects.order_by("pk").first()
    course = Course.objects.order_by("pk").first()
    base = "/api/v1/analytics/"
    endpoints = {
        "dashboard": (views.DashboardView.as_view(), base + "dashboard/", {}, None),
        "students": (
            views.StudentsView.as_view(),
            base + "students/",
            {"ordering": "-risk_score"},
            None,
        ),
        "student": (
            views.StudentDetailView.as_view(),
            base + f"students/{student.pk}/",
            {},
            student.pk,
        ),
        "grades": (views.GradesView.as_view(), base + "grades/", {}, None),
        "attendance": (views.AttendanceView.as_view(), base + "attendance/", {}, None),
        "courses": (views.CoursesView.as_view(), base + "courses/", {}, None),
        "course": (
            views.CourseDetailView.as_view(),
            base + f"courses/{course.pk}/",
            {},
            course.pk,
        ),
    }
    chosen = {name: url for name, url in endpoints.items() if not args.only or name in args.only}
    print(
        f"database: {connection.vendor}; students {Student.objects.count():,}; "
        f"courses {Course.objects.count():,}"
    )
    header = f"{'endpoint':<12}{'cold p50':>10}{'cold p95':>10}{'warm p50':>10}{'warm p95':>10}"
    print(header + "   (ms)")
    print("-" * len(header))
    for name, endpoint in chosen.items():
        cold = measure(admin, endpoint, args.cold_runs, cold=True)
        warm = measure(admin, endpoint, args.warm_runs, cold=False)
        print(
            f"{name:<12}{statistics.median(cold):>10.0f}{percentile(cold, 0.95):>10.0f}"
            f"{statistics.median(warm):>10.1f}{percentile(warm, 0.95):>10.1f}"
        )


if __name__ == "__main__":
    main()
