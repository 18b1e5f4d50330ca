"""``manage.py seed_demo --size small|large [--seed N] [--reset]``: fill an empty database
with a realistic demo school and print the logins."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.academics.demo import (
    PASSWORDS,
    SIZES,
    build_dataset,
    database_is_empty,
    reset_demo_data,
    write_dataset,
)


class Command(BaseCommand):
    help = (
        "Create demo data: an admin, teachers, student accounts, students, courses, "
        "enrollments, grades, attendance and daily performance. 'small' takes seconds; "
        "'large' is the benchmark dataset (10,000 students, 1,000,000 grades, 2,000,000 "
        "attendance records). The same seed on the same day gives the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            choices=sorted(SIZES),
            default="small",
            help="small (default), large, or tiny (used by the tests).",
        )
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete all students, courses and their records, and the demo accounts, first.",
        )

    def handle(self, *args, size: str, seed: int, reset: bool, **options):
        started = time.perf_counter()
        if reset:
            self.stdout.write("Deleting existing academic data and demo accounts…")
            reset_demo_data(report=self.stdout.write)
        elif not database_is_empty():
            raise CommandError(
                "The database already has students or courses. Run seed_demo with --reset to "
                "delete them (and the demo accounts) and seed again."
            )
        dataset = build_dataset(size, seed, timezone.localdate())
        term = dataset.term
        self.stdout.write(
            f"Seeding the '{size}' demo (seed {seed}), school days {term.days[0]} to "
            f"{term.days[-1]}, academic year {term.academic_year}:"
        )
        # The stored figures are rebuilt when the seed's transaction commits (change hook).
        result = write_dataset(dataset, report=self.stdout.write)
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {elapsed:.1f} s."))
        self._print_logins(dataset, result.kept_users)

    def _print_logins(self, dataset, kept_users: list[str]) -> None:
        by_role: dict[str, list[str]] = {}
        for plan in dataset.users:
            by_role.setdefault(plan.role, []).append(plan.username)
        self.stdout.write("")
        self.stdout.write("Demo logins (demo passwords: change them before any real use):")
        self.stdout.write(f"  {'role':<8} {'username':<10} password")
        for role in ("admin", "teacher", "student"):
            usernames = by_role.get(role, [])
            if not usernames:
                continue
            others = ""
            if len(usernames) > 1:
                others = f"   (also {usernames[1]} … {usernames[-1]}, same password)"
            self.stdout.write(f"  {role:<8} {usernames[0]:<10} {PASSWORDS[role]}{others}")
        if kept_users:
            self.stdout.write(
                self.style.WARNING(
                    "These accounts existed already and were left unchanged (their passwords "
                    "are not the demo ones): " + ", ".join(kept_users)
                )
            )
