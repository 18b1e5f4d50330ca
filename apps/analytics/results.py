"""Keep the stored results (``apps.analytics.models``) equal to the grade engine's output.

* ``rebuild_results()`` recomputes every row (``manage.py rebuild_analytics``, the end of
  ``seed_demo``).
* ``refresh_results(student_ids=…, course_ids=…)`` recomputes what those ids touch: the
  engine results of the students (and of every student of the courses), and the attendance
  slots and grade buckets of the courses (and of every course of the students).
* Committed changes arrive through the change hook (``refresh_for_change``); a read inside
  a transaction that has written applies what it wrote so far first (``flush_pending``).

Rows are replaced set-based: one bulk delete per table, then the engine's rows in one
stream per table (``fastinsert``: ``COPY`` on PostgreSQL) and one ``INSERT … SELECT`` for
each grouped table.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import Round
from django.utils import timezone, translation

from apps.academics import changes, grading
from apps.academics.batch import fastinsert
from apps.academics.models import Attendance, Course, Enrollment, Grade, Student
from apps.analytics import rollup_state
from apps.analytics.caching import bump_generation
from apps.analytics.engine_ahead import EngineAhead
from apps.analytics.models import (
    AttendanceDay,
    AttendanceSlot,
    DailyPerformanceDay,
    EnrollmentBreakdown,
    EnrollmentResult,
    GradeBucket,
    GradeDay,
    StudentResult,
    TrendSegment,
)
from apps.analytics.overlap import Overlapped
from apps.analytics.rollup_state import record_first_write
from apps.analytics.rollups import (
    ALL_TABLES,
    EVERYTHING,
    RollupScope,
    insert_rows,
    select_statement,
    write_rollups,
)
from sms import sqlite

ID_CHUNK = 2000
RISK_RANK = {level: rank for rank, level in enumerate(grading.RISK_LEVELS)}


# --- Engine output as stored rows --------------------------------------------------------
def _number(value):
    return None if value is None else float(value)


def breakdown_json(result: grading.CourseResult) -> dict:
    return {
        key: {
            "label": part.label,
            "average": _number(part.average),
            "weight": _number(part.weight),
            "contribution": _number(part.contribution),
            "items": part.items,
        }
        for key, part in result.category_breakdown.items()
    }


def enrollment_values(result: grading.CourseResult) -> dict:
    counts = result.attendance_counts
    return {
        "student_id": result.student_id,
        "course_id": result.course_id,
        "final_grade": result.final_grade,
        "gpa": result.gpa,
        "greek_grade": result.greek_grade,
        "letter_grade": result.letter_grade or "",
        "total_weight_used": result.total_weight_used,
        "absence_deduction": result.absence_deduction,
        "present": counts.present,
        "absent": counts.absent,
        "late": counts.late,
        "excused": counts.excused,
        "attendance_rate": result.attendance_rate,
        "unexcused_absences": result.unexcused_absences,
        "consecutive_absences": result.consecutive_absences,
        "reason": result.reason or "",
        "credits": result.credits,
    }


def student_values(summary: grading.StudentSummary) -> dict:
    return {
        "student_id": summary.student_id,
        "gpa": summary.gpa,
        "average_grade": summary.average_grade,
        "attendance_rate": summary.attendance_rate,
        "unexcused_absences": sum(course.unexcused_absences for course in summary.courses),
        "trend": summary.trend,
        "trend_slope": summary.trend_slope,
        "risk_score": summary.risk.score,
        "risk_level": summary.risk.level,
        "risk_rank": RISK_RANK.get(summary.risk.level, 0),
        "risk_reasons": [
            {"code": reason.code, "points": reason.points, "message": str(reason.message)}
            for reason in summary.risk.reasons
        ],
    }


# --- Writing ------------------------------------------------------------------------------
def _chunks(ids: Iterable[int], size: int = ID_CHUNK) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


# The engine's rows of a student, replaced together.
ENGINE_TABLES = (EnrollmentResult, EnrollmentBreakdown, StudentResult)


def _write_students(student_ids: list[int], rollups: RollupScope = EVERYTHING) -> int:
    """Replace the engine rows and the daily rollups (within ``rollups``) of these
    students; returns students written."""
    written = _write_engine_rows(student_ids)
    write_rollups(student_ids, rollups)
    record_first_write()
    return written


@dataclass(frozen=True)
class EngineRows:
    """The engine's rows of some students as they are stored, not yet written: plain
    values, so a helper process can compute them (``engine_ahead``)."""

    results: list[dict]
    breakdowns: list[dict]
    students: list[dict]


def engine_rows(student_ids: list[int] | None) -> EngineRows:
    """The engine's rows of these live students (all when None), computed from the
    records; reads only, writes nothing."""
    # Risk reasons are stored in the site's language; other languages re-render them.
    with translation.override(settings.LANGUAGE_CODE):
        summaries = _summaries(student_ids)
    results = [result for summary in summaries.values() for result in summary.courses]
    return EngineRows(
        results=[enrollment_values(result) for result in results],
        breakdowns=[
            {
                "student_id": result.student_id,
                "course_id": result.course_id,
                "category_breakdown": breakdown_json(result),
            }
            for result in results
        ],
        students=[student_values(summary) for summary in summaries.values()],
    )


def _write_engine_rows(student_ids: list[int] | None) -> int:
    """Replace the engine rows of these students (all when None); returns students
    written."""
    return replace_engine_rows(student_ids, engine_rows(student_ids))


def replace_engine_rows(student_ids: list[int] | None, rows: EngineRows) -> int:
    """Put ``rows`` in place of the engine rows of these students (all when None);
    returns students written."""
    now = timezone.now()
    for model in ENGINE_TABLES:
        stored = model.objects.all()
        if student_ids is not None:
            stored = stored.filter(student_id__in=student_ids)
        stored.delete()
    write = fastinsert.insert_rows_numbered_by_database
    write(EnrollmentResult, [{**values, "computed_at": now} for values in rows.results])
    write(EnrollmentBreakdown, rows.breakdowns)
    write(StudentResult, [{**values, "computed_at": now} for values in rows.students])
    return len(rows.students)


# Up to this many students (the refresh after one write), the engine's per-student loader
# reads their rows in four plain queries each, where the bulk loader's ten grouped ones are
# built for thousands (one student on the large demo: 9 against 25 ms on PostgreSQL, 5
# against 11 ms on SQLite). Both give the same summaries (tests/academics/test_grading_bulk.py).
FEW_STUDENTS = 3


def _summaries(student_ids: list[int] | None) -> dict[int, grading.StudentSummary]:
    """``grading.student_summaries`` of these live students (all when None)."""
    if student_ids is None or len(student_ids) > FEW_STUDENTS:
        return grading.student_summaries(student_ids=student_ids)
    live = Student.objects.filter(pk__in=student_ids).order_by("pk").values_list("pk", flat=True)
    return {pk: grading.student_summary(pk) for pk in live}


def _counted(queryset, course_ids: list[int] | None):
    """Rows of counted enrollments (``grading.counted_records``) of these courses. Each
    database gets the form it runs faster (large demo, one course / 50 courses): SQLite
    the join (buckets 8 / 540 ms, against 16 / 1,010 ms by EXISTS), PostgreSQL the
    correlated EXISTS (10 / 350 ms, against 10 / 900 ms joined)."""
    joined = connection.vendor == "sqlite"
    queryset = grading.counted_records(queryset.order_by(), joined=joined)
    return queryset if course_ids is None else queryset.filter(course_id__in=course_ids)


def _write_slots(course_ids: list[int] | None) -> None:
    """Replace the attendance slots and grade buckets of these courses (all when None)."""
    _write_attendance_slots(course_ids)
    _write_grade_buckets(course_ids)


def _write_attendance_slots(course_ids: list[int] | None) -> None:
    slots = AttendanceSlot.objects.all()
    if course_ids is not None:
        slots = slots.filter(course_id__in=course_ids)
    slots.delete()
    attendance = (
        _counted(Attendance.objects, course_ids)
        .values_list("course_id", "date", "period_number", "status")
        .annotate(n=Count("id"))
    )
    insert_rows(
        AttendanceSlot,
        ("course_id", "date", "period_number", "status", "records"),
        select_statement(attendance),
    )


def _write_grade_buckets(course_ids: list[int] | None, categories: list[str] | None = None) -> None:
    """Replace the grade buckets of these courses (all when None), of only these raw
    categories when given (a grade save touches one or two of a course's buckets' ~5)."""
    buckets = GradeBucket.objects.all()
    if course_ids is not None:
        buckets = buckets.filter(course_id__in=course_ids)
    grades = _counted(Grade.objects, course_ids)
    if categories is not None:
        buckets = buckets.filter(category__in=categories)
        grades = grades.filter(category__in=categories)
    buckets.delete()
    # No test of the percentage: grade and max grade are required, max grade > 0.
    grades = (
        grades.annotate(pct=Round(grading.percentage_expression(), 2))
        .values_list("course_id", "category", "pct")
        .annotate(n=Count("id"))
    )
    insert_rows(
        GradeBucket, ("course_id", "category", "percentage", "items"), select_statement(grades)
    )


def _refresh(
    student_ids: Iterable[int],
    course_ids: Iterable[int],
    attendance_courses: Iterable[int] = (),
    grade_courses: Iterable[int] = (),
    rollups: RollupScope = EVERYTHING,
    grade_categories: Mapping[int, Iterable[str]] | None = None,
) -> None:
    """Recompute exactly these students' engine rows (and their rollups within
    ``rollups``), these courses' slots and buckets, only the attendance slots / grade
    buckets of the next two sets, and only the buckets of ``grade_categories``'
    categories in its courses."""
    course_ids = set(course_ids)
    grade_courses = set(grade_courses) - course_ids
    with transaction.atomic():
        for chunk in _chunks(student_ids):
            _write_students(chunk, rollups)
        for chunk in _chunks(course_ids):
            _write_slots(chunk)
        for chunk in _chunks(set(attendance_courses) - course_ids):
            _write_attendance_slots(chunk)
        for chunk in _chunks(grade_courses):
            _write_grade_buckets(chunk)
        for course_id, categories in (grade_categories or {}).items():
            if course_id not in course_ids and course_id not in grade_courses:
                _write_grade_buckets([course_id], sorted(categories))


def refresh_results(
    *, student_ids: Iterable[int] | None = None, course_ids: Iterable[int] | None = None
) -> None:
    """Recompute everything these ids touch; with neither, rebuild everything.

    Students: the given ones and every student enrolled (in any status) in the courses.
    Courses (attendance slots, grade buckets): the given ones and every course of the
    students.
    """
    if student_ids is None and course_ids is None:
        rebuild_results()
        return
    students = set(student_ids or ())
    courses = set(course_ids or ())
    for chunk in _chunks(courses):
        students.update(
            Enrollment.objects.filter(course_id__in=chunk).values_list("student_id", flat=True)
        )
    for chunk in _chunks(set(student_ids or ())):
        courses.update(
            Enrollment.objects.filter(student_id__in=chunk).values_list("course_id", flat=True)
        )
    _refresh(students, courses)


@dataclass
class RebuildTimings:
    students: int = 0
    # Chunks of students whose engine rows a helper process computed (SQLite).
    computed_ahead: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


# A rebuild's rollups of a chunk of students, one step per table, the longest first: steps
# this small keep both sides busy to the end (large demo, PostgreSQL, a chunk of 1,000
# students: attendance days ~2.5 s, grade days ~1.5 s, trend segments ~1.4 s, daily
# performance days ~0.2 s; the engine rows ~2.2 s).
ROLLUP_STEPS = tuple(
    RollupScope(tables=frozenset({table}))
    for table in (AttendanceDay, GradeDay, TrendSegment, DailyPerformanceDay)
)

# Students (engine rows, then each rollup) and courses (slots and buckets) per transaction
# of a rebuild: a few seconds each, so a rebuild on a live site never holds SQLite's write
# lock (or PostgreSQL's row locks) for minutes, and the engine's memory stays one chunk's.
REBUILD_STUDENTS = 1000
REBUILD_COURSES = 50


def rebuild_results(
    *, students_per_step: int = REBUILD_STUDENTS, courses_per_step: int = REBUILD_COURSES
) -> RebuildTimings:
    """Recompute every stored row from scratch in steps of one transaction each: the
    engine rows of a chunk of live students, one rollup table of such a chunk, the slots
    and buckets of a chunk of live courses; rows of students and courses that are gone go
    first. Each step's rows are whole at every moment (a reader sees the old or the new
    ones; a student's engine rows and rollups commit in different steps, with the same
    figures unless a write came between, which refreshes them itself), and the rollups
    are recorded current once the last step is written. On SQLite the rollups are emptied
    first and read through the live engine until then (``rollup_state.empty_for_rebuild``)."""
    timings = RebuildTimings()
    started = time.perf_counter()
    live_students = Student.objects.order_by().values("pk")
    live_courses = Course.objects.order_by().values("pk")
    was_current = rollup_state.current_in_database()
    emptied = rollup_state.empty_for_rebuild()
    try:
        with transaction.atomic():
            # Emptied rollups hold no removed student's rows (scanning them: ~1 s).
            for model in (*ENGINE_TABLES, *(() if emptied else ALL_TABLES)):
                model.objects.exclude(student_id__in=live_students).delete()
            for model in (AttendanceSlot, GradeBucket):
                model.objects.exclude(course_id__in=live_courses).delete()
        student_ids = list(live_students.values_list("pk", flat=True))
        course_ids = list(live_courses.values_list("pk", flat=True))
        _rebuild_steps(
            timings,
            list(_chunks(student_ids, students_per_step)),
            list(_chunks(course_ids, courses_per_step)),
            started,
        )
        rollup_state.record_rebuilt_unless_emptied(was_current=was_current, emptied=emptied)
    finally:
        if emptied:
            rollup_state.release_rebuild_lock()
    # Fresh statistics for the planner (``sms.sqlite.refresh_statistics``), one table per
    # step, on both connections where there are two (PostgreSQL: ~3.5 s in a row).
    with Overlapped() as statements:
        for model in (EnrollmentResult, StudentResult, AttendanceSlot, GradeBucket, *ALL_TABLES):
            statements.submit(sqlite.refresh_statistics, (model,))
    timings.seconds["all"] = time.perf_counter() - started
    return timings


def _rebuild_steps(
    timings: RebuildTimings,
    student_chunks: list[list[int]],
    course_chunks: list[list[int]],
    started: float,
) -> None:
    """The engine rows and rollups of each chunk of students, and the slots and buckets
    of each chunk of courses; ``timings`` gets the seconds from ``started`` to the last
    engine rows."""
    # On PostgreSQL the statements (slots, rollups) are written on a second connection
    # while this one computes the engine rows, then on both (``overlap``); on SQLite a
    # helper process computes the next chunk's engine rows while this one writes
    # (``engine_ahead``); elsewhere one after the other.
    with Overlapped() as statements, EngineAhead(student_chunks, engine_rows) as ahead:

        def submit_slots() -> None:
            for chunk in course_chunks:
                statements.submit(_write_slots, chunk)

        # A helper writes the slots while the engine computes the first students; inline,
        # they go last, after the students' rollups have read the same records (SQLite,
        # large demo: 5–7 s last, 12 s first).
        if statements.enabled:
            submit_slots()
        for index, chunk in enumerate(student_chunks):
            with transaction.atomic():
                timings.students += replace_engine_rows(chunk, ahead.rows(index))
            for scope in ROLLUP_STEPS:
                statements.submit(write_rollups, chunk, scope)
        timings.seconds["engine"] = time.perf_counter() - started
        timings.computed_ahead = ahead.computed_ahead
        if not statements.enabled:
            submit_slots()


# --- Refresh on change ------------------------------------------------------------------
def refresh_for_change(change: changes.Change) -> None:
    """Refresh the stored rows a committed change touched (``records_changed`` receiver),
    less what reads inside its transaction already applied (``flush_pending``)."""
    part = change.not_yet_applied
    if part:
        _refresh_change(part)


def flush_pending() -> None:
    """Before a read inside an open transaction: apply what it has written since the last
    read, and forget the cached figures it makes stale."""
    part = changes.take_uncommitted()
    if part:
        bump_generation()
        _refresh_change(part)


def _refresh_change(change: changes.Change) -> None:
    if change.everything:
        rebuild_results()
        return
    kinds = change.kinds
    students: set[int] = set()
    courses: set[int] = set()
    attendance_courses: set[int] = set()
    grade_courses: set[int] = set()
    if kinds & {changes.ENROLLMENT, changes.GRADE, changes.ATTENDANCE, changes.DAILY_PERFORMANCE}:
        students.update(change.student_ids)
    if changes.ENROLLMENT in kinds:
        courses.update(change.course_ids)
    grade_categories: dict[int, frozenset[str]] = {}
    if changes.GRADE in kinds:
        for course_id in change.course_ids:
            categories = change.grade_categories.get(course_id)
            if categories is None:
                grade_courses.add(course_id)
            else:
                grade_categories[course_id] = categories
    if changes.ATTENDANCE in kinds:
        attendance_courses.update(change.course_ids)
    # A student's or a course's own row (class, year, rules, soft delete) touches every
    # figure of the other side of its enrollments.
    student_cascade = set(change.student_ids) if changes.STUDENT in kinds else set()
    course_cascade = set(change.course_ids) if changes.COURSE in kinds else set()
    students |= student_cascade
    courses |= course_cascade
    for chunk in _chunks(course_cascade):
        students.update(
            Enrollment.objects.filter(course_id__in=chunk).values_list("student_id", flat=True)
        )
    for chunk in _chunks(student_cascade):
        courses.update(
            Enrollment.objects.filter(student_id__in=chunk).values_list("course_id", flat=True)
        )
    if students or courses or attendance_courses or grade_courses or grade_categories:
        rollups = RollupScope.of_change(kinds, change.course_ids)
        _refresh(students, courses, attendance_courses, grade_courses, rollups, grade_categories)
