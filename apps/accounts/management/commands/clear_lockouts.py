"""``manage.py clear_lockouts [--username NAME] [--address IP] [--list]``: see and lift
login lockouts from a shell, e.g. when the only administrator is locked out."""

from django.core.management.base import BaseCommand

from apps.accounts import lockout


class Command(BaseCommand):
    help = (
        "Lift login lockouts: those of a username (from any address), of an address (its "
        "own and its usernames'), both, or with neither option every current lockout. "
        "--list only shows them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", help="Lift this username's lockouts.")
        parser.add_argument("--address", help="Lift this client address's lockouts.")
        parser.add_argument(
            "--list", action="store_true", dest="list_only", help="Show, do not lift."
        )

    def handle(self, *args, username: str | None, address: str | None, list_only: bool, **options):
        if list_only:
            for item in lockout.current_lockouts():
                until = f"{item.until:%Y-%m-%d %H:%M:%S} UTC"
                who = item.username or "*"
                self.stdout.write(f"{who}\t{item.ip}\t{item.failures} failures\tuntil {until}")
            return
        lifted = lockout.clear_lockouts(username=username, ip=address)
        self.stdout.write(self.style.SUCCESS(f"{lifted} lockout(s) lifted."))
