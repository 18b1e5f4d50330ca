"""Teachers of courses from a OneRoster package: a teacher's enrollment in a class makes
them a teacher of its course. Written through the course service (so the course's history
has it), each new link in the import's change log, so a rollback takes it away again."""

from __future__ import annotations

from collections import defaultdict

from apps.academics.batch import NEW
from apps.academics.models import Course
from apps.academics.services import course_set_teachers
from apps.accounts.models import User
from apps.bulkio.importing.plan import RowPlan
from apps.bulkio.models import ChangeAction, ImportChange

THROUGH = Course.teachers.through


class TeacherLinks:
    def __init__(self):
        self.new: dict[tuple[int, int], int] = {}  # (course id, user id) → file row
        self._courses: dict[str, int] | None = None
        self._linked: set[tuple[int, int]] | None = None

    def add(self, row: RowPlan, code: str, teacher: User) -> None:
        """A teacher's enrollment: new unless the teacher already teaches the course."""
        if self._courses is None:  # read once, after the package's courses are written
            self._courses = dict(Course.objects.values_list("course_code", "pk"))
            self._linked = set(THROUGH.objects.values_list("course_id", "user_id"))
        course = self._courses.get(code)
        if course is None:
            return
        pair = (course, teacher.pk)
        if pair in self.new or pair in self._linked:
            return
        self.new[pair] = row.row
        row.action = NEW

    def write(self, *, job, actor) -> int:
        by_course: dict[int, list[int]] = defaultdict(list)
        for course, user in self.new:
            by_course[course].append(user)
        for course in Course.objects.filter(pk__in=by_course).prefetch_related("teachers"):
            added = User.objects.filter(pk__in=by_course[course.pk])
            course_set_teachers(
                course=course, teachers=[*course.teachers.all(), *added], actor=actor
            )
        changes = [
            ImportChange(
                job=job,
                row=self.new[(course, user)],
                model=THROUGH._meta.label,
                object_id=pk,
                action=ChangeAction.CREATE,
                before=None,
                after={"course_id": course, "user_id": user},
            )
            for pk, course, user in THROUGH.objects.filter(course_id__in=by_course).values_list(
                "pk", "course_id", "user_id"
            )
            if (course, user) in self.new
        ]
        ImportChange.objects.bulk_create(changes)
        return len(changes)
