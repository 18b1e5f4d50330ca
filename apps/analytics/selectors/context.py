"""The analytics context: one user's scope and filters, and the rows every figure reads.

It decides once whether figures come from the stored results or the live engine.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from functools import cached_property

from django.utils import timezone

from apps.academics import grading
from apps.academics.filtering import RecordFilters
from apps.analytics import results as stored_results
from apps.analytics.models import AttendanceSlot, EnrollmentResult, GradeBucket, StudentResult
from apps.analytics.scope import AnalyticsScope
from apps.analytics.selectors.common import (
    field,
)


class AnalyticsContext:
    """One user's view of the analytics under one set of filters."""

    def __init__(
        self, user, filters: RecordFilters | None = None, *, focus_course: int | None = None
    ):
        self.filters = filters or RecordFilters()
        self.scope = AnalyticsScope(user, self.filters, focus_course)
        # Writes earlier in this transaction are folded in before reading the stored rows.
        stored_results.flush_pending()
        self.generated_at = timezone.now()

    @cached_property
    def stored(self) -> bool:
        """Engine figures per enrollment come from the stored results (no date filter)."""
        return self.filters.date_from is None and self.filters.date_to is None

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
    def enrollment_results(self):
        """Stored per-enrollment results in scope."""
        queryset = EnrollmentResult.objects.order_by()
        if self.scope.restricts_students:
            queryset = queryset.filter(student_id__in=self.scope.students.values("pk"))
        if self.scope.restricts_courses:
            queryset = queryset.filter(course_id__in=self.scope.courses.values("pk"))
        return queryset

    @cached_property
    def student_results(self):
        queryset = StudentResult.objects.order_by()
        if self.scope.restricts_students:
            queryset = queryset.filter(student_id__in=self.scope.students.values("pk"))
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
    def grade_buckets(self):
        return self._per_course(GradeBucket)

    @cached_property
    def stored_risk(self) -> dict[int, str]:
        return dict(self.student_results.values_list("student_id", "risk_level"))

    @cached_property
    def summaries(self) -> dict:
        student_ids, course_ids = self.scope.engine_ids
        return grading.student_summaries(
            student_ids=student_ids,
            course_ids=course_ids,
            date_from=self.filters.date_from,
            date_to=self.filters.date_to,
        )

    @cached_property
    def results(self) -> list:
        """Every (student, course) CourseResult in scope (stored rows when possible)."""
        if self.stored:
            return [
                StoredResult(*row)
                for row in self.enrollment_results.values_list(*StoredResult.COLUMNS)
            ]
        return [result for summary in self.summaries.values() for result in summary.courses]

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
        if self.stored_students:
            return self.stored_risk.get(student_id)
        return field(field(self.summaries.get(student_id), "risk"), "level")


@dataclasses.dataclass(frozen=True, slots=True)
class StoredResult:
    """The few fields of a stored enrollment result that the lists need."""

    student_id: int
    course_id: int
    final_grade: Decimal | None
    letter_grade: str
    attendance_rate: Decimal | None
    unexcused_absences: int
    consecutive_absences: int

    COLUMNS = (
        "student_id",
        "course_id",
        "final_grade",
        "letter_grade",
        "attendance_rate",
        "unexcused_absences",
        "consecutive_absences",
    )
