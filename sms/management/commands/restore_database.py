"""``manage.py restore_database FILE [--force]``: put a backup_database backup back."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sms.backup import BackupError, restore_database, vendor_name


class Command(BaseCommand):
    help = (
        "Replace the whole database with a backup made by backup_database. Stop the web "
        "processes, workers and beat first. A database that holds data is replaced only "
        "with --force. Afterwards run migrate if this code is newer than the backup."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The backup to restore.")
        parser.add_argument(
            "--force", action="store_true", help="Replace a database that holds data."
        )
        parser.add_argument("--database", default="default", help="Database alias (default).")

    def handle(self, *args, file: Path, force: bool, database: str, **options):
        try:
            result = restore_database(file, using=database, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the {vendor_name(result.vendor)} database from {result.path} "
                f"in {result.seconds:.1f} s."
            )
        )
        if result.unknown_migrations:
            self.stderr.write(
                self.style.WARNING(
                    "The backup comes from a newer release: it has migrations this code "
                    f"does not know ({', '.join(result.unknown_migrations)}). Run that "
                    "release's code, or restore a backup made before the upgrade."
                )
            )
        if result.pending_migrations:
            self.stdout.write(
                f"{len(result.pending_migrations)} migration(s) of this code are not applied "
                "to the restored data: run manage.py migrate before starting the site."
            )
