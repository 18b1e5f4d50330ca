"""``manage.py rebuild_analytics``: recompute every stored analytics result from the data."""

import time

from django.core.management.base import BaseCommand

from apps.analytics.caching import clear_cached_figures
from apps.analytics.results import rebuild_results
from apps.analytics.warming import warm_common_figures


class Command(BaseCommand):
    help = (
        "Recompute the stored analytics results (per enrollment and per student, daily "
        "rollups, attendance slots, grade buckets) from the grade engine, 1,000 students "
        "and then 50 courses per transaction, then compute the most opened views ahead of "
        "visits. On SQLite the daily rollups are emptied first, and figures over a date "
        "range come from the grade engine until the rebuild ends. Run after writing data "
        "outside the application (raw SQL, restores); seed_demo runs it at the end."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-warm",
            action="store_true",
            help="Do not compute the whole-school and teachers' default views afterwards.",
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        timings = rebuild_results()
        clear_cached_figures()
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.seconds.items())
        if timings.computed_ahead:
            parts += f"; {timings.computed_ahead} chunks of students computed by a helper process"
        self.stdout.write(
            self.style.SUCCESS(
                f"Analytics rebuilt for {timings.students:,} students in "
                f"{time.perf_counter() - started:.1f} s ({parts})."
            )
        )
        if not options["no_warm"]:
            warmed = warm_common_figures()
            self.stdout.write(
                f"Warmed the default view of {warmed.views} users in {warmed.seconds:.1f} s."
            )
