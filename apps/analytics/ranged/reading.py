"""What a stored-data figure reads: the selection (scope ids and dates) and plain rows.

Rows are fetched with the cursor, not through the ORM's row converters: the whole school
is ~100,000 enrollments, and per-row conversion (dates, decimals, model fields) cost more
than the queries. Values stay as the database gives them (dates read only to be compared:
on SQLite as ISO text, ``unparsed_date``; on PostgreSQL ``date``, and integer sums as
``Decimal``), and every comparison in this package is between values of one source, so no
parsing is needed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections
from django.db.models import BigIntegerField, Count, F, QuerySet, Sum, TextField
from django.db.models.functions import Cast

from apps.academics.models import Course, Enrollment
from apps.analytics.models import EnrollmentResult

Pair = tuple[int, int]
_STUDENTS_PER_COURSE = 30
# Above this many students, a scope with fewer than two of its enrollments per student is
# not searched for students wholly in it (``students_wholly_in``).
_FEW_STUDENTS = 200


# Beyond this many students a statement reads the stored rows of the whole scope and
# keeps them by id in Python: a semester's ~8,000 ids as parameters cost more to send
# and to plan (~40 ms on PostgreSQL) than the 10,000 rows of a whole school to read.
LISTED_STUDENTS = 2_000


def of_listed_students(queryset: QuerySet, student_ids, *, exclude: bool = False) -> QuerySet:
    """``queryset`` restricted to these students (``exclude``: without them) when they
    are at most ``LISTED_STUDENTS``; beyond, unchanged: the caller keeps its rows by id
    in Python either way."""
    if len(student_ids) > LISTED_STUDENTS:
        return queryset
    ids = sorted(student_ids)
    return queryset.exclude(student_id__in=ids) if exclude else queryset.filter(student_id__in=ids)


def fetch(queryset: QuerySet) -> list[tuple]:
    """The queryset's rows as plain tuples, without the ORM's per-row converters."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # an empty id list
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass(frozen=True)
class Selection:
    """Students and courses (``values("pk")`` subqueries, None for all) and a date range
    (either end open when None); ``pairs``, once known (``narrowed``), the enrollments in
    scope."""

    student_ids: Any = None
    course_ids: Any = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    pairs: frozenset[Pair] | None = None

    def narrowed(self, pairs) -> Selection:
        """The same selection with its enrollments known: rollup rows are then read by
        literal course or student ids, whichever reads fewer rows, and kept by pair."""
        if self.student_ids is None and self.course_ids is None:
            return self
        return replace(self, pairs=frozenset(pairs))

    @cached_property
    def pair_students(self) -> frozenset[int]:
        """The students of ``pairs`` (none before ``narrowed``)."""
        return frozenset(student_id for student_id, _course_id in self.pairs or ())

    def keeps(self, student_id: int, course_id: int) -> bool:
        return self.pairs is None or (student_id, course_id) in self.pairs

    @property
    def dated(self) -> bool:
        return self.date_from is not None or self.date_to is not None

    def restrict(self, queryset: QuerySet) -> QuerySet:
        if self.student_ids is not None:
            queryset = queryset.filter(student_id__in=self.student_ids)
        if self.course_ids is not None:
            queryset = queryset.filter(course_id__in=self.course_ids)
        return queryset

    def rows(self, queryset: QuerySet) -> QuerySet:
        """Rollup rows of the selection's students and courses (a superset once
        ``narrowed``: callers keep the rows of ``keeps``)."""
        if self.pairs is None:
            return self.restrict(queryset)
        students = sorted(self.pair_students)
        courses = sorted({course_id for _student_id, course_id in self.pairs})
        # A course has ~30 times as many enrollments as a student: a teacher's 6 courses
        # are read by course (index on course, day), one student's or one class's by
        # student, rather than every course of 1,900 students.
        if self.course_ids is not None and len(students) > _STUDENTS_PER_COURSE * len(courses):
            return queryset.filter(course_id__in=courses)
        queryset = queryset.filter(student_id__in=students)
        if self.course_ids is not None:
            queryset = queryset.filter(course_id__in=courses)
        return queryset

    def days(self, model, field: str = "day") -> QuerySet:
        """Rollup rows of the selection's students, courses and days."""
        return within_dates(
            self.rows(model.objects.order_by()), field, self.date_from, self.date_to
        )

    @cached_property
    def course_list(self) -> list[int] | None:
        """The course ids as a list (a few hundred at most), None for all."""
        if self.course_ids is None:
            return None
        return list(Course.all_objects.filter(pk__in=self.course_ids).values_list("pk", flat=True))


def within_dates(
    queryset: QuerySet, field: str, date_from: dt.date | None, date_to: dt.date | None
) -> QuerySet:
    """Rows whose ``field`` lies in the range (either end open when None)."""
    if date_from is not None:
        queryset = queryset.filter(**{f"{field}__gte": date_from})
    if date_to is not None:
        queryset = queryset.filter(**{f"{field}__lte": date_to})
    return queryset


def summed(
    selection: Selection,
    days: QuerySet,
    keys: tuple[str, ...],
    floats: tuple[str, ...] = (),
    ints: tuple[str, ...] = (),
) -> list[tuple]:
    """The rollup rows ``days`` (of ``selection.days``) per ``keys``, with ``floats`` and
    ``ints`` summed over the range, as plain rows (keys, floats, ints). Over a single day,
    the day's rows as they are: the rollups hold one row per key and day, and grouping a
    whole school's day (~30,000 grade rows by category name) cost PostgreSQL ~20 ms."""
    if selection.date_from is not None and selection.date_from == selection.date_to:
        return fetch(days.values_list(*keys, *floats, *ints))
    totals = {f"sum_{name}": Sum(name) for name in floats}
    totals.update({f"sum_{name}": int_sum(name) for name in ints})
    return fetch(days.values_list(*keys).annotate(**totals))


def enrollment_pairs(selection: Selection) -> list[Pair]:
    """The selection's counted enrollments (the stored results' pairs), whatever its
    dates: what a ranged figure finishes, one per enrollment."""
    return fetch(
        selection.restrict(EnrollmentResult.objects.order_by()).values_list(
            "student_id", "course_id"
        )
    )


def students_wholly_in(pairs: Iterable[Pair]) -> list[int]:
    """The students of these enrollments whose every counted enrollment is among them:
    without dates, their figures over these enrollments are their stored whole figures
    (``StudentResult``). A semester's students mostly are (their courses are that
    semester's); a teacher's seldom."""
    in_scope = Counter(student_id for student_id, _course_id in pairs)
    if len(in_scope) > _FEW_STUDENTS and sum(in_scope.values()) < 2 * len(in_scope):
        # Many students with one or two of their ~10 courses each (a teacher's scope):
        # next to none is wholly in it, and counting all their enrollments costs more
        # than it saves (a teacher's dashboard: ~20 ms of ~80).
        return []
    if not in_scope:
        return []
    # The enrollments' own table: the stored results' pairs in far narrower rows.
    counted = of_listed_students(Enrollment.objects.counted().order_by(), in_scope)
    counts = counted.values_list("student_id").annotate(n=Count("pk"))
    return [pk for pk, n in fetch(counts) if as_int(n) == in_scope.get(pk)]


def unparsed_date(field: str) -> Cast | F:
    """A date column read only to be compared with others of its query: on SQLite as its
    ISO text, which orders the same, because the driver parses every date it returns
    (a whole school's month of trend segments returns 660,000); elsewhere as it is."""
    if connection.vendor == "sqlite":
        return Cast(field, TextField())
    return F(field)


def int_sum(field: str) -> Cast:
    """The sum of an integer column as an integer on every backend: PostgreSQL sums
    integers as ``numeric``, which the driver parses into a Decimal per value (~400,000
    of them for a whole school's month of attendance)."""
    return Cast(Sum(field), BigIntegerField())


def kept(rows: list[tuple], selection: Selection) -> Iterable[tuple]:
    """The rows (student id and course id first) of the selection's enrollments: all of
    them until it is ``narrowed``, without a test per row."""
    if selection.pairs is None:
        return rows
    keeps = selection.keeps
    return [row for row in rows if keeps(row[0], row[1])]


def as_int(value: Any) -> int:
    """PostgreSQL sums integers as numeric; the answers want plain ints."""
    return value if type(value) is int else int(value)
