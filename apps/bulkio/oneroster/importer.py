"""A OneRoster package planned and written as one import job.

The files are taken in dependency order (``schema.FILES``). Those that map to SMS records
become batch rows of the usual importer — users (students) → students, courses → courses,
enrollments (students) → enrollments, results → grades — validated by academics' batch
rules and written with the import's change log (``PlanWriter``), so confirm and rollback
work as for any import. The others only resolve references: a session's title is a
course's semester, a class is its course (SMS keeps one class per course), a category's
title and a line item's title, dates and maximum are the grade's. Teachers, and students
whose username is not their student ID, are matched to the SMS accounts of the same
username, and get one (that cannot sign in yet) when SMS has none (``accounts``); a
teacher's enrollment in a class makes them a teacher of the course. A record the package
creates keeps its row's ``dateLastModified`` as its last change (``modified``).

Every file is written as it is planned, so a later file validates against what the earlier
ones wrote; the preview does the same inside a transaction it then rolls back. Rows match
stored records by sourcedId first, then by SMS's own keys (student ID, course code …).
A manifest's ``bulk`` file leaves the records it does not list alone; in a ``delta`` file a
row with status ``tobedeleted`` removes its record (students and courses are soft-deleted,
enrollments dropped).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from types import SimpleNamespace

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.academics.batch import ERROR, NEW, SKIP, UPDATE, FieldRules, validate_rows, value_fields
from apps.academics.models import Course, Enrollment, EnrollmentStatus, Grade, Student
from apps.accounts.models import Role
from apps.bulkio.columns import CellError, parse_bool, parse_date, parse_decimal
from apps.bulkio.importing.apply import PlanWriter
from apps.bulkio.importing.plan import PLAN_BATCH_ROWS, RowPlan
from apps.bulkio.importing.values import unescape_formula
from apps.bulkio.models import ImportJob
from apps.bulkio.oneroster import schema
from apps.bulkio.oneroster.accounts import Accounts
from apps.bulkio.oneroster.modified import keep_file_times, parse_modified
from apps.bulkio.oneroster.package import Package
from apps.bulkio.oneroster.references import References, stored_id
from apps.bulkio.oneroster.report import FileReport, PackagePlan
from apps.bulkio.oneroster.teaching import TeacherLinks

SOFT = (Student, Course)  # soft-deleted by ``tobedeleted``
TEACHERS_THROUGH = Course.teachers.through

# The file's column each record field comes from, for the row errors.
COLUMNS: dict[type, dict[str, str]] = {
    Student: {
        "student_id": "identifier", "first_name": "givenName", "last_name": "familyName",
        "email": "email", "mobile_phone": "sms", "phone": "phone", "is_active": "enabledUser",
        "user_id": "username",
    },
    Course: {"course_code": "courseCode", "course_name": "title", "semester": "termSourcedIds"},
    Enrollment: {
        "student_id": "userSourcedId", "student": "userSourcedId",
        "course_code": "classSourcedId", "course": "classSourcedId", "enrolled_at": "beginDate",
    },
    Grade: {
        "student_id": "studentSourcedId", "student": "studentSourcedId",
        "course_code": "lineItemSourcedId", "course": "lineItemSourcedId",
        "assignment_name": "lineItemSourcedId", "category": "lineItemSourcedId",
        "max_grade": "lineItemSourcedId", "date_assigned": "lineItemSourcedId",
        "grade": "score", "date_submitted": "scoreDate", "notes": "comment",
    },
}  # fmt: skip
KEYS = {
    Student: ("student_id",),
    Course: ("course_code",),
    Enrollment: ("student_id", "course_code"),
    Grade: ("student_id", "course_code", "assignment_name"),
}
# How a stored record's natural key is read, for matching by sourcedId.
KEY_PATHS = {
    Student: ("student_id",),
    Course: ("course_code",),
    Enrollment: ("student__student_id", "course__course_code"),
    Grade: ("student__student_id", "course__course_code", "assignment_name"),
}


# --- Entry points ---------------------------------------------------------------------------
def dry_run(package: Package, *, job: ImportJob, actor) -> PackagePlan:
    """The plan as the apply would write it, written and then taken back."""
    with transaction.atomic():
        plan = _Run(package, job=job, actor=actor, origin=f"import:{job.pk}").run()
        transaction.set_rollback(True)
    return plan


def apply_package(
    package: Package, *, job: ImportJob, actor, origin: str, abort: type[Exception] | None
) -> PackagePlan:
    """Write the package (the caller holds the transaction). ``abort``: raised at the first
    row with an error, for an all-or-nothing job."""
    return _Run(package, job=job, actor=actor, origin=origin, abort=abort).run()


# --- The run --------------------------------------------------------------------------------
class _Run(References):
    def __init__(self, package: Package, *, job, actor, origin: str, abort=None):
        super().__init__()
        self.package = package
        self.job = job
        self.actor = actor
        self.origin = origin
        self.abort = abort
        self.plan = PackagePlan()
        self.writers: dict[type, PlanWriter] = {}
        self.rules = {
            model: FieldRules(
                model,
                [*value_fields(model), "sourced_id", *(["deleted_at"] if model in SOFT else [])],
            )
            for model in COLUMNS
        }
        self.claimed_emails: dict[str, str] = {}
        self.now = timezone.now()
        self.teaching = TeacherLinks()
        self.accounts = Accounts(job=job)
        self.stamps: dict[int, object] = {}  # the batch's rows' dateLastModified, by row
        # Students (by sourcedId) and courses (by code) this package removes.
        self.removed: set[str] = set()

    def run(self) -> PackagePlan:
        handlers = {
            schema.ORGS: self._orgs,
            schema.ACADEMIC_SESSIONS: self._sessions,
            schema.USERS: self._users,
            schema.COURSES: self._courses,
            schema.CLASSES: self._classes,
            schema.ENROLLMENTS: self._enrollments,
            schema.CATEGORIES: self._categories,
            schema.LINE_ITEMS: self._line_items,
            schema.RESULTS: self._results,
        }
        for name, table in self.package.tables.items():
            report = FileReport(name, self.package.modes[name])
            self.plan.files.append(report)
            rows = list(_records(table))
            for start in range(0, len(rows), PLAN_BATCH_ROWS):
                self.stamps.clear()
                batch = handlers[name](report, rows[start : start + PLAN_BATCH_ROWS])
                self.plan.keep(report, batch)
                if self.abort and report.totals[ERROR]:
                    raise self.abort()
            if name == schema.ENROLLMENTS:
                self.plan.counts[NEW] += self.teaching.write(job=self.job, actor=self.actor)
        self.plan.counts[NEW] += self.accounts.created
        for writer in self.writers.values():
            self.plan.counts[NEW] += writer.counts[NEW]
            self.plan.counts[UPDATE] += writer.counts[UPDATE]
        return self.plan

    # --- Rows shared by every file ----------------------------------------------------------
    def _start(self, report: FileReport, number: int, cells: dict, record: str) -> RowPlan:
        """A row with the checks every file shares: a sourcedId, a known status."""
        sourced = cells.get("sourcedId", "")
        row = RowPlan(row=number, raw={"file": report.name, "sourcedId": sourced,
                                       "record": record}, values={})  # fmt: skip
        row.action = SKIP
        stamp = parse_modified(cells.get("dateLastModified", ""))
        if stamp is not None:
            self.stamps[number] = stamp
        if not sourced:
            row.errors.append(("sourcedId", _("Every row needs a sourcedId.")))
        status = cells.get("status", "").lower()
        if status not in ("", schema.ACTIVE, schema.TO_BE_DELETED):
            row.errors.append(
                ("status", _("The status must be active or tobedeleted, not “%(value)s”.")
                 % {"value": status[:30]})
            )  # fmt: skip
        elif status == schema.TO_BE_DELETED and report.mode != schema.DELTA:
            row.errors.append(
                ("status", _("Only a delta file can remove records (status tobedeleted); "
                             "the manifest marks this file bulk."))
            )  # fmt: skip
        if row.errors:
            row.action = ERROR
        return row

    def _simple(self, report, records, build: Callable[[RowPlan, dict], None]) -> list[RowPlan]:
        """Rows that only resolve references (no SMS record of their own)."""
        seen: dict[str, int] = {}
        rows = []
        for number, cells in records:
            row = self._start(report, number, cells, cells.get("title") or cells.get("role", ""))
            sourced = cells.get("sourcedId", "")
            if sourced and not row.errors and _duplicate(row, seen, sourced):
                row.action = ERROR
            if not row.errors and cells.get("status", "").lower() != schema.TO_BE_DELETED:
                build(row, cells)
            rows.append(row)
        return rows

    # --- Files without SMS records of their own ----------------------------------------------
    def _orgs(self, report, records):
        return self._simple(report, records, lambda row, cells: None)

    def _sessions(self, report, records):
        def build(row, cells):
            if not cells.get("title"):
                row.errors.append(("title", _("A session needs a title (the semester).")))
                row.action = ERROR
            else:
                self.sessions[cells["sourcedId"]] = cells["title"]

        return self._simple(report, records, build)

    def _classes(self, report, records):
        courses_seen: dict[str, int] = {}

        def build(row, cells):
            code = self._course_code(row, cells.get("courseSourcedId", ""))
            for term in _split(cells.get("termSourcedIds", "")):
                found = self._semester(term)
                self._reference(row, "termSourcedIds", term, found, gettext_lazy("session"))
            if code is None or row.errors:
                return
            first = courses_seen.setdefault(code, row.row)
            if first != row.row:
                row.errors.append(
                    ("courseSourcedId", _("SMS keeps one class per course; row %(row)s already "
                                          "is the class of this course.") % {"row": first})
                )  # fmt: skip
                row.action = ERROR
                return
            self.classes[cells["sourcedId"]] = code

        return self._simple(report, records, build)

    def _categories(self, report, records):
        def build(row, cells):
            if not cells.get("title"):
                row.errors.append(("title", _("A category needs a title.")))
                row.action = ERROR
            else:
                self.categories[cells["sourcedId"]] = cells["title"]

        return self._simple(report, records, build)

    def _line_items(self, report, records):
        def build(row, cells):
            code = self._class_code(row, cells.get("classSourcedId", ""))
            reference = cells.get("categorySourcedId", "")
            found = self._category(reference)
            category = self._reference(
                row, "categorySourcedId", reference, found, gettext_lazy("category")
            )
            try:
                assigned = _date(cells.get("assignDate", ""))
                top = parse_decimal(cells.get("resultValueMax", ""))
            except CellError as error:
                row.errors.append(("", str(error)))
            if not cells.get("title"):
                row.errors.append(("title", _("A line item needs a title (the assignment).")))
            if row.errors:
                row.action = ERROR
                return
            self.items[cells["sourcedId"]] = (code, cells["title"], category, assigned, top)

        return self._simple(report, records, build)

    # --- Files that write SMS records --------------------------------------------------------
    def _users(self, report, records):
        rows, students, teachers = [], [], []
        for number, cells in records:
            role = cells.get("role", "").lower()
            name = f"{cells.get('givenName', '')} {cells.get('familyName', '')}".strip()
            row = self._start(report, number, cells, f"{role}: {name}")
            rows.append(row)
            if row.errors:
                continue
            if role == "student":
                row.values = self._student_values(row, cells)
                students.append((row, cells))
            elif role == "teacher":
                teachers.append((row, cells))
        stored = self.accounts.lookup(cells.get("username", "") for _row, cells in
                                      [*teachers, *students])  # fmt: skip
        for row, cells in teachers:
            self._teacher(row, cells, stored)
        self.accounts.create(report)
        self._validate_and_write(
            Student,
            report,
            [row for row, _cells in students],
            prepare=lambda: self.accounts.link_students(students, stored, report),
        )
        for row, _cells in students:
            if row.action != ERROR:
                self.students[row.raw["sourcedId"]] = row.values["student_id"]
                if "deleted_at" in row.values:
                    self.removed.add(row.raw["sourcedId"])
        return rows

    def _student_values(self, row: RowPlan, cells: dict) -> dict:
        values = {
            "student_id": cells.get("identifier", "").strip() or None,
            "first_name": cells.get("givenName", "").strip() or None,
            "last_name": cells.get("familyName", "").strip() or None,
            "email": cells.get("email", "").strip().lower() or None,
            "mobile_phone": cells.get("sms", "").strip(),
            "phone": cells.get("phone", "").strip(),
            "sourced_id": stored_id(cells["sourcedId"]),
        }
        try:
            values["is_active"] = parse_bool(cells.get("enabledUser", ""))
        except CellError as error:
            row.errors.append(("enabledUser", str(error)))
        if values["student_id"] is None:
            row.errors.append(("identifier", _("SMS needs the student ID here.")))
        if cells.get("status", "").lower() == schema.TO_BE_DELETED:
            values["deleted_at"] = self.now
        return values

    def _teacher(self, row: RowPlan, cells: dict, stored: dict) -> None:
        """The teacher's SMS account, or one planned for them (never changed from a file)."""
        username = cells.get("username", "").strip()
        user = self.accounts.find(row, username, Role.TEACHER, stored) if username else None
        if row.errors:
            return
        if user is None:
            if cells.get("status", "").lower() == schema.TO_BE_DELETED:
                return  # no account to leave alone
            user = self.accounts.plan(row, cells, Role.TEACHER)
            if user is None:
                return
            row.action = NEW
        self.teachers[cells["sourcedId"]] = user

    def _courses(self, report, records):
        terms = self._course_terms()
        rows, courses = [], []
        for number, cells in records:
            row = self._start(report, number, cells, cells.get("title", ""))
            rows.append(row)
            if row.errors:
                continue
            values = {
                "course_code": cells.get("courseCode", "").strip().upper() or None,
                "course_name": cells.get("title", "").strip() or None,
                "sourced_id": stored_id(cells["sourcedId"]),
            }
            if values["course_code"] is None:
                row.errors.append(("courseCode", _("SMS needs the course code here.")))
            semester = terms.get(cells["sourcedId"])
            if semester:
                values["semester"] = semester
            if cells.get("status", "").lower() == schema.TO_BE_DELETED:
                values["deleted_at"] = self.now
            row.values = values
            courses.append(row)
        self._validate_and_write(Course, report, courses)
        for row in courses:
            if row.action != ERROR:
                self.courses[row.raw["sourcedId"]] = row.values["course_code"]
                if "deleted_at" in row.values:
                    self.removed.add(row.values["course_code"])
        return rows

    def _course_terms(self) -> dict[str, str]:
        """A course's semester is the title of its class's term (classes.csv is read ahead)."""
        table = self.package.tables.get(schema.CLASSES)
        found: dict[str, str] = {}
        for _number, cells in _records(table) if table else ():
            for term in _split(cells.get("termSourcedIds", "")):
                semester = self._semester(term)
                if semester:
                    found.setdefault(cells.get("courseSourcedId", ""), semester)
                    break
        return found

    def _enrollments(self, report, records):
        self._load_students(records, "userSourcedId")
        rows, enrollments = [], []
        for number, cells in records:
            role = cells.get("role", "").lower()
            row = self._start(report, number, cells, role)
            rows.append(row)
            if row.errors or role not in ("student", "teacher"):
                continue
            code = self._class_code(row, cells.get("classSourcedId", ""))
            user = cells.get("userSourcedId", "")
            removing = cells.get("status", "").lower() == schema.TO_BE_DELETED
            if role == "teacher":
                teacher = self._reference(row, "userSourcedId", user, self._teacher_of(user),
                                          gettext_lazy("teacher"))  # fmt: skip
                if code and teacher and not row.errors and not removing:
                    self.teaching.add(row, code, teacher)
                continue
            if removing and (user in self.removed or code in self.removed):
                continue  # removed with its student or course: nothing left to drop
            student = self._reference(row, "userSourcedId", user, self._student(user),
                                      gettext_lazy("student"))  # fmt: skip
            if row.errors:
                continue
            values = {"student_id": student, "course_code": code,
                      "sourced_id": stored_id(cells["sourcedId"])}  # fmt: skip
            try:
                values["enrolled_at"] = _date(cells.get("beginDate", ""))
            except CellError as error:
                row.errors.append(("beginDate", str(error)))
            if removing:
                values["status"] = EnrollmentStatus.DROPPED
            row.values = values
            enrollments.append(row)
        self._validate_and_write(Enrollment, report, enrollments)
        return rows

    def _results(self, report, records):
        self._load_students(records, "studentSourcedId")
        rows, grades = [], []
        for number, cells in records:
            row = self._start(report, number, cells, "")
            rows.append(row)
            if row.errors:
                continue
            if cells.get("status", "").lower() == schema.TO_BE_DELETED:
                row.errors.append(("status", _("SMS does not delete grades from a file; delete "
                                               "this grade in SMS.")))  # fmt: skip
                row.action = ERROR
                continue
            reference = cells.get("lineItemSourcedId", "")
            item = self._reference(row, "lineItemSourcedId", reference,
                                   self._item(reference), gettext_lazy("line item"))  # fmt: skip
            user = cells.get("studentSourcedId", "")
            student = self._reference(row, "studentSourcedId", user, self._student(user),
                                      gettext_lazy("student"))  # fmt: skip
            if row.errors:
                continue
            code, title, category, assigned, top = item
            row.raw["record"] = title
            values = {
                "student_id": student, "course_code": code, "assignment_name": title,
                "category": category, "max_grade": top, "date_assigned": assigned,
                "notes": cells.get("comment", ""), "sourced_id": stored_id(cells["sourcedId"]),
            }  # fmt: skip
            try:
                values["grade"] = parse_decimal(cells.get("score", ""))
                scored = _date(cells.get("scoreDate", ""))
                # The export gives a grade without a hand-in date its assigned date.
                values["date_submitted"] = None if scored == assigned else scored
            except CellError as error:
                row.errors.append(("", str(error)))
            if values.get("grade") is None and not row.errors:
                row.errors.append(("score", _("A result needs a score.")))
            row.values = values
            grades.append(row)
        _keep_same_day_hand_ins(grades)
        self._validate_and_write(Grade, report, grades)
        return rows

    # --- Validation and writing ---------------------------------------------------------------
    def _validate_and_write(
        self, model, report: FileReport, rows: list[RowPlan], *, prepare=None
    ) -> None:
        """``prepare``: called once the rows are validated, before they are written."""
        if not rows:
            return
        self._match_sourced_ids(model, rows)
        validate_rows(model, rows, rules=self.rules[model], claimed_emails=self.claimed_emails)
        columns = COLUMNS[model]
        for row in rows:
            row.errors = [(columns.get(name, name), message) for name, message in row.errors]
            if row.errors:
                row.action = ERROR
        if prepare is not None:
            prepare()
        if self.abort and any(row.errors for row in rows):
            raise self.abort()
        writer = self.writers.get(model)
        if writer is None:
            writer = self.writers[model] = PlanWriter(
                model, job=self.job, actor=self.actor, origin=self.origin
            )
        present = [*columns, "sourced_id"]
        writer.write(SimpleNamespace(present=present), rows)
        stamps = [
            (row.attrs["sourced_id"], self.stamps[row.row])
            for row in rows
            if row.action == NEW and row.row in self.stamps
        ]
        if stamps:
            keep_file_times(model, stamps, now=self.now)

    def _match_sourced_ids(self, model, rows: list[RowPlan]) -> None:
        """A sourcedId SMS already has must be the same record: same key, still there.
        Two rows of one file with the same sourcedId or the same record are an error."""
        ids = {row.values["sourced_id"] for row in rows if not row.errors}
        stored = {}
        paths = [*KEY_PATHS[model], *(["deleted_at"] if model in SOFT else [])]
        for values in model._base_manager.filter(sourced_id__in=ids).values_list(
            "sourced_id", *paths
        ):
            stored[values[0]] = values[1:]
        names = KEYS[model]
        seen_ids: dict[uuid.UUID, int] = {}
        seen_keys: dict[tuple, int] = {}
        for row in rows:
            if row.errors or any(row.values.get(name) in (None, "") for name in names):
                continue
            key = tuple(row.values[name] for name in names)
            sourced = row.values["sourced_id"]
            first = seen_ids.setdefault(sourced, row.row)
            if first != row.row:
                row.errors.append(
                    (
                        "sourcedId",
                        _("Duplicate of row %(row)s: the same sourcedId appears twice.")
                        % {"row": first},
                    )
                )
                continue  # fmt: skip
            first = seen_keys.setdefault(key, row.row)
            if first != row.row:
                row.errors.append(
                    (
                        "sourcedId",
                        _("Row %(row)s is already this record (%(key)s).")
                        % {"row": first, "key": " / ".join(map(str, key))},
                    )
                )
                continue  # fmt: skip
            found = stored.get(sourced)
            if found is None:
                continue
            if model in SOFT and found[-1] is not None:
                row.errors.append(
                    (
                        "sourcedId",
                        _(
                            "This record was removed in SMS; restore it "
                            "there before importing it again."
                        ),
                    )
                )
                continue  # fmt: skip
            if tuple(found[: len(names)]) != key:
                row.errors.append(
                    ("sourcedId", _("This sourcedId belongs to %(stored)s in SMS, not to "
                                    "%(given)s; SMS does not change that from a file.")
                     % {"stored": " / ".join(map(str, found[: len(names)])),
                        "given": " / ".join(map(str, key))})
                )  # fmt: skip


# --- Cells ------------------------------------------------------------------------------------
def _records(table) -> Iterator[tuple[int, dict[str, str]]]:
    headers = table.headers
    for number, cells in table.rows:
        yield (
            number,
            {
                header: unescape_formula(cell.strip()) if cell[:1] == "'" else cell.strip()
                for header, cell in zip(headers, cells, strict=False)
            },
        )


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _date(text: str):
    """OneRoster dates are ISO; a date-time keeps its date."""
    text = text.strip()
    if len(text) > 10 and text[10] in "T ":
        text = text[:10]
    return parse_date(text)


def _duplicate(row: RowPlan, seen: dict[str, int], sourced: str) -> bool:
    first = seen.setdefault(sourced, row.row)
    if first == row.row:
        return False
    row.errors.append(
        ("sourcedId", _("Duplicate of row %(row)s: the same sourcedId appears twice.")
         % {"row": first})
    )  # fmt: skip
    return True


def _keep_same_day_hand_ins(rows: list[RowPlan]) -> None:
    """A scoreDate equal to the assigned date reads as "no hand-in date", because that is
    what the export writes for a grade without one; a grade SMS already holds that was
    handed in on its assigned day keeps that date (one query per batch), so importing
    SMS's own export changes nothing."""
    undated = {
        row.values["sourced_id"]: row
        for row in rows
        if not row.errors and row.values.get("date_submitted", "") is None
    }
    if not undated:
        return
    stored = Grade.objects.filter(sourced_id__in=undated, date_submitted__isnull=False)
    for sourced, submitted in stored.values_list("sourced_id", "date_submitted"):
        row = undated[sourced]
        if submitted == row.values["date_assigned"]:
            row.values["date_submitted"] = submitted
