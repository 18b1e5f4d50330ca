"""Loading for one student: read their rows and hand them to the pure rules.

``course_result`` and ``student_summary`` serve a single student (the pages and the
admin); ``bulk`` serves many with a fixed number of queries and gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from django.db.models import Model, QuerySet

from apps.academics.grading.model import (
    AttendanceCounts,
    CourseResult,
    DailyItem,
    GradeItem,
    StudentSummary,
)
from apps.academics.grading.rules import (
    compute_course_result,
    label_for_slope,
    least_squares_slope,
    longest_absence_run,
    parse_rules,
    summarise_student,
)
from apps.academics.models import (
    Attendance,
    Course,
    DailyPerformance,
    Enrollment,
    Grade,
    Student,
)

_GRADE_COLUMNS = (
    "category",
    "grade",
    "max_grade",
    "weight",
    "date_assigned",
    "date_submitted",
    "id",
)
_ATTENDANCE_ORDER = ("date", "period_number", "id")


def _pk(obj: Model | int) -> int:
    return obj.pk if isinstance(obj, Model) else int(obj)


def counted_enrollments() -> QuerySet[Enrollment]:
    """The enrollments the engine computes (``Enrollment.objects.counted()``), unordered."""
    return Enrollment.objects.counted().order_by()


def _sorted_trend(grades: Iterable[GradeItem]) -> tuple[str, Decimal | None]:
    percentages = [item.percentage for item in sorted(grades, key=lambda g: g.order_key)]
    slope = least_squares_slope(percentages)
    return label_for_slope(len(percentages), slope), slope


def _single_course(
    student_id: int, course: Course, grades: list, daily: list, statuses: list[str]
) -> CourseResult:
    return compute_course_result(
        student_id=student_id,
        course_id=course.pk,
        rules=parse_rules(course.evaluation_rules),
        grades=grades,
        daily=daily,
        attendance=AttendanceCounts.from_statuses(statuses),
        absence_penalty=course.absence_penalty,
        consecutive_absences=longest_absence_run(statuses),
        credits=course.credits,
        course_code=course.course_code,
    )


def course_result(student: Student | int, course: Course | int) -> CourseResult:
    """One student's result in one course (reason ``not_enrolled`` when dropped or absent)."""
    student_id = _pk(student)
    if not isinstance(course, Course):
        course = Course.all_objects.get(pk=course)
    rows = {"student_id": student_id, "course_id": course.pk}
    if not counted_enrollments().filter(**rows).exists():
        result = _single_course(student_id, course, [], [], [])
        return replace(result, reason="not_enrolled")
    grades = [
        GradeItem(*row)
        for row in Grade.objects.order_by()
        .filter(**rows, posted_at__isnull=False)  # hidden grades count once posted
        .values_list(*_GRADE_COLUMNS)
    ]
    daily = [
        DailyItem(*row)
        for row in DailyPerformance.objects.order_by()
        .filter(**rows)
        .values_list("category", "score", "max_score")
    ]
    statuses = list(
        Attendance.objects.filter(**rows)
        .order_by(*_ATTENDANCE_ORDER)
        .values_list("status", flat=True)
    )
    return _single_course(student_id, course, grades, daily, statuses)


def student_summary(student: Student | int) -> StudentSummary:
    """GPA, average, attendance, trend and risk of one student over their counted courses."""
    student_id = _pk(student)
    enrollments = counted_enrollments().filter(student_id=student_id).select_related("course")
    courses = {enrollment.course_id: enrollment.course for enrollment in enrollments}
    rows = {"student_id": student_id, "course_id__in": list(courses)}
    grades: dict[int, list[GradeItem]] = {course_id: [] for course_id in courses}
    for course_id, *row in (
        Grade.objects.order_by()
        .filter(**rows, posted_at__isnull=False)  # hidden grades count once posted
        .values_list("course_id", *_GRADE_COLUMNS)
    ):
        grades[course_id].append(GradeItem(*row))
    daily: dict[int, list[DailyItem]] = {course_id: [] for course_id in courses}
    for course_id, *row in (
        DailyPerformance.objects.order_by()
        .filter(**rows)
        .values_list("course_id", "category", "score", "max_score")
    ):
        daily[course_id].append(DailyItem(*row))
    statuses: dict[int, list[str]] = {course_id: [] for course_id in courses}
    for course_id, status in (
        Attendance.objects.filter(**rows)
        .order_by("course_id", *_ATTENDANCE_ORDER)
        .values_list("course_id", "status")
    ):
        statuses[course_id].append(status)
    results = [
        _single_course(student_id, course, grades[cid], daily[cid], statuses[cid])
        for cid, course in courses.items()
    ]
    results.sort(key=lambda result: (result.course_code, result.course_id))
    trend, slope = _sorted_trend(item for items in grades.values() for item in items)
    return summarise_student(student_id=student_id, courses=results, trend=trend, trend_slope=slope)
