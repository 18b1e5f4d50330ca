"""What a whole school's date range costs before any figure is worked out.

Every exact figure over a range (an average of final grades, a pass rate, a risk level)
needs each enrollment's sums over that range first: a final grade is not a sum of
daily final grades. This times the least the database can do for that on the current
database: group the range's daily rollup rows by enrollment (and category) and count
the groups, with nothing sent to Python, then the same groups fetched as plain rows. It
also counts how many rows the same range would have as whole weeks, to show whether
coarser rollups would read fewer. The cold unfiltered dashboard of the same user is
timed for comparison (the target: a filtered figure within 3× of it, and under 500 ms).

    DATABASE_URL=postgres://… python benchmarks/range_floor.py --filters day range from
    SMS_VAR_DIR=/path/to/var python benchmarks/range_floor.py                 # SQLite

The filters are ``analytics.py``'s: ``day`` the Wednesday in the middle of the grades'
dates, ``range`` 30 days from it, ``from`` that Wednesday onwards.
"""

from __future__ import annotations

import argparse
import statistics
import time

# The analytics benchmark (this folder) sets Django up as the web processes have it.
from analytics import filter_sets, measure, user_for  # isort: skip
from django.db import connection
from django.db.models import Count, Sum
from django.db.models.functions import TruncWeek
from django.test import Client

from apps.analytics.models import AttendanceDay, GradeDay
from apps.analytics.ranged.reading import within_dates
from sms.gc_tuning import tune_this_process

# Each rollup, the columns that make one of its groups, and the sums the engine needs.
ROLLUPS = {
    "grade days": (
        GradeDay,
        ("student_id", "course_id", "category"),
        ("weighted_sum", "weight_sum", "items"),
    ),
    "attendance days": (
        AttendanceDay,
        ("student_id", "course_id"),
        ("present", "absent", "late", "excused"),
    ),
}


def median_ms(run, repeats: int) -> tuple[float, object]:
    run()  # the first read brings the pages into memory: not counted
    timings, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), result


def executed(sql: str, params: list, fetch_all: bool):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return len(cursor.fetchall()) if fetch_all else cursor.fetchone()[0]

    return run


def floor_of(name: str, params: dict, repeats: int) -> float:
    model, group_by, sums = ROLLUPS[name]
    rows = within_dates(
        model.objects.order_by(), "day", params.get("date_from"), params.get("date_to")
    )
    grouped = rows.values(*group_by).annotate(**{f"total_{s}": Sum(s) for s in sums})
    sql, sql_params = grouped.query.sql_with_params()
    count_ms, groups = median_ms(
        executed(f"SELECT COUNT(*) FROM ({sql}) grouped", list(sql_params), False), repeats
    )
    fetch_ms, _ = median_ms(executed(sql, list(sql_params), True), repeats)
    days = rows.count()
    weeks = (
        rows.annotate(week=TruncWeek("day"))
        .values(*group_by, "week")
        .annotate(n=Count("pk"))
        .order_by()
        .count()
    )
    print(
        f"  {name}: {days:,} day rows, {weeks:,} as whole weeks, {groups:,} groups; "
        f"grouped in the database {count_ms:.0f} ms, grouped and fetched {fetch_ms:.0f} ms"
    )
    return count_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filters", nargs="*", default=["day", "range", "from"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--user", default="admin")
    args = parser.parse_args()
    tune_this_process()
    user = user_for(args.user)
    client = Client()
    client.force_login(user)
    dashboard = ("/api/v1/analytics/dashboard/", {})
    unfiltered = statistics.median(measure(client, dashboard, args.repeats, cold=True))
    print(
        f"database: {connection.vendor}; {args.user}'s unfiltered cold dashboard p50 "
        f"{unfiltered:.0f} ms, so 3x is {3 * unfiltered:.0f} ms"
    )
    filters = filter_sets(user)
    for name in args.filters:
        params = filters[name]
        print(f"{name} {params}:")
        grouping = sum(floor_of(rollup, params, args.repeats) for rollup in ROLLUPS)
        print(f"  grouping alone: {grouping:.0f} ms ({grouping / unfiltered:.1f}x the dashboard)")


if __name__ == "__main__":
    main()
