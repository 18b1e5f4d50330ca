"""``manage.py backup_database FILE [--force]``: a consistent copy of the whole database."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sms.backup import BackupError, backup_database, vendor_name


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the whole database to FILE while the site runs: "
        "a SQLite database file, or a pg_dump custom-format archive for PostgreSQL. "
        "Restore it with restore_database. Uploaded and exported files (the media folder) "
        "are not in it: back them up too."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="Where to write the backup.")
        parser.add_argument("--force", action="store_true", help="Replace FILE if it exists.")
        parser.add_argument("--database", default="default", help="Database alias (default).")

    def handle(self, *args, file: Path, force: bool, database: str, **options):
        try:
            result = backup_database(file, using=database, overwrite=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up the {vendor_name(result.vendor)} database to {result.path} "
                f"({result.size / 1_048_576:.1f} MB) in {result.seconds:.1f} s."
            )
        )
        self.stdout.write(f"Back up the media folder too: {settings.MEDIA_ROOT}")
