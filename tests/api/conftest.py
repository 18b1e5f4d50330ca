"""A small school for the API tests: two courses, each with its teacher and one student."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from apps.academics.models import Attendance, Course, DailyPerformance, Enrollment, Grade, Student
from apps.accounts.models import User
from tests.factories import (
    AdminFactory,
    AttendanceFactory,
    CourseFactory,
    DailyPerformanceFactory,
    GradeFactory,
    StudentFactory,
    StudentUserFactory,
    TeacherFactory,
    enroll,
)


def client_for(user: User | None) -> APIClient:
    """An API client signed in with a JWT access token, or anonymous for ``None``."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


@dataclass
class Side:
    """One course with its teacher, one enrolled student (with a login) and their marks."""

    teacher: User
    student_user: User
    student: Student
    course: Course
    enrollment: Enrollment
    grade: Grade
    attendance: Attendance
    daily_performance: DailyPerformance


@dataclass
class School:
    admin: User
    own: Side
    other: Side


def make_side(label: str) -> Side:
    teacher = TeacherFactory()
    student_user = StudentUserFactory()
    student = StudentFactory(user=student_user, health_issue=f"Asthma {label}")
    course = CourseFactory(teachers=[teacher])
    enrollment = enroll(student, course)
    return Side(
        teacher=teacher,
        student_user=student_user,
        student=student,
        course=course,
        enrollment=enrollment,
        grade=GradeFactory(student=student, course=course),
        attendance=AttendanceFactory(student=student, course=course, date=dt.date(2025, 10, 1)),
        daily_performance=DailyPerformanceFactory(student=student, course=course),
    )


@pytest.fixture
def school(db) -> School:
    return School(admin=AdminFactory(), own=make_side("own"), other=make_side("other"))
