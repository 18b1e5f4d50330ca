"""The analytics context: one user's scope and filters, and the rows every figure reads.

It decides once where the engine's figures come from: the stored results for
per-enrollment figures without dates, ``StudentResult`` for per-student figures over
every course, and otherwise the stored results and daily rollups combined by
``apps.analytics.ranged``. ``live=True`` runs the grade engine over the raw rows instead:
the reference the equivalence tests compare with.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from functools import cached_property

from django.db.models import Sum
from django.utils import timezone

from apps.academics import grading
from apps.academics.filtering import RecordFilters
from apps.analytics import ranged, rollup_state
from apps.analytics import results as stored_results
from apps.analytics.models import (
    AttendanceDay,
    AttendanceSlot,
    EnrollmentResult,
    GradeBucket,
    StudentResult,
)
from apps.analytics.scope import AnalyticsScope
from apps.analytics.selectors.common import (
    field,
)
from apps.analytics.selectors.complement import Complement, complement_of


class AnalyticsContext:
    """One user's view of the analytics under one set of filters."""

    def __init__(
        self,
        user,
        filters: RecordFilters | None = None,
        *,
        focus_course: int | None = None,
        live: bool = False,
    ):
        self.filters = filters or RecordFilters()
        self.live = live
        self.scope = AnalyticsScope(user, self.filters, focus_course)
        # Writes earlier in this transaction are folded in before reading the stored rows.
        stored_results.flush_pending()
        self.generated_at = timezone.now()

    @cached_property
    def stored(self) -> bool:
        """Engine figures per enrollment come from the stored results (no date filter)."""
        return not self.live and self.filters.date_from is None and self.filters.date_to is None

    @cached_property
    def stored_students(self) -> bool:
        """Per-student figures come from the stored results: they cover every course."""
        return self.stored and not self.scope.restricts_courses

    @cached_property
    def use_aggregates(self) -> bool:
        """Attendance slots / grade buckets (per course) serve when no student filter."""
        filters = self.filters
        return not (
            filters.students
            or filters.class_division
            or filters.study_year
            or self.scope.focus_course is not None
        )

    @cached_property
    def complement(self) -> Complement | None:
        """Under a student filter (class, year, students), the filtered students' counts
        as their courses' slots and buckets minus the other students' rows, when that
        reads fewer rows than their own (``selectors/complement.py``); None otherwise."""
        if self.live or self.use_aggregates or self.scope.focus_course is not None:
            return None
        return complement_of(self.scope, self.filters.date_from, self.filters.date_to)

    @cached_property
    def enrollment_results(self):
        """Stored per-enrollment results in scope (rows of counted enrollments only)."""
        return self.scope.within_scope(EnrollmentResult.objects.order_by())

    @cached_property
    def student_results(self):
        queryset = StudentResult.objects.order_by()
        if self.scope.restricts_students:
            queryset = queryset.filter(student_id__in=self.scope.student_ids)
        return queryset

    def _per_course(self, model):
        queryset = model.objects.order_by()
        if self.scope.restricts_courses:
            queryset = queryset.filter(course_id__in=self.scope.courses.values("pk"))
        return queryset

    @cached_property
    def attendance_slots(self):
        queryset = self._per_course(AttendanceSlot)
        if self.filters.date_from:
            queryset = queryset.filter(date__gte=self.filters.date_from)
        if self.filters.date_to:
            queryset = queryset.filter(date__lte=self.filters.date_to)
        return queryset

    @cached_property
    def attendance_days(self):
        """Daily attendance rollups in scope and range, for attendance counts the
        per-course slots cannot give (a student, class or year filter, one course's
        students); None for the live reference or while the rollups are not current."""
        if self.live or not rollup_state.readable():
            return None
        days = self.scope.within_scope(AttendanceDay.objects.order_by())
        if self.filters.date_from:
            days = days.filter(day__gte=self.filters.date_from)
        if self.filters.date_to:
            days = days.filter(day__lte=self.filters.date_to)
        return days

    @cached_property
    def grade_buckets(self):
        return self._per_course(GradeBucket)

    @cached_property
    def grade_count(self) -> int:
        """Counted grade items in scope: per-course buckets, else the daily rollups (the
        raw rows only for the live reference)."""
        if self.stored and self.use_aggregates:
            return self.grade_buckets.aggregate(n=Sum("items"))["n"] or 0
        if self.stored and self.complement is not None:
            return self.complement.grade_count
        if self.live:
            return self.scope.grades.count()
        return ranged.grade_count(**self._engine_arguments())

    @cached_property
    def stored_risk(self) -> dict[int, str]:
        return dict(self.student_results.values_list("student_id", "risk_level"))

    def _engine_arguments(self) -> dict:
        student_ids, course_ids = self.scope.engine_ids
        return {
            "student_ids": student_ids,
            "course_ids": course_ids,
            "date_from": self.filters.date_from,
            "date_to": self.filters.date_to,
        }

    @cached_property
    def course_results(self) -> dict:
        """Every (student, course) result in scope, from stored data (live: the engine)."""
        if self.live:
            return {
                (result.student_id, result.course_id): result
                for summary in self.summaries.values()
                for result in summary.courses
            }
        return ranged.course_results(**self._engine_arguments())

    @cached_property
    def summaries(self) -> dict:
        """Every student summary in scope: stored data combined, or the live engine."""
        if self.live:
            return grading.student_summaries(**self._engine_arguments())
        return ranged.summaries(**self._engine_arguments(), results=self.course_results)

    @cached_property
    def standings(self) -> dict:
        """Every student summary in scope as the student list shows it (averages, GPA,
        attendance, trend, risk), built on ``finals``: no breakdown or absence run is read
        or computed. Its courses are ``ranged.Final`` rows, not ``CourseResult`` objects."""
        if self.live:
            return self.summaries
        arguments = self._engine_arguments()
        if not self.stored:  # over a date range: every student of the pairs, few finals
            pairs = self.counted_pairs
            finals = self.recorded_finals
            return ranged.summaries(**arguments, results=finals, stored_trends=False, pairs=pairs)
        covered = self.wholly_in_scope
        finals = ranged.final_grades(**arguments, without=covered) if covered else self.finals
        # Under a course restriction ``wholly_in_scope`` has looked for the students whose
        # stored trend would serve, and left them out: the trend code need not look again.
        return ranged.summaries(**arguments, results=finals, stored_trends=self.stored_students)

    @cached_property
    def wholly_in_scope(self) -> frozenset[int]:
        """Without dates, the students of a course-restricted scope whose every counted
        course is in it (a semester's, mostly): their per-student figures over the scope
        are their stored ones, and ``standings`` leaves them out."""
        if not self.stored or self.stored_students:
            return frozenset()
        return ranged.students_wholly_in_scope(**self._engine_arguments())

    @cached_property
    def counted_pairs(self) -> list:
        """The (student, course) pairs of the counted enrollments in scope."""
        if self.live:
            return list(self.course_results)
        return ranged.counted_pairs(**self._engine_arguments())

    def _known_pairs(self) -> list | None:
        """Over a date range, ``counted_pairs`` (read once for every figure that needs
        them); without dates, None (the stored finals need no pairs)."""
        return None if self.stored else self.counted_pairs

    @cached_property
    def finals(self) -> dict:
        """Each enrollment's final grade and attendance counts in scope (``ranged.Final``)."""
        return ranged.final_grades(**self._engine_arguments(), pairs=self._known_pairs())

    @cached_property
    def recorded_finals(self) -> dict:
        """``finals``, less (over a date range) enrollments with no record in it: their
        final grade is None and their attendance nothing, so no average, letter, pass
        rate or risk level reads them."""
        if "finals" in self.__dict__:
            return self.finals
        return ranged.final_grades(
            **self._engine_arguments(), recorded_only=True, pairs=self._known_pairs()
        )

    @cached_property
    def final_results(self) -> list:
        """Every enrollment's final grade, letter and attendance in scope (what the
        dashboard and the course reports show): stored rows without dates, else only the
        final grades and attendance counts of the daily rollups."""
        if self.stored or self.live:
            return self.results
        return list(self.finals.values())

    @cached_property
    def graded_results(self) -> list:
        """``final_results`` that may have a final grade: what the dashboard's and the
        course list's averages, letters and pass rates read. Over a date range, without
        the enrollments that have no record in it (on one day, most of them)."""
        if self.stored or self.live:
            return self.final_results
        return list(self.recorded_finals.values())

    @cached_property
    def attendance_results(self) -> list:
        """The enrollments in scope that the attendance alerts test (rate, unexcused
        absences, longest run): every result without dates or live, else, from the
        attendance rollups alone, at least those that raise an alert."""
        if self.stored or self.live:
            return self.results
        return ranged.attendance_standings(
            **self._engine_arguments(),
            threshold=self.filters.threshold,
            consecutive=self.filters.consecutive,
        )

    @cached_property
    def risk_levels(self) -> dict[int, str]:
        """Each student's risk level in scope; students without an enrollment in scope
        may be missing (they are at low risk)."""
        if self.stored_students:
            return self.stored_risk
        if self.live:
            return {pk: summary.risk.level for pk, summary in self.summaries.items()}
        # With or without dates: the stored result rows lack the attendance counts. The
        # finals are passed when another figure has read them already; over a date range
        # the enrollments with a record in it are enough.
        finals = self.__dict__.get("finals")
        if finals is None and not self.stored:
            finals = self.recorded_finals
        return ranged.risk_levels(**self._engine_arguments(), finals=finals)

    @cached_property
    def results(self) -> list:
        """Every (student, course) CourseResult in scope (stored rows when possible)."""
        if self.stored:
            return [
                StoredResult.from_row(row)
                for row in self.enrollment_results.values_list(*StoredResult.COLUMNS)
            ]
        return list(self.course_results.values())

    @cached_property
    def students(self) -> dict[int, dict]:
        rows = self.scope.students.values(
            "id",
            "student_id",
            "first_name",
            "last_name",
            "class_division",
            "study_year",
            "is_active",
        ).order_by("last_name", "first_name", "student_id")
        return {row["id"]: row for row in rows}

    @cached_property
    def courses(self) -> dict[int, dict]:
        rows = self.scope.courses.values("id", "course_code", "course_name", "credits").order_by(
            "course_code"
        )
        return {row["id"]: row for row in rows}

    def risk_level(self, student_id: int) -> str | None:
        """The risk level of a student with an enrollment in scope."""
        if self.stored_students:
            return self.stored_risk.get(student_id)
        if self.live:
            return field(field(self.summaries.get(student_id), "risk"), "level")
        # Missing: no enrollment in scope, or (over a date range) no record in it.
        return self.risk_levels.get(student_id, grading.RISK_LEVELS[0])


@dataclasses.dataclass(frozen=True, slots=True)
class StoredResult:
    """The few fields of a stored enrollment result that the lists need."""

    student_id: int
    course_id: int
    final_grade: Decimal | None
    letter_grade: str | None
    attendance_rate: Decimal | None
    unexcused_absences: int
    consecutive_absences: int

    @classmethod
    def from_row(cls, row: tuple) -> StoredResult:
        """A row of ``COLUMNS``; no letter is stored as "" but reads as None, as the
        engine gives it."""
        student_id, course_id, final_grade, letter_grade, *rest = row
        return cls(student_id, course_id, final_grade, letter_grade or None, *rest)

    COLUMNS = (
        "student_id",
        "course_id",
        "final_grade",
        "letter_grade",
        "attendance_rate",
        "unexcused_absences",
        "consecutive_absences",
    )
