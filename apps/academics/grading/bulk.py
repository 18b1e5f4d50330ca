"""Loading for many students with a fixed number of queries, however many there are.

SQL aggregates grouped by student, course and category, and window functions for absence
runs and trend sums, produce the per-category totals that the pure rules finish:
``course_results`` and ``student_summaries`` give the same numbers as ``loading``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    Model,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, RowNumber
from django.db.models.lookups import In

from apps.academics.grading.decimals import ONE, ZERO, to_decimal
from apps.academics.grading.expressions import counted_records, percentage_expression
from apps.academics.grading.keys import ATTENDANCE_KEY, EXAM_KEYS, category_key
from apps.academics.grading.loading import counted_enrollments
from apps.academics.grading.model import (
    _STATUSES,
    AttendanceCounts,
    CategoryTotals,
    CourseResult,
    StudentSummary,
)
from apps.academics.grading.rules import (
    apply_daily,
    finalise_course_result,
    label_for_slope,
    parse_rules,
    slope_from_sums,
    summarise_student,
)
from apps.academics.models import (
    Attendance,
    AttendanceStatus,
    Course,
    DailyPerformance,
    Grade,
    Student,
)


def _id_list(ids: Iterable[int] | QuerySet | None) -> list[int] | QuerySet | None:
    """Querysets stay subqueries; other iterables are read once into a list."""
    if ids is None or isinstance(ids, QuerySet):
        return ids
    return list(ids)


class _LiteralIn(In):
    """``column IN (1, 2, …)`` with the ids written into the statement: no bound-parameter
    limit, and the planner filters the rows by index before any join, window or group."""

    def process_rhs(self, compiler, connection):
        return "(" + ", ".join(str(int(pk)) for pk in self.rhs) + ")", ()


@dataclass(frozen=True)
class _Scope:
    """Filters shared by every bulk query: ids, dates, counted enrollments, live rows.

    ``known`` ids were read from the counted enrollments (plain ints, never empty): they go
    into the statements as literals instead of subqueries.
    """

    student_ids: Any = None
    course_ids: Any = None
    date_from: date | None = None
    date_to: date | None = None
    known: bool = False

    @property
    def empty(self) -> bool:
        return any(ids == [] for ids in (self.student_ids, self.course_ids))

    def _ids(self, queryset: QuerySet) -> QuerySet:
        for column, ids in (("student_id", self.student_ids), ("course_id", self.course_ids)):
            if ids is None:
                continue
            if self.known:
                queryset = queryset.filter(_LiteralIn(F(column), ids))
            else:
                queryset = queryset.filter(**{f"{column}__in": ids})
        return queryset

    def narrowed(self, pairs: list[tuple[int, int]]) -> _Scope:
        """The same rows, restricted by the ids of these enrollments (all counted ones in
        scope) rather than by the callers' id subqueries."""
        if self.student_ids is None and self.course_ids is None:
            return self
        return replace(
            self,
            student_ids=None
            if self.student_ids is None
            else sorted({student_id for student_id, _course_id in pairs}),
            course_ids=None
            if self.course_ids is None
            else sorted({course_id for _student_id, course_id in pairs}),
            known=True,
        )

    def enrollments(self) -> QuerySet:
        return self._ids(counted_enrollments())

    def records(self, model: type[Model], date_field: str) -> QuerySet:
        queryset = counted_records(model.objects.order_by(), joined=True)
        if self.date_from:
            queryset = queryset.filter(**{f"{date_field}__gte": self.date_from})
        if self.date_to:
            queryset = queryset.filter(**{f"{date_field}__lte": self.date_to})
        return self._ids(queryset)


def _wrapped_rows(inner: QuerySet, outer_sql: str, *outer_params: Any) -> list[tuple]:
    """Run ``outer_sql`` over ``inner`` as a derived table named ``t``."""
    sql, params = inner.query.sql_with_params()
    with connections[inner.db].cursor() as cursor:
        cursor.execute(outer_sql.format(inner=sql), (*params, *outer_params))
        return cursor.fetchall()


def _consecutive_absences(scope: _Scope) -> dict[tuple[int, int], int]:
    """Gaps and islands in one window pass: absences that follow the same number of other
    records form one run, so the longest run is the largest such group."""
    order = [F("date").asc(), F("period_number").asc(), F("id").asc()]
    not_absent = Case(
        When(status=AttendanceStatus.ABSENT, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    inner = (
        scope.records(Attendance, "date")
        .annotate(
            island=Window(
                Sum(not_absent), partition_by=[F("student_id"), F("course_id")], order_by=order
            )
        )
        .values("island", a_student=F("student_id"), a_course=F("course_id"), a_status=F("status"))
    )
    rows = _wrapped_rows(
        inner,
        "SELECT r.a_student, r.a_course, MAX(r.run_length) FROM ("
        " SELECT t.a_student, t.a_course, COUNT(*) AS run_length FROM ({inner}) t"
        " WHERE t.a_status = %s GROUP BY t.a_student, t.a_course, t.island"
        ") r GROUP BY r.a_student, r.a_course",
        AttendanceStatus.ABSENT,
    )
    return {(student_id, course_id): int(run) for student_id, course_id, run in rows}


def _trend_sums(scope: _Scope) -> dict[int, tuple[str, Decimal | None]]:
    """Per student, the least-squares sums of grade percentages over their order."""
    order = [Coalesce("date_submitted", "date_assigned").asc(), F("id").asc()]
    inner = (
        scope.records(Grade, "date_assigned")
        .annotate(n_item=Window(RowNumber(), partition_by=[F("student_id")], order_by=order))
        .values(
            "n_item",
            t_student=F("student_id"),
            t_value=percentage_expression("grade", "max_grade"),
        )
    )
    rows = _wrapped_rows(
        inner,
        "SELECT t.t_student, COUNT(*), SUM(t.n_item), SUM(t.t_value), SUM(t.n_item * t.t_value),"
        " SUM(t.n_item * t.n_item) FROM ({inner}) t GROUP BY t.t_student",
    )
    trends = {}
    for student_id, n, *sums in rows:
        slope = slope_from_sums(n, *sums) if n >= 2 else None
        trends[student_id] = (label_for_slope(n, slope), slope)
    return trends


# Students whose exam rows are read in one fetch (a refresh, a rebuild's chunk: ~20 rows a
# student); more, or a scope by course or the whole school, stream in chunks (on
# PostgreSQL a server-side cursor, three round trips more: 5 of a refresh's ~45 ms of SQL).
_FETCHED_AT_ONCE = 1000


def _streamed_if_many(rows: QuerySet, scope: _Scope) -> Iterable[tuple]:
    ids = scope.student_ids
    if isinstance(ids, list) and len(ids) <= _FETCHED_AT_ONCE:
        return rows
    return rows.iterator(chunk_size=5000)


def _grade_totals(scope: _Scope) -> dict[tuple[int, int], dict[str, CategoryTotals]]:
    """Non-exam categories summed in SQL; exam rows fetched to keep only the latest."""
    grades = scope.records(Grade, "date_assigned")
    # Only the categories of the rows in scope matter (one student's: a few index reads).
    keys = {raw: category_key(raw) for raw in grades.values_list("category", flat=True).distinct()}
    exam_raw = [raw for raw, key in keys.items() if key in EXAM_KEYS]
    skipped = exam_raw + [raw for raw, key in keys.items() if key == ATTENDANCE_KEY]
    totals: dict[tuple[int, int], dict[str, CategoryTotals]] = {}
    rows = (
        grades.exclude(category__in=skipped)
        .filter(weight__gt=0)
        .values("student_id", "course_id", "category")
        .annotate(
            weighted=Sum(
                percentage_expression("grade", "max_grade") * Cast("weight", FloatField())
            ),
            weights=Sum(Cast("weight", FloatField())),
            items=Count("id"),
        )
        .values_list("student_id", "course_id", "category", "weighted", "weights", "items")
    )
    for student_id, course_id, raw, weighted, weights, items in rows:
        part = CategoryTotals(to_decimal(weighted), to_decimal(weights), items)
        pair = totals.setdefault((student_id, course_id), {})
        key = keys.get(raw) or category_key(raw)
        pair[key] = pair.get(key, CategoryTotals()) + part
    latest: dict[tuple[int, int, str], tuple[date, int, Any]] = {}
    exams = grades.filter(category__in=exam_raw).values_list(
        "student_id",
        "course_id",
        "category",
        "id",
        Coalesce("date_submitted", "date_assigned"),
        percentage_expression("grade", "max_grade"),
    )
    for student_id, course_id, raw, grade_id, day, percentage in _streamed_if_many(exams, scope):
        slot = (student_id, course_id, keys.get(raw) or category_key(raw))
        if slot not in latest or (day, grade_id) > latest[slot][:2]:
            latest[slot] = (day, grade_id, percentage)
    for (student_id, course_id, key), (_day, _id, percentage) in latest.items():
        totals.setdefault((student_id, course_id), {})[key] = CategoryTotals(
            to_decimal(percentage), ONE, 1
        )
    return totals


def _daily_sums(scope: _Scope) -> dict[tuple[int, int], dict[str, tuple[Decimal, int]]]:
    rows = (
        scope.records(DailyPerformance, "date")
        .values("student_id", "course_id", "category")
        .annotate(total=Sum(percentage_expression("score", "max_score")), entries=Count("id"))
        .values_list("student_id", "course_id", "category", "total", "entries")
    )
    sums: dict[tuple[int, int], dict[str, tuple[Decimal, int]]] = {}
    for student_id, course_id, raw, total, entries in rows:
        pair = sums.setdefault((student_id, course_id), {})
        key = category_key(raw)
        previous_total, previous_entries = pair.get(key, (ZERO, 0))
        pair[key] = (previous_total + to_decimal(total), previous_entries + entries)
    return sums


def _attendance_counts(scope: _Scope) -> dict[tuple[int, int], AttendanceCounts]:
    rows = (
        scope.records(Attendance, "date")
        .values("student_id", "course_id", "status")
        .annotate(records=Count("id"))
        .values_list("student_id", "course_id", "status", "records")
    )
    counts: dict[tuple[int, int], dict[str, int]] = {}
    for student_id, course_id, status, records in rows:
        if status in _STATUSES:
            counts.setdefault((student_id, course_id), {})[status] = records
    return {pair: AttendanceCounts(**by_status) for pair, by_status in counts.items()}


def _bulk_course_results(
    scope: _Scope, pairs: list[tuple[int, int]]
) -> dict[tuple[int, int], CourseResult]:
    """Results of these enrollments; ``scope`` is narrowed to them (``_Scope.narrowed``)."""
    if not pairs:
        return {}
    courses = {
        course_id: (parse_rules(rules), penalty, credits, code)
        for course_id, rules, penalty, credits, code in Course.objects.order_by()
        .filter(_LiteralIn(F("id"), sorted({course_id for _student_id, course_id in pairs})))
        .values_list("id", "evaluation_rules", "absence_penalty", "credits", "course_code")
    }
    totals = _grade_totals(scope)
    daily = _daily_sums(scope)
    attendance = _attendance_counts(scope)
    runs = _consecutive_absences(scope)
    results = {}
    for pair in sorted(pairs, key=lambda p: (p[0], courses[p[1]][3], p[1])):
        rules, penalty, credits, code = courses[pair[1]]
        results[pair] = finalise_course_result(
            student_id=pair[0],
            course_id=pair[1],
            rules=rules,
            totals=apply_daily(rules, totals.get(pair, {}), daily.get(pair, {})),
            attendance=attendance.get(pair, AttendanceCounts()),
            absence_penalty=penalty,
            consecutive_absences=runs.get(pair, 0),
            credits=credits,
            course_code=code,
        )
    return results


def _counted_pairs(scope: _Scope) -> list[tuple[int, int]]:
    return list(scope.enrollments().values_list("student_id", "course_id"))


def course_results(
    *,
    student_ids: Iterable[int] | QuerySet | None = None,
    course_ids: Iterable[int] | QuerySet | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict[tuple[int, int], CourseResult]:
    """Results of every counted enrollment in scope, keyed by (student_id, course_id).

    At most eight queries however many students; ids may be lists or ``values("id")`` querysets.
    """
    scope = _Scope(_id_list(student_ids), _id_list(course_ids), date_from, date_to)
    if scope.empty:
        return {}
    pairs = _counted_pairs(scope)
    return _bulk_course_results(scope.narrowed(pairs), pairs)


def trends(
    *,
    student_ids: Iterable[int],
    course_ids: Iterable[int] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict[int, tuple[str, Decimal | None]]:
    """(trend label, slope) of these students over their counted grades in these courses
    and dates: one statement, ids written in as literals (the analytics' fallback for the
    students whose stored trend segments interleave)."""
    scope = _Scope(
        sorted(set(student_ids)),
        None if course_ids is None else sorted(set(course_ids)),
        date_from,
        date_to,
        known=True,
    )
    return {} if scope.empty else _trend_sums(scope)


def student_summaries(
    *,
    student_ids: Iterable[int] | QuerySet | None = None,
    course_ids: Iterable[int] | QuerySet | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict[int, StudentSummary]:
    """Summaries keyed by student id, at most ten queries however many students.

    Without ``course_ids`` every live student in scope is included, also those with no
    courses; with it, the students counted in those courses.
    """
    scope = _Scope(_id_list(student_ids), _id_list(course_ids), date_from, date_to)
    if scope.empty:
        return {}
    pairs = _counted_pairs(scope)
    narrowed = scope.narrowed(pairs)
    results = _bulk_course_results(narrowed, pairs)
    # Every grade in scope belongs to one of these enrollments.
    trends = _trend_sums(narrowed) if pairs else {}
    if course_ids is None:
        students = Student.objects.order_by()
        if scope.student_ids is not None:
            students = students.filter(id__in=scope.student_ids)
        student_list = list(students.values_list("id", flat=True))
    else:
        student_list = sorted({student_id for student_id, _course_id in pairs})
    by_student: dict[int, list[CourseResult]] = {student_id: [] for student_id in student_list}
    for (student_id, _course_id), result in results.items():
        by_student.setdefault(student_id, []).append(result)
    return {
        student_id: summarise_student(
            student_id=student_id,
            courses=courses,
            trend=trends.get(student_id, ("insufficient_data", None))[0],
            trend_slope=trends.get(student_id, (None, None))[1],
        )
        for student_id, courses in sorted(by_student.items())
    }
