"""What a sourcedId of a OneRoster package stands for: the package's own rows first, then
the records SMS has (read once per run and kept, not a query per row)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.db.models import Max, Min
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.academics.batch import ERROR
from apps.academics.models import Course, Grade, Student
from apps.accounts.models import Role, User
from apps.bulkio.importing.plan import RowPlan
from apps.bulkio.oneroster import schema


def stored_id(sourced_id: str) -> uuid.UUID:
    """The UUID SMS keeps for a sourcedId: itself when it is one, else one derived from it
    (the same text always gives the same UUID, so later files find the record again)."""
    try:
        return uuid.UUID(sourced_id)
    except ValueError:
        return uuid.uuid5(schema.NAMESPACE, "sourced:" + sourced_id)


class References:
    """sourcedId → what it stands for, filled from the files as they are read."""

    def __init__(self):
        self.sessions: dict[str, str] = {}
        self.students: dict[str, str] = {}
        self.teachers: dict[str, User] = {}
        self.courses: dict[str, str] = {}
        self.classes: dict[str, str] = {}
        self.categories: dict[str, str] = {}
        self.items: dict[str, tuple] = {}
        self.stored: dict[str, object] = {}

    def _reference(self, row: RowPlan, column: str, value: str, found, kind: str):
        if found is None:
            row.errors.append(
                (column, _("No %(kind)s with sourcedId “%(id)s” in the package or in SMS.")
                 % {"kind": kind, "id": value[:100]})
            )  # fmt: skip
            row.action = ERROR
        return found

    def _from_sms(self, name: str, load: Callable[[], dict]) -> dict:
        if name not in self.stored:
            self.stored[name] = load()
        return self.stored[name]

    def _semester(self, reference: str) -> str | None:
        if reference in self.sessions:
            return self.sessions[reference]
        semesters = self._from_sms(
            "sessions",
            lambda: {
                schema.session_id(semester): semester
                for semester in Course.objects.values_list("semester", flat=True).distinct()
            },
        )
        return semesters.get(reference)

    def _course_code(self, row: RowPlan, reference: str) -> str | None:
        code = self.courses.get(reference)
        if code is None and reference:
            stored = self._from_sms(
                "courses", lambda: dict(Course.objects.values_list("sourced_id", "course_code"))
            )
            code = stored.get(stored_id(reference))
        return self._reference(row, "courseSourcedId", reference, code, gettext_lazy("course"))

    def _class_code(self, row: RowPlan, reference: str) -> str | None:
        code = self.classes.get(reference)
        if code is None:
            classes = self._from_sms(
                "classes",
                lambda: {
                    schema.class_id(sourced): code
                    for sourced, code in Course.objects.values_list("sourced_id", "course_code")
                },
            )
            code = classes.get(reference)
        return self._reference(row, "classSourcedId", reference, code, gettext_lazy("class"))

    def _student(self, reference: str) -> str | None:
        return self.students.get(reference)

    def _load_students(self, records: list, column: str) -> None:
        """The students the batch names that the package did not list: one query."""
        wanted = {cells.get(column, "") for _number, cells in records} - set(self.students)
        wanted.discard("")
        by_uuid = {stored_id(reference): reference for reference in wanted}
        for sourced, code in Student.objects.filter(sourced_id__in=by_uuid).values_list(
            "sourced_id", "student_id"
        ):
            self.students[by_uuid[sourced]] = code

    def _teacher_of(self, reference: str) -> User | None:
        if reference in self.teachers:
            return self.teachers[reference]
        teachers = self._from_sms(
            "teachers",
            lambda: {
                schema.teacher_id(user.username): user
                for user in User.objects.filter(role=Role.TEACHER)
            },
        )
        return teachers.get(reference)

    def _category(self, reference: str) -> str | None:
        if reference in self.categories:
            return self.categories[reference]
        titles = self._from_sms(
            "categories",
            lambda: {
                schema.category_id(title): title
                for title in Grade.objects.values_list("category", flat=True).distinct()
            },
        )
        return titles.get(reference)

    def _item(self, reference: str) -> tuple | None:
        if reference in self.items:
            return self.items[reference]
        items = self._from_sms("items", _stored_items)
        return items.get(reference)


def _stored_items() -> dict[str, tuple]:
    """The line items SMS has (a course's assignments), as the export describes them."""
    rows = (
        Grade.objects.filter(course__deleted_at__isnull=True)
        .values_list("course__sourced_id", "course__course_code", "assignment_name")
        .annotate(category=Min("category"), assigned=Min("date_assigned"), top=Max("max_grade"))
    )
    return {
        schema.line_item_id(sourced, name): (code, name, category, assigned, top)
        for sourced, code, name, category, assigned, top in rows
    }
