"""What a OneRoster import's preview shows: each file's rows and actions, the first rows
and every error row, and the errors with the file, row and sourcedId they are about."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import ngettext

from apps.academics.batch import ERROR, NEW, SKIP, UPDATE
from apps.accounts.models import Role
from apps.bulkio.importing.plan import RowPlan

ERRORS_CAP = 10_000


@dataclass
class FileReport:
    name: str
    mode: str
    totals: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys((NEW, UPDATE, SKIP, ERROR), 0)
    )
    rows: int = 0
    accounts: dict[str, int] = field(default_factory=dict)  # role → accounts created

    def entry(self) -> dict:
        """The file as the preview lists it; users.csv also says which accounts it makes."""
        found = {"name": self.name, "mode": self.mode, "rows": self.rows, "totals": self.totals}
        if self.accounts:
            found["accounts"] = dict(self.accounts)
            found["notes"] = [_account_note(role, count) for role, count in self.accounts.items()]
        return found


def _account_note(role: str, count: int) -> str:
    if role == Role.TEACHER:
        text = ngettext(
            "%(count)s teacher account to create",
            "%(count)s teacher accounts to create",
            count,
        )
    else:
        text = ngettext(
            "%(count)s student account to create",
            "%(count)s student accounts to create",
            count,
        )
    return text % {"count": count}


@dataclass
class PackagePlan:
    files: list[FileReport] = field(default_factory=list)
    shown: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    row_count: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {NEW: 0, UPDATE: 0})

    @property
    def totals(self) -> dict[str, int]:
        totals = dict.fromkeys((NEW, UPDATE, SKIP, ERROR), 0)
        for report in self.files:
            for action, count in report.totals.items():
                totals[action] += count
        return totals

    def keep(self, report: FileReport, rows: list[RowPlan]) -> None:
        limit = settings.SMS_BULKIO_PREVIEW_ROWS
        for row in rows:
            report.totals[row.action] += 1
            report.rows += 1
            if len(self.shown) < limit or (row.action == ERROR and len(self.shown) < limit * 10):
                self.shown.append(
                    {
                        "row": row.row,
                        "action": row.action,
                        "data": row.raw,
                        "errors": [{"field": "", "message": f"{f}: {m}" if f else m}
                                   for f, m in row.errors],
                    }
                )  # fmt: skip
            for column, message in row.errors:
                self.error_count += 1
                if len(self.errors) < ERRORS_CAP:
                    self.errors.append(
                        {
                            "file": report.name,
                            "row": row.row,
                            "sourced_id": row.raw.get("sourcedId", ""),
                            "field": column,
                            "message": message,
                        }
                    )
        self.row_count += len(rows)

    def payload(self) -> dict:
        return {
            "columns": ["file", "sourcedId", "record"],
            "ignored_columns": [],
            "files": [report.entry() for report in self.files],
            "rows": self.shown,
            "rows_truncated": len(self.shown) < self.row_count,
            "errors": self.errors,
            "errors_truncated": self.error_count > len(self.errors),
        }
