"""The school as a OneRoster 1.1 CSV zip, streamed.

Each file is written row by row into the zip as the rows come from the database
(``values_list(...).iterator()``, a handful of queries for the whole school, none per
row), and the zip's bytes are handed on as they are made, so memory stays flat however
large the school. Text cells go through the exports' formula rule (``safe_cell``); dates
are ISO, ``dateLastModified`` is the record's ``updated_at`` in UTC (a record an import
created has its file's ``dateLastModified`` there, so a round trip gives the same cell).

What is in it: the school (one org), one academic session per semester, students and
teachers (users), courses and one class per course, enrollments (students' that are not
dropped, and the teachers'), grade categories, line items (a course's assignments) and
results (grades). Soft-deleted students and courses, and what hangs off them, are left out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.conf import settings
from django.db.models import Exists, F, Max, Min, OuterRef
from django.db.models.functions import Coalesce

from apps.academics.models import Course, Enrollment, EnrollmentStatus, Grade, Student
from apps.accounts.models import Role, User
from apps.bulkio.oneroster import schema
from sms.spreadsheets import safe_cell
from sms.version import VERSION

CHUNK = 2000

FILE_NAME = "oneroster.zip"


class _Sink:
    """A write-only stream the zip writes into; ``take`` hands over what was written."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def stream_zip() -> Iterator[bytes]:
    """The zip, a piece at a time."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, rows in _files():
            with archive.open(name, "w", force_zip64=True) as member:
                text = io.StringIO()
                writer = csv.writer(text, lineterminator="\r\n")
                writer.writerow(schema.HEADERS.get(name, schema.MANIFEST_HEADERS))
                for count, row in enumerate(rows, start=1):
                    writer.writerow([safe_cell(value) for value in row])
                    if count % CHUNK == 0:
                        member.write(text.getvalue().encode("utf-8"))
                        text.seek(0)
                        text.truncate()
                        yield sink.take()
                member.write(text.getvalue().encode("utf-8"))
            yield sink.take()
    yield sink.take()


def _files() -> Iterator[tuple[str, Iterable[tuple]]]:
    context = _Context.load()
    yield schema.MANIFEST, _manifest()
    yield schema.ORGS, _orgs(context)
    yield schema.ACADEMIC_SESSIONS, _sessions(context)
    yield schema.USERS, _users(context)
    yield schema.COURSES, _courses(context)
    yield schema.CLASSES, _classes(context)
    yield schema.ENROLLMENTS, _enrollments(context)
    items = _line_items(context)
    yield schema.CATEGORIES, _categories(items)
    yield schema.LINE_ITEMS, (row for row, _category in items)
    yield schema.RESULTS, _results(context)


# --- Values ---------------------------------------------------------------------------------
def modified(value: dt.datetime | None) -> str:
    """``dateLastModified``: ISO 8601 in UTC with milliseconds, as the binding shows it."""
    if value is None:
        return ""
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def flag(value: bool) -> str:
    return "true" if value else "false"


def number(value: Decimal | None) -> str:
    """Marks have two decimal places (as stored); aggregates may come back shorter."""
    return "" if value is None else f"{Decimal(value):.2f}"


class _Context:
    """What several files share, read once: the org, the semesters, the courses' ids."""

    def __init__(self):
        self.org = schema.org_id()
        self.semesters: dict[str, dict] = {}

    @classmethod
    def load(cls) -> _Context:
        context = cls()
        courses = Course.objects.values_list("semester").annotate(
            changed=Max("updated_at"), created=Min("created_at")
        )
        for semester, changed, created in courses.order_by("semester"):
            context.semesters[semester] = {"changed": changed, "created": created}
        return context

    def term(self, semester: str) -> str:
        return schema.session_id(semester) if semester else ""


def _manifest() -> Iterator[tuple]:
    yield ("manifest.version", "1.0")
    yield ("oneroster.version", schema.VERSION)
    for name in schema.FILES:
        yield (schema.manifest_key(name), schema.BULK)
    for name in schema.OTHER_FILES:
        yield ("file." + name, schema.ABSENT)
    yield ("source.systemName", "SMS")
    yield ("source.systemCode", VERSION)


def _orgs(context: _Context) -> Iterator[tuple]:
    yield (context.org, schema.ACTIVE, "", settings.SMS_SCHOOL_NAME, "school", "", "")


def _sessions(context: _Context) -> Iterator[tuple]:
    """A semester's dates are those of its records: the first enrollment, the last grade."""
    alive = {"course__deleted_at__isnull": True}
    starts = dict(
        Enrollment.objects.filter(**alive)
        .values_list("course__semester")
        .annotate(first=Min("enrolled_at"))
    )
    ends = dict(
        Grade.objects.filter(**alive)
        .values_list("course__semester")
        .annotate(last=Max(Coalesce("date_submitted", "date_assigned")))
    )
    for semester, info in context.semesters.items():
        start = starts.get(semester) or info["created"].date()
        end = max(filter(None, (ends.get(semester), start)))
        yield (
            context.term(semester),
            schema.ACTIVE,
            modified(info["changed"]),
            semester,
            "term",
            day(start),
            day(end),
            "",
            "",
        )


def _users(context: _Context) -> Iterator[tuple]:
    students = Student.objects.order_by("pk").values_list(
        "sourced_id", "updated_at", "is_active", "user__username", "first_name", "last_name",
        "student_id", "email", "mobile_phone", "phone",
    )  # fmt: skip
    for (
        sourced,
        changed,
        active,
        username,
        first,
        last,
        code,
        email,
        mobile,
        phone,
    ) in students.iterator(chunk_size=CHUNK):
        yield (
            str(sourced), schema.ACTIVE, modified(changed), flag(active), context.org,
            "student", username or code, "", first, last, "", code, email, mobile, phone,
            "", "", "",
        )  # fmt: skip
    teachers = User.objects.filter(role=Role.TEACHER).order_by("username")
    for username, active, first, last, email in teachers.values_list(
        "username", "is_active", "first_name", "last_name", "email"
    ).iterator(chunk_size=CHUNK):
        yield (
            schema.teacher_id(username), schema.ACTIVE, "", flag(active), context.org,
            "teacher", username, "", first, last, "", "", email, "", "", "", "", "",
        )  # fmt: skip


def _course_rows():
    return Course.objects.order_by("course_code").values_list(
        "sourced_id", "updated_at", "course_name", "course_code", "semester"
    )


def _courses(context: _Context) -> Iterator[tuple]:
    for sourced, changed, name, code, _semester in _course_rows().iterator(chunk_size=CHUNK):
        yield (
            str(sourced), schema.ACTIVE, modified(changed), "", name, code, "", context.org,
            "", "",
        )  # fmt: skip


def _classes(context: _Context) -> Iterator[tuple]:
    for sourced, changed, name, code, semester in _course_rows().iterator(chunk_size=CHUNK):
        yield (
            schema.class_id(sourced), schema.ACTIVE, modified(changed), name, "", str(sourced),
            code, "scheduled", "", context.org, context.term(semester), "", "", "",
        )  # fmt: skip


def _enrollments(context: _Context) -> Iterator[tuple]:
    enrollments = (
        Enrollment.objects.exclude(status=EnrollmentStatus.DROPPED)
        .filter(student__deleted_at__isnull=True, course__deleted_at__isnull=True)
        .order_by("pk")
        .values_list(
            "sourced_id", "updated_at", "course__sourced_id", "student__sourced_id",
            "enrolled_at",
        )
    )  # fmt: skip
    for sourced, changed, course, student, began in enrollments.iterator(chunk_size=CHUNK):
        yield (
            str(sourced), schema.ACTIVE, modified(changed), schema.class_id(course),
            context.org, str(student), "student", "false", day(began), "",
        )  # fmt: skip
    teaching = (
        Course.teachers.through.objects.filter(
            course__deleted_at__isnull=True, user__role=Role.TEACHER
        )
        .order_by("course__course_code", "user__username")
        .values_list("course__sourced_id", "user__username")
    )
    for course, username in teaching.iterator(chunk_size=CHUNK):
        yield (
            schema.teaching_id(course, username), schema.ACTIVE, "", schema.class_id(course),
            context.org, schema.teacher_id(username), "teacher", "false", "", "",
        )  # fmt: skip


def _live_grades():
    """Grades of live students in live courses they are still enrolled in: a dropped
    enrollment is not in the file, so neither are its grades (a result needs one)."""
    enrolled = Enrollment.objects.filter(
        student=OuterRef("student"), course=OuterRef("course")
    ).exclude(status=EnrollmentStatus.DROPPED)
    return Grade.objects.filter(
        Exists(enrolled), student__deleted_at__isnull=True, course__deleted_at__isnull=True
    )


def _line_items(context: _Context) -> list[tuple[tuple, str]]:
    """A course's assignment is a line item: its first assigned date, its last hand-in
    date, its highest maximum, the category its grades carry (the first, alphabetically,
    should they differ). A school has a few thousand: they are held, not streamed."""
    items = (
        _live_grades()
        .values_list("course__sourced_id", "course__semester", "assignment_name")
        .annotate(
            changed=Max("updated_at"),
            category=Min("category"),
            assigned=Min("date_assigned"),
            due=Max(Coalesce("date_submitted", "date_assigned")),
            top=Max("max_grade"),
        )
        .order_by("course__course_code", "assignment_name")
    )
    return [
        (
            (
                schema.line_item_id(course, name),
                schema.ACTIVE,
                modified(changed),
                name,
                "",
                day(assigned),
                day(due),
                schema.class_id(course),
                schema.category_id(category),
                context.term(semester),
                "0.00",
                number(top),
            ),
            category,
        )  # fmt: skip
        for course, semester, name, changed, category, assigned, due, top in items
    ]


def _categories(items: list[tuple[tuple, str]]) -> Iterator[tuple]:
    changed: dict[str, str] = {}
    for row, title in items:
        changed[title] = max(changed.get(title, ""), row[2])
    for title in sorted(changed):
        yield (schema.category_id(title), schema.ACTIVE, changed[title], title)


def _results(context: _Context) -> Iterator[tuple]:
    grades = (
        _live_grades()
        .order_by("pk")
        .values_list(
            "sourced_id", "updated_at", "course__sourced_id", "assignment_name",
            "student__sourced_id", "grade", "notes",
        )
        .annotate(scored=Coalesce(F("date_submitted"), F("date_assigned")))
    )  # fmt: skip
    for sourced, changed, course, name, student, grade, notes, scored in grades.iterator(
        chunk_size=CHUNK
    ):
        yield (
            str(sourced), schema.ACTIVE, modified(changed), schema.line_item_id(course, name),
            str(student), "fully graded", number(grade), day(scored), notes,
        )  # fmt: skip
