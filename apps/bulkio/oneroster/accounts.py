"""SMS accounts for a OneRoster package's teachers and students.

A teacher row is matched to the SMS account of its ``username``; when SMS has none, the
import creates one: the teacher role, the row's username, names and email, ``enabledUser``
as its *active*, and an unusable password, so nobody signs in with it until an
administrator sets a password. A student row whose username is not its student ID (the
export writes the student ID for a student without an account) names the student's
account: linked when SMS has it and no other student holds it, created as a teacher's
is otherwise. A student who already has an account keeps it. Administrators and the other
roles never get an account from a file.

Usernames are matched exactly; one that differs from an SMS account's only in case is a row
error, as is an account of another role. Every account created is in the import's change
log (``ImportChange``), so a rollback removes it again (``remove_created``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from apps.academics.batch import ERROR, NEW, UPDATE, FieldRules, RevertResult
from apps.accounts.models import Role, User
from apps.bulkio.columns import CellError, parse_bool
from apps.bulkio.importing.plan import RowPlan
from apps.bulkio.models import ChangeAction, ImportChange
from apps.bulkio.oneroster.report import FileReport

LOOKUP_CHUNK = 2000
# The account fields a file fills, and the file column each comes from.
COLUMNS = {"username": "username", "first_name": "givenName", "last_name": "familyName",
           "email": "email"}  # fmt: skip
# What the change log keeps of a created account: a rollback is refused (a conflict) once
# an administrator has changed one of these, or the person has signed in.
TRACKED = ("username", "first_name", "last_name", "email", "role", "is_active", "last_login")


def folded(username: str) -> str:
    return username.lower()


class Accounts:
    """The accounts a package's rows name: found in SMS, or planned and then created."""

    def __init__(self, *, job):
        self.job = job
        self.rules = FieldRules(User, COLUMNS)
        self.planned: dict[str, User] = {}  # folded username → account to create
        self.claimed: dict[str, int] = {}  # folded username → the student row that has it
        self.pending: list[tuple[RowPlan, User]] = []
        self.created = 0

    # --- Reading ------------------------------------------------------------------------------
    def lookup(self, usernames: Iterable[str]) -> dict[str, User]:
        """SMS's accounts with these usernames in any case, each with ``linked_student``
        (the student ID of the student record holding it, removed ones included)."""
        wanted = sorted({folded(name) for name in usernames if name})
        found: dict[str, User] = {}
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            users = (
                User.objects.annotate(folded=Lower("username"))
                .filter(folded__in=wanted[start : start + LOOKUP_CHUNK])
                .annotate(linked_student=F("student_profile__student_id"))
            )
            for user in users:
                found[user.folded] = user
        return found

    def find(self, row: RowPlan, username: str, role: str, stored: dict) -> User | None:
        """The account of this username for a row of this role: planned by an earlier row,
        or SMS's. None when there is none (or with a row error when it cannot be this
        row's)."""
        key = folded(username)
        planned = self.planned.get(key)
        if planned is not None:
            if role == Role.TEACHER and planned.role == role and planned.username == username:
                return planned  # a second row of the same teacher
            self._error(row, _("Row %(row)s already uses the username “%(name)s”.")
                        % {"row": self.claimed.get(key, "?"), "name": username[:150]})  # fmt: skip
            return None
        user = stored.get(key)
        if user is None:
            return None
        if user.username != username:
            self._error(row, _("SMS has the account “%(stored)s”, which differs from "
                               "“%(name)s” only in case; use the same username in the file.")
                        % {"stored": user.username, "name": username[:150]})  # fmt: skip
        elif user.role != role:
            self._error(row, _("The SMS account “%(name)s” has the role “%(role)s”, not "
                               "“%(wanted)s”.")
                        % {"name": username[:150], "role": Role(user.role).label,
                           "wanted": Role(role).label})  # fmt: skip
        return None if row.errors else user

    # --- Planning -----------------------------------------------------------------------------
    def plan(self, row: RowPlan, cells: dict, role: str) -> User | None:
        """An account to create for this row (None, with row errors, if its cells cannot
        make one): inactive when ``enabledUser`` says so, never with a usable password."""
        values = {
            "username": cells.get("username", "").strip(),
            "first_name": cells.get("givenName", "").strip(),
            "last_name": cells.get("familyName", "").strip(),
            "email": cells.get("email", "").strip().lower(),
        }
        if not values["username"]:
            row.errors.append(("username", _("SMS needs the username here: it creates the "
                                             "account from it.")))  # fmt: skip
        else:
            row.errors.extend(
                (COLUMNS[name], message) for name, message in self.rules.row_errors(values)
            )
        try:
            active = parse_bool(cells.get("enabledUser", ""))
        except CellError as error:
            row.errors.append(("enabledUser", str(error)))
        if row.errors:
            row.action = ERROR
            return None
        user = User(role=role, is_active=active is not False, **values)
        user.set_unusable_password()
        key = folded(values["username"])
        self.planned[key] = user
        self.claimed[key] = row.row
        self.pending.append((row, user))
        row.raw["record"] = f"{row.raw.get('record', '')} · {_('new account')}"
        return user

    def create(self, report: FileReport) -> None:
        """Write the planned accounts of the batch, each with its change record."""
        pending = [(row, user) for row, user in self.pending if not row.errors]
        self.pending = []
        if not pending:
            return
        users = User.objects.bulk_create([user for _row, user in pending])
        if any(user.pk is None for user in users):  # a database that returns no ids
            ids = dict(
                User.objects.filter(username__in=[u.username for u in users]).values_list(
                    "username", "pk"
                )
            )
            for user in users:
                user.pk = ids[user.username]
        ImportChange.objects.bulk_create(
            ImportChange(
                job=self.job,
                row=row.row,
                model=User._meta.label,
                object_id=user.pk,
                action=ChangeAction.CREATE,
                before=None,
                after={name: getattr(user, name) for name in TRACKED},
            )
            for row, user in pending
        )
        for _row, user in pending:
            report.accounts[user.role] = report.accounts.get(user.role, 0) + 1
        self.created += len(pending)

    # --- Students -----------------------------------------------------------------------------
    def link_students(self, pairs, stored: dict, report: FileReport) -> None:
        """After the students' rows are validated: the account each valid row names, found
        or created, goes into the student's write (a new student's ``user_id``, or an
        update of a stored student who has none yet)."""
        links: list[tuple[RowPlan, User]] = []
        for row, cells in pairs:
            username = cells.get("username", "").strip()
            if (
                row.action == ERROR
                or "deleted_at" in row.values
                or not username
                or username == row.values["student_id"]  # the export's "no account"
                or (row.existing is not None and row.existing.user_id is not None)
            ):
                continue
            user = self._student_account(row, cells, username, stored)
            if user is not None:
                links.append((row, user))
        self.create(report)
        for row, user in links:
            if row.errors:
                continue
            if row.action == NEW:
                row.attrs["user_id"] = user.pk
            else:
                row.after = {**(row.after or {}), "user_id": user.pk}
                row.action = UPDATE

    def _student_account(self, row, cells, username: str, stored: dict) -> User | None:
        key = folded(username)
        user = self.find(row, username, Role.STUDENT, stored)
        if row.errors:
            return None
        if user is None:
            return self.plan(row, cells, Role.STUDENT)
        if key in self.claimed:
            self._error(row, _("Row %(row)s already uses the username “%(name)s”.")
                        % {"row": self.claimed[key], "name": username[:150]})  # fmt: skip
            return None
        if user.linked_student is not None:
            self._error(row, _("The SMS account “%(name)s” belongs to the student %(student)s.")
                        % {"name": username[:150], "student": user.linked_student})  # fmt: skip
            return None
        self.claimed[key] = row.row
        return user

    @staticmethod
    def _error(row: RowPlan, message: str) -> None:
        row.errors.append(("username", message))
        row.action = ERROR


def remove_created(items, current: dict[int, dict]) -> RevertResult:
    """A rollback's part for accounts: those the import created and that are still there
    are removed (with what hangs off them: the courses they were given since, their
    notifications)."""
    ids = [
        object_id
        for _row, _label, object_id, action, _before, _after in items
        if action == ChangeAction.CREATE and object_id in current
    ]
    for start in range(0, len(ids), LOOKUP_CHUNK):
        User.objects.filter(pk__in=ids[start : start + LOOKUP_CHUNK]).delete()
    return RevertResult(removed=len(ids), restored=0, recreated=0)
