"""``manage.py rebuild_analytics``: recompute every stored analytics result from the data."""

import time

from django.core.management.base import BaseCommand

from apps.analytics.caching import clear_cached_figures
from apps.analytics.results import rebuild_results


class Command(BaseCommand):
    help = (
        "Recompute the stored analytics results (per enrollment and per student, attendance "
        "slots, grade buckets) from the grade engine. Run after writing data outside the "
        "application (raw SQL, restores); seed_demo runs it at the end."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        timings = rebuild_results()
        clear_cached_figures()
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.seconds.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Analytics rebuilt for {timings.students:,} students in "
                f"{time.perf_counter() - started:.1f} s ({parts})."
            )
        )
