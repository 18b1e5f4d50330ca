"""A student filter's attendance and grade items as its courses' totals minus the other
students' rows.

The per-course attendance slots and grade buckets count every student of a course, so a
class, a study year or a list of students used to count its attendance by period and its
grade items from its own raw rows: a study year of the large demo is ~500,000 marks.
Counts add, so they also subtract: the slots and buckets of the courses the filtered
students take, less the counted rows of those courses' other students, are exactly the
filtered students' counts. That is chosen when the others have fewer enrollments in
those courses than the filtered students (a study year: 1,309 against 24,000; one class
shares its courses with its whole year, so it keeps reading its own rows).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections
from django.db.models import BooleanField, Count, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Round

from apps.academics import grading
from apps.academics.models import Attendance, Enrollment, Grade
from apps.analytics.models import AttendanceSlot, GradeBucket
from apps.analytics.ranged.reading import as_int, fetch, within_dates

# (course id, date, period, status) → records; (raw category, percentage) → items.
ATTENDANCE_FIELDS = ("course_id", "date", "period_number", "status")
AttendanceKey = tuple[int, dt.date, int, str]
GradeKey = tuple[str, Decimal]


@dataclass(frozen=True)
class Complement:
    """The courses the filtered students take in scope, the counted enrollments of other
    students in them (student id, course id), and the date range of the attendance
    counted."""

    course_ids: tuple[int, ...]
    other_enrollments: tuple[tuple[int, int], ...]
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def _others(self, model) -> QuerySet:
        """The other students' counted rows of ``model`` in these courses."""
        rows = model.objects.order_by()
        if not self.other_enrollments:
            return rows.none()
        if _reads_by_enrollment(rows.db):
            # The pairs come from counted enrollments: no status check is left.
            if model is Grade:
                rows = rows.filter(posted_at__isnull=False)  # hidden grades count nowhere
            return rows.filter(_of_enrollments(model, self.other_enrollments))
        students = sorted({student_id for student_id, _course in self.other_enrollments})
        # The ids come from counted enrollments: only the enrollment's status is left.
        rows = grading.counted_records(rows, live=True)
        return rows.filter(student_id__in=students, course_id__in=self.course_ids)

    def _buckets(self) -> QuerySet:
        return GradeBucket.objects.order_by().filter(course_id__in=self.course_ids)

    def _dated(self, queryset: QuerySet, field: str) -> QuerySet:
        return within_dates(queryset, field, self.date_from, self.date_to)

    @cached_property
    def attendance(self) -> Counter[AttendanceKey]:
        """The filtered students' counted attendance records per course, date, period
        and status, in the date range (dates as the database gives them: ISO text on
        SQLite)."""
        fields = ATTENDANCE_FIELDS
        slots = self._dated(AttendanceSlot.objects.order_by(), "date")
        counts: Counter[AttendanceKey] = Counter()
        for *key, records in fetch(
            slots.filter(course_id__in=self.course_ids)
            .values_list(*fields)
            .annotate(Sum("records"))
        ):
            counts[tuple(key)] += as_int(records)
        others = self._dated(self._others(Attendance), "date")
        if _reads_by_enrollment(others.db):
            others_counts = fetch(others.values_list(*fields).annotate(Count("id")))
        else:
            others_counts = _regrouped(others, fields)
        for *key, records in others_counts:
            counts[tuple(key)] -= as_int(records)
        return +counts  # without the keys left at zero

    def attendance_rows(self, *fields: str) -> list[dict]:
        """``attendance`` grouped by some of ``course_id``, ``date``, ``period_number`` and
        ``status``, as the grouped count of the raw rows gives them (``n``)."""
        positions = [ATTENDANCE_FIELDS.index(field) for field in fields]
        grouped: Counter[tuple] = Counter()
        for key, records in self.attendance.items():
            grouped[tuple(key[p] for p in positions)] += records
        rows = [{**dict(zip(fields, key, strict=True)), "n": n} for key, n in grouped.items()]
        if "date" in fields:
            for row in rows:
                row["date"] = _as_date(row["date"])
        return rows

    @cached_property
    def grades(self) -> Counter[GradeKey]:
        """The filtered students' counted grade items per raw category and percentage
        (rounded to 2 decimals as the buckets are), whatever their dates."""
        counts: Counter[GradeKey] = Counter()
        for category, percentage, items in (
            self._buckets().values_list("category", "percentage").annotate(Sum("items"))
        ):
            counts[category, percentage_key(percentage)] += items
        others = (
            self._others(Grade)
            .annotate(pct=Round(grading.percentage_expression(), 2))
            .values_list("category", "pct")
            .annotate(Count("id"))
        )
        for category, percentage, items in others:
            counts[category, percentage_key(percentage)] -= items
        return +counts

    @cached_property
    def grade_count(self) -> int:
        """The filtered students' counted grade items (the dashboard's total): the
        buckets' items less a plain count of the others' items."""
        if "grades" in self.__dict__:  # already grouped for the grade statistics
            return sum(self.grades.values())
        total = self._buckets().aggregate(n=Sum("items"))["n"] or 0
        return total - self._others(Grade).count()


def _reads_by_enrollment(alias: str) -> bool:
    """Whether the others' rows are read by their enrollments' (student, course) pairs:
    on PostgreSQL, one index probe per enrollment (a study year's others: attendance
    105 → 22 ms, grade count 58 → 9 ms, against the student and course ids and an EXISTS
    on the enrollment for each row). SQLite plans that ``IN (VALUES …)`` as a scan of the
    whole table (1.2 s), and as a join it filters the grades through a Bloom filter built
    over every grade (160 ms): it keeps the ids and the EXISTS (80 and 43 ms)."""
    return connections[alias].vendor == "postgresql"


def _of_enrollments(model, enrollments) -> RawSQL:
    """``(student_id, course_id) IN (VALUES …)`` on ``model``'s table. The ids are read
    from the database as integers and written as integer literals: a complement may hold
    more enrollments than a statement may have parameters."""
    table = connection.ops.quote_name(model._meta.db_table)
    pairs = ",".join(f"({int(student)},{int(course)})" for student, course in enrollments)
    sql = f"({table}.student_id, {table}.course_id) IN (VALUES {pairs})"
    return RawSQL(sql, (), output_field=BooleanField())


def _regrouped(queryset: QuerySet, fields: tuple[str, ...]) -> list[tuple]:
    """The queryset's rows counted per ``fields`` as plain tuples. They are grouped by
    student first, in the order of the unique index (student, course, date, period), and
    summed again in the same statement: SQLite otherwise walks the course index over
    every student's marks (a study year's others: 3.6 s instead of 0.08 s)."""
    per_student = queryset.values_list("student_id", *fields).annotate(n=Count("id"))
    try:
        sql, params = per_student.query.sql_with_params()
    except EmptyResultSet:  # no other student
        return []
    connection = connections[per_student.db]  # as ``reading.fetch`` reads
    columns = ", ".join(connection.ops.quote_name(name) for name in fields)
    statement = f"SELECT {columns}, SUM(n) FROM ({sql}) per_student GROUP BY {columns}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def _as_date(value) -> dt.date:
    """A date read as plain text (SQLite) as the ORM would give it."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def percentage_key(percentage) -> Decimal:
    """A percentage rounded to 2 decimals as one Decimal key whichever database rounded
    it (SQLite to a float, PostgreSQL to numeric): both sides of a subtraction, and the
    raw items' counts (``grade_figures``), share one key and add up exactly."""
    if isinstance(percentage, Decimal):
        return percentage.quantize(Decimal("0.01"))
    return Decimal(str(percentage)).quantize(Decimal("0.01"))


def complement_of(scope, date_from=None, date_to=None) -> Complement | None:
    """The complement of a student-filtered scope, when its courses' other students have
    fewer enrollments there than its own students; else None (read the rows)."""
    # The enrollments' own table: narrower rows than the stored results', same pairs.
    own = fetch(scope.enrollments.order_by().values_list("course_id").annotate(n=Count("pk")))
    if not own:
        return None
    course_ids = tuple(sorted(course_id for course_id, _n in own))
    others = fetch(
        Enrollment.objects.counted()
        .order_by()
        .filter(course_id__in=course_ids)
        .exclude(student_id__in=scope.student_ids)
        .values_list("student_id", "course_id")
    )
    if len(others) >= sum(as_int(n) for _course_id, n in own):
        return None
    return Complement(course_ids, tuple(sorted(others)), date_from, date_to)
