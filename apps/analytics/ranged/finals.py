"""Only what the dashboard shows of the engine: each enrollment's final grade and each
student's risk level (``grading.finals``), never a whole ``CourseResult`` or summary.

The dashboard needs no breakdown, no longest absence run, and a student's trend only when
it could change their risk level: for the whole school that skips most of the finishing,
one read of the attendance days and most trend segments.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from apps.academics import grading
from apps.academics.grading.finals import (
    CourseRules,
    StudentStanding,
    final_grade,
    level_at_a_glance,
)
from apps.academics.models import Course
from apps.analytics.models import EnrollmentResult, StudentResult
from apps.analytics.ranged.reading import (
    Pair,
    Selection,
    enrollment_pairs,
    fetch,
    of_listed_students,
    students_wholly_in,
)
from apps.analytics.ranged.sums import attendance_counts, daily_sums, grade_sums
from apps.analytics.ranged.trend import trends

# Final grades have two decimals: a school's ~10,000 values, each looked up once.
_letter_of = functools.lru_cache(maxsize=16_384)(grading.letter_grade)
_EMPTY: dict = {}


@dataclass(slots=True)
class Final:
    """One enrollment's final grade, with what its student's standing needs. Not frozen:
    a whole school's range makes ~97,000 of these, and a frozen one costs four times as
    much to create (read-only by convention)."""

    student_id: int
    course_id: int
    final_grade: Decimal | None
    credits: int
    attendance: grading.AttendanceCounts

    @property
    def letter_grade(self) -> str | None:
        return _letter_of(self.final_grade)

    # What a student's standing and the lists read of a ``CourseResult``: a ``Final``
    # stands in for one wherever no breakdown or longest absence run is shown.
    @property
    def gpa(self) -> Decimal | None:
        return grading.gpa_points(self.final_grade)

    @property
    def attendance_counts(self) -> grading.AttendanceCounts:
        return self.attendance

    @property
    def attendance_rate(self) -> Decimal | None:
        return grading.round2(grading.unrounded_attendance_rate(self.attendance))

    @property
    def unexcused_absences(self) -> int:
        return self.attendance.absent


def _course_rules(pairs: list[Pair]) -> dict[int, CourseRules]:
    rows = (
        Course.all_objects.order_by()
        .filter(id__in=sorted({course_id for _student_id, course_id in pairs}))
        .values_list("id", "evaluation_rules", "absence_penalty", "credits")
    )
    return {pk: CourseRules.of(rules, penalty, credits) for pk, rules, penalty, credits in rows}


def _stored_finals(selection: Selection, without: Collection[int] = ()) -> dict[Pair, Final]:
    rows = selection.restrict(EnrollmentResult.objects.order_by())
    if without:
        rows = of_listed_students(rows, without, exclude=True)
    rows = rows.values_list(
        "student_id", "course_id", "final_grade", "credits", "present", "absent", "late", "excused"
    )
    left_out = set(without)
    return {
        (s, c): Final(s, c, final, credits, grading.AttendanceCounts(*counts))
        for s, c, final, credits, *counts in rows
        if s not in left_out
    }


def final_grades(
    selection: Selection,
    without: Collection[int] = (),
    *,
    recorded_only: bool = False,
    pairs: list[Pair] | None = None,
) -> dict[Pair, Final]:
    """Each counted enrollment's final grade over the selection's dates (stored without,
    and then less the enrollments of the students ``without``); ``pairs``, the
    selection's ``enrollment_pairs`` when already read.

    ``recorded_only``: over a date range, only the enrollments with a record in it. The
    others' final grade is None and their attendance nothing, which no average, count of
    graded enrollments or risk level reads: on one day that is ~60 % of a whole school's
    ~97,000 enrollments, not walked."""
    if not selection.dated:
        return _stored_finals(selection, without)
    if pairs is None:
        pairs = enrollment_pairs(selection)
    if not pairs:
        return {}
    courses = _course_rules(pairs)
    selection = selection.narrowed(pairs)
    grades, exams = grade_sums(selection)
    daily = daily_sums(selection)
    counts = attendance_counts(selection)
    # An enrollment with no record in the range gets its course's final of nothing,
    # worked out once per course by the same function: on one day most of a school's
    # enrollments are so, and they skip the per-pair lookups (set operations in C).
    nothing = grading.AttendanceCounts()
    empty_finals = {
        course_id: final_grade(course, _EMPTY, _EMPTY, _EMPTY, nothing)
        for course_id, course in courses.items()
    }
    with_records = counts.keys() | grades.keys() | exams.keys() | daily.keys()
    if recorded_only:  # in the enrollments' order: figures add floats in that order
        pairs = [pair for pair in pairs if pair in with_records]
    finals = {}
    for pair in pairs:
        student_id, course_id = pair
        course = courses[course_id]
        if pair not in with_records:
            grade, attendance = empty_finals[course_id], nothing
        else:
            found = counts.get(pair)
            attendance = nothing if found is None else grading.AttendanceCounts(*found)
            grade = final_grade(
                course,
                grades.get(pair, _EMPTY),
                exams.get(pair, _EMPTY),
                daily.get(pair, _EMPTY),
                attendance,
            )
        finals[pair] = Final(student_id, course_id, grade, course.credits, attendance)
    return finals


def _stored_levels(pairs) -> dict[int, str]:
    """The stored risk level of each student of these enrollments whose every counted
    course is among them: without dates, the same finals, attendance and trend."""
    covered = students_wholly_in(pairs)
    wanted = set(covered)
    rows = of_listed_students(StudentResult.objects.order_by(), wanted)
    levels = fetch(rows.values_list("student_id", "risk_level"))
    return {student_id: level for student_id, level in levels if student_id in wanted}


def risk_levels(selection: Selection, finals: dict[Pair, Final] | None = None) -> dict[int, str]:
    """The risk level of each student with an enrollment in the selection (students
    without one are at low risk: no average, no attendance, no trend); ``finals``, its
    ``final_grades`` when already read. Without dates a student whose every counted
    course is in the selection has their stored level, and the finals are read only when
    some student is not; the trend is read only for the students whose level it could
    change."""
    levels: dict[int, str] = {}
    if not selection.dated:
        pairs = enrollment_pairs(selection) if finals is None else finals
        levels = _stored_levels(pairs)
        if finals is None:
            students = {student_id for student_id, _course_id in pairs}
            wanted = len(levels) < len(students)  # else every level is the stored one
            finals = final_grades(selection, without=levels.keys()) if wanted else {}
    elif finals is None:
        finals = final_grades(selection, recorded_only=True)
    by_student: dict[int, list[Final]] = defaultdict(list)
    for final in finals.values():
        if final.student_id not in levels:
            by_student[final.student_id].append(final)
    standings: dict[int, StudentStanding] = {}
    for student_id, enrolled in by_student.items():
        pooled = grading.AttendanceCounts.pooled(final.attendance for final in enrolled)
        graded = [(final.final_grade, final.credits) for final in enrolled]
        # Most students' level is plain in floats; the rest take the engine's steps.
        level = level_at_a_glance(graded, pooled)
        if level is None:
            standing = StudentStanding.of(graded, pooled)
            level = standing.level_without_trend()
            if level is None:
                standings[student_id] = standing
                continue
        levels[student_id] = level
    if standings:
        needed = sorted(standings)
        wanted = Selection(needed, selection.course_ids, selection.date_from, selection.date_to)
        wanted = wanted.narrowed(pair for pair in finals if pair[0] in standings)
        # Without dates the students wholly in scope have their stored level already.
        found = trends(wanted, whole_courses=not selection.dated, stored=False)
        for student_id, standing in standings.items():
            levels[student_id] = standing.level(found.get(student_id, ("insufficient_data",))[0])
    return levels
