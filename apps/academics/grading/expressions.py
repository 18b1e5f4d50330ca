"""The engine's rules as SQL, for the set-based paths (``bulk``, the analytics' stored
results and filtered figures): what counts and how a mark becomes a percentage.

The pure rules in ``rules`` stay the reference; these build the same thing in a query.
"""

from __future__ import annotations

from django.db.models import Exists, F, FloatField, OuterRef, QuerySet
from django.db.models.functions import Cast

from apps.academics.models import COUNTED_STATUSES, Enrollment, Grade


def percentage_expression(value: str = "grade", maximum: str = "max_grade"):
    """``value / maximum · 100`` as a float on every backend (SQLite would divide integers)."""
    return Cast(value, FloatField()) * 100.0 / Cast(maximum, FloatField())


def counted_records(queryset: QuerySet, *, live: bool = False, joined: bool = False) -> QuerySet:
    """Rows of one student in one course (grades, attendance, daily performance) whose
    enrollment counts (``Enrollment.objects.counted()``: not dropped, live student, live
    course), by a correlated EXISTS on the enrollment's unique index.

    ``live=True`` when the rows are already restricted to student and course ids read
    from counted enrollments (so to live students and courses): only the enrollment's
    status is left to check, which keeps a query narrowed by literal ids on its indexes
    instead of listing the soft-deleted ids for each statement.

    ``joined=True`` states the same rule as a join on the student's enrollments and on
    the student and course rows: for the engine's refresh of a few students or courses
    (literal ids on the indexes) it measured ~15 % faster than the EXISTS on SQLite.

    Grades count once posted (``apps.academics.posting``): a hidden grade is in no figure.
    """
    if queryset.model is Grade:
        queryset = queryset.filter(posted_at__isnull=False)
    if joined:
        return queryset.filter(
            student__deleted_at__isnull=True,
            course__deleted_at__isnull=True,
            student__enrollments__course=F("course"),
            student__enrollments__status__in=COUNTED_STATUSES,
        )
    enrollments = (
        Enrollment.objects.filter(status__in=COUNTED_STATUSES)
        if live
        else Enrollment.objects.counted()
    )
    counted = enrollments.filter(student_id=OuterRef("student_id"), course_id=OuterRef("course_id"))
    return queryset.filter(Exists(counted))
