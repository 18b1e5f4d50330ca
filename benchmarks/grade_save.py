"""One grade saved through the service, committed: the teacher's click, end to end.

Times ``services.grade_update`` on a seeded database with everything that runs when it
commits (the change hook: the stored analytics refresh and the notice to the student).
The grade alternates between two values so every save is a real change.

    SMS_VAR_DIR=/path/to/var python benchmarks/grade_save.py --runs 60
    DATABASE_URL=postgres://… python benchmarks/grade_save.py --runs 60
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
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

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from apps.academics import services  # noqa: E402
from apps.academics.models import Grade  # noqa: E402
from apps.accounts.models import User  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    # A student with a login, so the notice is part of the cost, as for a real student.
    grade = (
        Grade.objects.filter(student__user__isnull=False, category__in=["Final", "Midterm"])
        .order_by("pk")
        .first()
        or Grade.objects.order_by("pk").first()
    )
    actor = User.objects.filter(role="teacher").order_by("pk").first()
    values = (grade.grade, max(Decimal("0"), min(grade.max_grade, grade.grade - 1)))
    timings, queries = [], []
    for run in range(args.runs + 3):
        grade = Grade.objects.get(pk=grade.pk)
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            services.grade_update(grade_obj=grade, actor=actor, grade=values[run % 2])
            elapsed = (time.perf_counter() - started) * 1000
        if run >= 3:  # the first saves warm the caches and the connection
            timings.append(elapsed)
            queries.append(len(captured))
    timings.sort()
    p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
    print(
        f"grade save ({connection.vendor}, {len(timings)} runs): "
        f"p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, "
        f"{statistics.median(queries):.0f} queries"
    )


if __name__ == "__main__":
    main()
