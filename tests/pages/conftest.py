import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import (
    CourseFactory,
    GradeFactory,
    StudentFactory,
    StudentUserFactory,
    TeacherFactory,
    enroll,
)


@pytest.fixture
def teacher(db):
    return TeacherFactory(first_name="Maria", last_name="Papadopoulou")


@pytest.fixture
def course(teacher):
    return CourseFactory(
        course_code="NET101",
        course_name="Computer Networks",
        teachers=[teacher],
        evaluation_rules=[
            {"category": "Midterm", "weight": 40},
            {"category": "Final", "weight": 60},
        ],
    )


@pytest.fixture
def students(course):
    """Three enrolled students and one who dropped the course."""
    enrolled = [
        StudentFactory(first_name=first, last_name=last)
        for first, last in [("Anna", "Alexiou"), ("Babis", "Bekas"), ("Chara", "Christou")]
    ]
    for student in enrolled:
        enroll(student, course)
    dropped = StudentFactory(first_name="Dimitris", last_name="Dropped")
    enroll(dropped, course, status="dropped")
    return enrolled


@pytest.fixture
def graded(course, students):
    """Midterm and final grades for the first student: final = 0.4·80 + 0.6·90 = 86."""
    first = students[0]
    GradeFactory(
        student=first,
        course=course,
        assignment_name="Midterm",
        category="Midterm",
        grade=Decimal("80"),
        date_assigned=dt.date(2025, 11, 1),
    )
    GradeFactory(
        student=first,
        course=course,
        assignment_name="Final exam",
        category="Final",
        grade=Decimal("90"),
        date_assigned=dt.date(2026, 1, 20),
    )
    return first


@pytest.fixture
def teacher_client(client, teacher):
    client.force_login(teacher)
    return client


@pytest.fixture
def student_with_login(students):
    user = StudentUserFactory()
    student = students[0]
    student.user = user
    student.save()
    return student
