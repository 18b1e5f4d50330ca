"""A small hand-built school whose every analytics figure is worked out by hand.

Courses: MATH1 (Midterm 40 / Final 60, taught by ``teacher``) and PHYS1 (Homework 100).
Students: ana (A1, year 1), ben (A1, year 1), chloe (B2, year 2; dropped MATH1).

Final grades: ana MATH1 86 (B+), ben MATH1 46 (F), ana PHYS1 80 (B-), chloe PHYS1 70 (C).
Attendance (10 counted records): present 3, late 1, absent 5, excused 1 → 4/9 = 44.44 %.
Risk: ana low 10 (attendance 75 % +15, improving −5), ben high 75, chloe medium 45.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.cache import cache

from tests.factories import (
    AttendanceFactory,
    CourseFactory,
    GradeFactory,
    StudentFactory,
    StudentUserFactory,
    TeacherFactory,
    enroll,
)

D = dt.date


@dataclass
class School:
    teacher: object
    other_teacher: object
    math: object
    physics: object
    ana: object
    ben: object
    chloe: object
    ana_user: object


def _grade(student, course, name, category, grade, day, weight="1"):
    return GradeFactory(
        student=student,
        course=course,
        assignment_name=name,
        category=category,
        grade=Decimal(grade),
        weight=Decimal(weight),
        date_assigned=day,
    )


def _mark(student, course, day, status, period=1):
    return AttendanceFactory(
        student=student, course=course, date=day, status=status, period_number=period
    )


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def school(db) -> School:
    return build_school()


def build_school() -> School:
    """The school above (for tests that need it outside the ``school`` fixture)."""
    teacher, other_teacher = TeacherFactory(), TeacherFactory()
    ana_user = StudentUserFactory()
    math = CourseFactory(
        course_code="MATH1",
        course_name="Mathematics",
        semester="A",
        evaluation_rules=[
            {"category": "Midterm", "weight": 40},
            {"category": "Final", "weight": 60},
        ],
        teachers=[teacher],
    )
    physics = CourseFactory(
        course_code="PHYS1",
        course_name="Physics",
        semester="B",
        evaluation_rules=[{"category": "Homework", "weight": 100}],
        teachers=[other_teacher],
    )
    ana = StudentFactory(first_name="Ana", last_name="Alpha", class_division="A1", user=ana_user)
    ben = StudentFactory(first_name="Ben", last_name="Beta", class_division="A1")
    chloe = StudentFactory(first_name="Chloe", last_name="Gamma", class_division="B2", study_year=2)
    enroll(ana, math)
    enroll(ben, math)
    enroll(chloe, math, status="dropped")
    enroll(ana, physics)
    enroll(chloe, physics)

    _grade(ana, math, "Midterm", "Midterm", "80", D(2025, 10, 1))
    _grade(ana, math, "Final", "Final Exam", "90", D(2025, 12, 1))
    _grade(ben, math, "Midterm", "Midterm", "40", D(2025, 10, 1))
    _grade(ben, math, "Final", "Final", "50", D(2025, 12, 1))
    _grade(chloe, math, "Midterm", "Midterm", "100", D(2025, 10, 1))  # dropped: ignored
    _grade(ana, physics, "HW1", "Homework", "70", D(2025, 10, 5))
    _grade(ana, physics, "HW2", "Homework", "90", D(2025, 11, 5))
    _grade(chloe, physics, "HW1", "Homework", "70", D(2025, 10, 5))

    monday, tuesday, wednesday = D(2025, 10, 6), D(2025, 10, 7), D(2025, 10, 8)
    next_monday, next_tuesday = D(2025, 10, 13), D(2025, 10, 14)
    _mark(ana, math, monday, "present")
    _mark(ana, math, monday, "late", period=2)
    _mark(ana, math, tuesday, "absent")
    _mark(ana, math, wednesday, "excused")
    _mark(ben, math, monday, "absent")
    _mark(ben, math, tuesday, "absent")
    _mark(ben, math, wednesday, "absent")
    _mark(ben, math, next_monday, "present")
    _mark(chloe, math, monday, "present")  # dropped: ignored
    _mark(ana, physics, next_monday, "present")
    _mark(chloe, physics, next_tuesday, "absent")
    return School(teacher, other_teacher, math, physics, ana, ben, chloe, ana_user)
