"""``manage.py send_teacher_digests [--dry-run] [--teacher USERNAME]``: the teachers' weekly
digest now, or (``--dry-run``) a preview of it printed here, sent to nobody."""

from django.core.management.base import BaseCommand, CommandError

from apps.analytics import digest_sending


class Command(BaseCommand):
    help = (
        "Email this week's digest of their courses to every active teacher with courses "
        "(the Monday beat does the same): new at-risk students, grade drops, attendance "
        "slips and assignments with missing grades. Teachers who opted out, who had this "
        "week's digest already, or who have nothing to report get nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print the emails instead of sending them; records nothing.",
        )
        parser.add_argument(
            "--teacher",
            action="append",
            metavar="USERNAME",
            help="Only this teacher (repeatable).",
        )

    def handle(self, *args, **options):
        usernames = options["teacher"] or None
        run = digest_sending.send_teacher_digests(usernames=usernames, dry_run=options["dry_run"])
        if usernames and not run.outcomes:
            raise CommandError(
                "No active teacher with active courses has the username: " + ", ".join(usernames)
            )
        for outcome in run.outcomes:
            if outcome.status == digest_sending.PREVIEW:
                self._print(outcome)
        counts = {}
        for outcome in run.outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        summary = ", ".join(f"{status}: {count}" for status, count in sorted(counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Teachers: {len(run.outcomes)} ({summary})"))

    def _print(self, outcome) -> None:
        message = outcome.message
        self.stdout.write(f"--- To: {', '.join(message.to)} ({outcome.username})")
        self.stdout.write(f"Subject: {message.subject}\n")
        self.stdout.write(message.body)
