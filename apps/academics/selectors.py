"""Reads behind the teachers' pages: a fixed number of queries per page, never one per row.

Every function takes a queryset already narrowed by ``apps.academics.scoping`` (or an
object looked up inside one), so scoping stays in one place and these only shape data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from apps.academics import grading
from apps.academics.models import (
    Attendance,
    AttendanceStatus,
    Course,
    Enrollment,
    Grade,
    Student,
)

ATTENDANCE_STATUSES = [choice for choice, _label in AttendanceStatus.choices]


# --- Courses -------------------------------------------------------------------------------
def _count_subquery(queryset: QuerySet) -> Coalesce:
    """A correlated COUNT(*) that does not multiply rows the way two joined Counts would."""
    counted = (
        queryset.order_by()
        .values("course_id")
        .annotate(total=Count("pk", distinct=True))
        .values("total")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def courses_with_counts(courses: QuerySet[Course], *, today: dt.date) -> QuerySet[Course]:
    """Courses annotated with enrolled students and today's attendance progress."""
    enrolled = Enrollment.objects.counted().filter(course_id=OuterRef("pk"))
    todays_marks = grading.counted_records(
        Attendance.objects.filter(course_id=OuterRef("pk"), date=today)
    )
    return courses.annotate(
        enrolled_count=_count_subquery(enrolled),
        marked_today=_count_subquery(todays_marks),
        periods_today=Coalesce(
            Subquery(
                todays_marks.order_by()
                .values("course_id")
                .annotate(total=Count("period_number", distinct=True))
                .values("total"),
                output_field=IntegerField(),
            ),
            Value(0),
        ),
    ).order_by("course_code")


@dataclass(frozen=True)
class SchoolCounts:
    """The admin's overview on the home page."""

    students: int
    active_students: int
    courses: int
    active_courses: int
    enrollments: int
    courses_without_rules: int
    courses_without_teachers: int


def school_counts() -> SchoolCounts:
    """Headline counts over the whole school (a handful of COUNT queries)."""
    students = Student.objects.aggregate(
        total=Count("pk"), active=Count("pk", filter=Q(is_active=True))
    )
    courses = Course.objects.aggregate(
        total=Count("pk"),
        active=Count("pk", filter=Q(is_active=True)),
        no_rules=Count("pk", filter=Q(is_active=True) & Q(evaluation_rules=[])),
    )
    untaught = Course.objects.filter(is_active=True, teachers__isnull=True).count()
    enrollments = Enrollment.objects.counted().count()
    return SchoolCounts(
        students=students["total"],
        active_students=students["active"],
        courses=courses["total"],
        active_courses=courses["active"],
        enrollments=enrollments,
        courses_without_rules=courses["no_rules"],
        courses_without_teachers=untaught,
    )


def search_courses(courses: QuerySet[Course], query: str) -> QuerySet[Course]:
    query = (query or "").strip()
    if not query:
        return courses
    return courses.filter(
        Q(course_code__icontains=query)
        | Q(course_name__icontains=query)
        | Q(semester__icontains=query)
    )


def rule_categories(course: Course) -> list[str]:
    """The categories a teacher may pick for a new assignment, in the course's own words
    (those a grade counts towards: the attendance rule takes no grades)."""
    return grading.gradable_rule_labels(course.evaluation_rules)


# --- Roster --------------------------------------------------------------------------------
def enrolled_students(course: Course, *, query: str = "") -> QuerySet[Student]:
    """Students with a counted enrollment in the course, by name."""
    taking = Enrollment.objects.counted().filter(course=course)
    students = Student.objects.filter(pk__in=taking.values("student_id"))
    query = (query or "").strip()
    if query:
        students = students.filter(
            Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(student_id__icontains=query)
            | Q(email__icontains=query)
        )
    return students.order_by("last_name", "first_name", "student_id")


@dataclass(frozen=True)
class RosterRow:
    student: Student
    result: grading.CourseResult | None


def roster_rows(course: Course, *, query: str = "") -> list[RosterRow]:
    """One row per enrolled student with the engine's result, computed in one bulk call."""
    students = list(enrolled_students(course, query=query))
    results = course_results_for(course, [student.pk for student in students])
    return [RosterRow(student, results.get(student.pk)) for student in students]


def course_results_for(course: Course, student_ids: list[int]) -> dict[int, grading.CourseResult]:
    """The engine's results for some students of one course, keyed by student id."""
    if not student_ids:
        return {}
    results = grading.course_results(student_ids=student_ids, course_ids=[course.pk])
    return {
        student_id: result
        for (student_id, course_id), result in results.items()
        if course_id == course.pk
    }


# --- Grade grid ----------------------------------------------------------------------------
@dataclass(frozen=True)
class GradeColumn:
    """An assignment of the course: the distinct ``assignment_name`` of its grades."""

    name: str
    category: str
    max_grade: Decimal
    date_assigned: dt.date | None
    pending: bool = False
    hidden: int = 0  # grades of this assignment waiting to be posted


@dataclass
class GradeCell:
    column: GradeColumn
    grade: Grade | None = None
    value: str | None = None  # what the teacher typed, kept when it was refused
    errors: list[str] = field(default_factory=list)


@dataclass
class GradeRow:
    student: Student
    cells: list[GradeCell]
    result: grading.CourseResult | None


@dataclass(frozen=True)
class HiddenGrades:
    """A course's grades that students cannot see yet (manual posting): how many, and the
    categories they are in (one name per category key, for "post this category")."""

    total: int = 0
    categories: tuple[str, ...] = ()


def hidden_summary(pairs) -> HiddenGrades:
    """From (assignment, category) pairs of hidden grades."""
    total = 0
    categories: dict[str, str] = {}
    for _assignment, category in pairs:
        total += 1
        categories.setdefault(grading.category_key(category), category)
    return HiddenGrades(total, tuple(sorted(categories.values(), key=str.lower)))


def hidden_grades(course: Course) -> HiddenGrades:
    """The course's hidden grades, counted in one query (its partial index)."""
    return hidden_summary(
        Grade.objects.filter(course=course, posted_at__isnull=True)
        .order_by()
        .values_list("assignment_name", "category")
    )


@dataclass
class GradeGrid:
    course: Course
    columns: list[GradeColumn]
    rows: list[GradeRow]
    hidden: HiddenGrades = field(default_factory=HiddenGrades)


def grade_columns(
    grades: list[Grade], pending: list[GradeColumn] | None = None
) -> list[GradeColumn]:
    """Columns from the grades already given, then the new ones not yet graded."""
    first: dict[str, Grade] = {}
    hidden: dict[str, int] = {}
    for grade in grades:
        seen = first.get(grade.assignment_name)
        if seen is None or (grade.date_assigned, grade.pk) < (seen.date_assigned, seen.pk):
            first[grade.assignment_name] = grade
        if grade.posted_at is None:
            hidden[grade.assignment_name] = hidden.get(grade.assignment_name, 0) + 1
    columns = [
        GradeColumn(
            g.assignment_name,
            g.category,
            g.max_grade,
            g.date_assigned,
            hidden=hidden.get(g.assignment_name, 0),
        )
        for g in first.values()
    ]
    columns.sort(key=lambda column: (column.date_assigned or dt.date.min, column.name.lower()))
    names = {column.name for column in columns}
    columns += [column for column in pending or [] if column.name not in names]
    return columns


def column_for(course: Course, name: str, pending: list[GradeColumn]) -> GradeColumn | None:
    """The column a cell belongs to, as stored (never as the browser says it is)."""
    grade = (
        Grade.objects.filter(course=course, assignment_name=name)
        .order_by("date_assigned", "pk")
        .first()
    )
    if grade is not None:
        return GradeColumn(
            grade.assignment_name, grade.category, grade.max_grade, grade.date_assigned
        )
    return next((column for column in pending if column.name == name), None)


def grade_grid(course: Course, *, pending: list[GradeColumn] | None = None) -> GradeGrid:
    """Rows of enrolled students × columns of assignments, with each row's final grade.

    Queries: students, grades, then the engine's bulk call; the same for 5 or 500 rows.
    """
    students = list(enrolled_students(course))
    grades = list(Grade.objects.filter(course=course).order_by("date_assigned", "pk"))
    columns = grade_columns(grades, pending)
    by_cell = {(grade.student_id, grade.assignment_name): grade for grade in grades}
    results = course_results_for(course, [student.pk for student in students])
    rows = [
        GradeRow(
            student=student,
            cells=[GradeCell(column, by_cell.get((student.pk, column.name))) for column in columns],
            result=results.get(student.pk),
        )
        for student in students
    ]
    hidden = hidden_summary(
        (grade.assignment_name, grade.category) for grade in grades if grade.posted_at is None
    )
    return GradeGrid(course=course, columns=columns, rows=rows, hidden=hidden)


# --- Attendance sheet ----------------------------------------------------------------------
@dataclass
class AttendanceRow:
    student: Student
    record: Attendance | None
    errors: list[str] = field(default_factory=list)

    @property
    def status(self) -> str | None:
        return self.record.status if self.record else None


def attendance_sheet(course: Course, *, date: dt.date, period: int) -> list[AttendanceRow]:
    """Every enrolled student with their record for one date and period (two queries)."""
    students = list(enrolled_students(course))
    records = {
        record.student_id: record
        for record in Attendance.objects.filter(
            course=course, date=date, period_number=period, student__in=[s.pk for s in students]
        )
    }
    return [AttendanceRow(student, records.get(student.pk)) for student in students]


def attendance_counts(rows: list[AttendanceRow]) -> dict[str, int]:
    counts = dict.fromkeys(ATTENDANCE_STATUSES, 0)
    counts["unmarked"] = 0
    for row in rows:
        counts[row.status or "unmarked"] += 1
    return counts


# --- Student profile -----------------------------------------------------------------------
@dataclass(frozen=True)
class ProfileCourse:
    course: Course
    result: grading.CourseResult


def profile_courses(
    summary: grading.StudentSummary | None, courses: QuerySet[Course]
) -> list[ProfileCourse]:
    """Pair each engine result with its course (one query for all the courses)."""
    if summary is None:
        return []
    by_id = courses.in_bulk([result.course_id for result in summary.courses])
    pairs = [
        ProfileCourse(by_id[result.course_id], result)
        for result in summary.courses
        if result.course_id in by_id
    ]
    return sorted(pairs, key=lambda pair: pair.course.course_code)
