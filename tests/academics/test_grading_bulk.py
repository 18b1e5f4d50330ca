"""Bulk grade engine: same answers as the row-level functions, fixed number of queries."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.academics.grading import (
    course_result,
    course_results,
    student_summaries,
    student_summary,
)
from apps.academics.models import Student
from tests.factories import (
    AttendanceFactory,
    CourseFactory,
    DailyPerformanceFactory,
    GradeFactory,
    StudentFactory,
    enroll,
)

D = Decimal
STATUSES = ["present", "absent", "absent", "late", "absent", "excused", "present", "absent"]
DELETED_AT = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


def _courses():
    exams = CourseFactory(credits=6, absence_penalty=D("2"))
    mixed = CourseFactory(
        credits=3,
        evaluation_rules=[
            {"category": "Τελική Εξέταση", "weight": 50},
            {"category": "Εργασίες", "weight": 30, "daily_performance_multiplier": 2},
            {"category": "Παρουσίες", "weight": 20},
        ],
    )
    no_rules = CourseFactory(evaluation_rules=[])
    deleted = CourseFactory(deleted_at=DELETED_AT)
    return exams, mixed, no_rules, deleted


def _marks(student, course, index):
    GradeFactory(
        student=student,
        course=course,
        category="Midterm",
        grade=40 + index % 50,
        date_assigned=dt.date(2025, 11, 1),
    )
    GradeFactory(
        student=student,
        course=course,
        category="Final Exam",
        grade=30 + index % 7,
        date_assigned=dt.date(2026, 1, 10),
        date_submitted=dt.date(2026, 1, 12),
    )
    if index % 4:
        GradeFactory(
            student=student,
            course=course,
            category="τελική",
            grade=55 + index % 45,
            date_assigned=dt.date(2026, 1, 10),
            date_submitted=dt.date(2026, 2, 2),
        )
    GradeFactory(
        student=student,
        course=course,
        category="Homework",
        grade=10 + index % 20,
        max_grade=30,
        weight=index % 3,
        date_assigned=dt.date(2025, 10, 3 + index % 5),
    )
    GradeFactory(
        student=student,
        course=course,
        category="Assignment",
        grade=17,
        max_grade=20,
        date_assigned=dt.date(2025, 10, 20),
    )
    GradeFactory(student=student, course=course, category="Final Project", grade=100)
    DailyPerformanceFactory(
        student=student,
        course=course,
        category="Εργασία",
        score=index % 11,
        date=dt.date(2025, 10, 15),
    )
    DailyPerformanceFactory(student=student, course=course, category="Final", score=1)
    for day, status in enumerate(STATUSES[index % 3 :], start=1):
        AttendanceFactory(
            student=student,
            course=course,
            status=status,
            date=dt.date(2025, 10, 1 + day // 2),
            period_number=1 + day % 2,
        )


def _school(size):
    """Students in courses of every kind; some dropped, one deleted, one with no courses."""
    exams, mixed, no_rules, deleted = _courses()
    students = [StudentFactory() for _ in range(size)]
    for index, student in enumerate(students):
        enroll(student, exams, status="completed" if index % 5 == 4 else "active")
        enroll(student, mixed, status="dropped" if index % 3 == 2 else "active")
        enroll(student, no_rules)
        enroll(student, deleted)
        for course in (exams, mixed, deleted):
            _marks(student, course, index)
    gone = StudentFactory(deleted_at=DELETED_AT)
    enroll(gone, exams)
    _marks(gone, exams, 1)
    StudentFactory()
    return students, (exams, mixed, no_rules, deleted)


@pytest.mark.postgres
def test_course_results_match_course_result_on_mixed_dataset(db):
    students, (exams, mixed, no_rules, _deleted) = _school(9)

    results = course_results()

    expected = {
        (student.pk, course.pk): course_result(student, course)
        for index, student in enumerate(students)
        for course in (exams, mixed, no_rules)
        if not (course == mixed and index % 3 == 2)
    }
    assert results == expected
    assert {result.reason for result in results.values()} == {None, "no_evaluation_rules"}
    assert len({result.final_grade for result in results.values()}) > 6


@pytest.mark.postgres
def test_student_summaries_match_student_summary_on_mixed_dataset(db):
    _school(9)

    summaries = student_summaries()

    live = Student.objects.all()
    assert summaries == {student.pk: student_summary(student) for student in live}
    assert {summary.risk.level for summary in summaries.values()} == {"low", "high"}
    assert {summary.trend for summary in summaries.values()} >= {"declining", "insufficient_data"}


@pytest.mark.postgres
@pytest.mark.parametrize("size", [3, 30])
def test_course_results_runs_eight_queries_for_any_number_of_students(
    db, django_assert_num_queries, size
):
    students, _courses = _school(size)

    with django_assert_num_queries(8):
        results = course_results()

    assert len(results) == 3 * size - size // 3


@pytest.mark.postgres
@pytest.mark.parametrize("size", [3, 30])
def test_student_summaries_runs_ten_queries_for_any_number_of_students(
    db, django_assert_num_queries, size
):
    students, _courses = _school(size)

    with django_assert_num_queries(10):
        summaries = student_summaries()

    assert len(summaries) == size + 1


@pytest.mark.postgres
def test_course_results_leaves_out_dropped_and_deleted(db):
    students, (exams, mixed, no_rules, deleted) = _school(3)

    results = course_results()

    assert (students[2].pk, mixed.pk) not in results
    assert not any(course_id == deleted.pk for _student_id, course_id in results)
    assert {student_id for student_id, _course_id in results} == {s.pk for s in students}


@pytest.mark.postgres
def test_course_results_reports_absence_runs_and_attendance_from_sql(db):
    student, course = StudentFactory(), CourseFactory(absence_penalty=D("1.5"))
    enroll(student, course)
    GradeFactory(student=student, course=course, category="Final", grade=80)
    for day, period, status in [
        (1, 2, "absent"),
        (1, 1, "present"),
        (2, 1, "absent"),
        (3, 1, "late"),
        (4, 2, "absent"),
        (4, 1, "absent"),
        (5, 1, "absent"),
        (6, 1, "excused"),
    ]:
        AttendanceFactory(student=student, course=course, date=dt.date(2025, 10, day),
                          period_number=period, status=status)  # fmt: skip

    result = course_results(student_ids=[student.pk])[(student.pk, course.pk)]

    assert result.consecutive_absences == 3
    assert result.attendance_rate == D("28.57")
    assert result.final_grade == D("72.50")


@pytest.mark.postgres
def test_course_results_counts_only_marks_within_dates(db):
    student, course = StudentFactory(), CourseFactory()
    enroll(student, course)
    GradeFactory(
        student=student,
        course=course,
        category="Midterm",
        grade=40,
        date_assigned=dt.date(2025, 11, 1),
    )
    GradeFactory(student=student, course=course, category="Final", grade=90,
                 date_assigned=dt.date(2026, 1, 15))  # fmt: skip

    term = course_results(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 1, 31))
    year = course_results()

    assert term[(student.pk, course.pk)].final_grade == D("90.00")
    assert term[(student.pk, course.pk)].total_weight_used == D("60.00")
    assert year[(student.pk, course.pk)].final_grade == D("70.00")


@pytest.mark.postgres
def test_student_summaries_filters_by_students_and_courses(db):
    students, (exams, mixed, _no_rules, _deleted) = _school(3)
    chosen = Student.objects.filter(pk__in=[students[0].pk, students[2].pk]).values("id")

    by_student = student_summaries(student_ids=chosen)
    by_course = student_summaries(course_ids=[mixed.pk])

    assert set(by_student) == {students[0].pk, students[2].pk}
    assert set(by_course) == {students[0].pk, students[1].pk}
    assert [course.course_id for course in by_course[students[0].pk].courses] == [mixed.pk]


def test_course_results_with_empty_id_list_is_empty_without_queries(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        results = course_results(student_ids=[])

    assert results == {}
