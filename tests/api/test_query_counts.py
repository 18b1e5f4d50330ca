"""Every list endpoint runs a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import client_for
from tests.factories import (
    AttendanceFactory,
    CourseFactory,
    DailyPerformanceFactory,
    GradeFactory,
    StudentFactory,
    StudentUserFactory,
    TeacherFactory,
    enroll,
)

MAX_QUERIES = 4  # the user (JWT), COUNT, the page, and the prefetch of course teachers


class Classroom:
    """A teacher's course with one student who has a login; rows are added on demand."""

    def __init__(self):
        self.teacher = TeacherFactory()
        self.assistant = TeacherFactory()
        self.student_user = StudentUserFactory()
        self.student = StudentFactory(user=self.student_user)
        self.course = CourseFactory(teachers=[self.teacher, self.assistant])
        enroll(self.student, self.course)
        self.rows = {"students": 1, "courses": 1, "enrollments": 1}

    def add(self, resource: str, count: int) -> None:
        for _ in range(count):
            if resource == "students":
                enroll(StudentFactory(), self.course)
            elif resource in ("courses", "enrollments"):
                enroll(self.student, CourseFactory(teachers=[self.teacher, self.assistant]))
            elif resource == "grades":
                GradeFactory(student=self.student, course=self.course)
            elif resource == "attendance":
                AttendanceFactory(student=self.student, course=self.course, date=self.day(resource))
            else:
                DailyPerformanceFactory(
                    student=self.student, course=self.course, date=self.day(resource)
                )
            self.rows[resource] = self.rows.get(resource, 0) + 1

    def day(self, resource: str) -> dt.date:
        """A distinct past date per row (factory sequences would drift into the future)."""
        return dt.date(2025, 10, 1) + dt.timedelta(days=self.rows.get(resource, 0))

    def top_up(self, resource: str, total: int) -> None:
        self.add(resource, total - self.rows.get(resource, 0))


RESOURCES = ["students", "courses", "enrollments", "grades", "attendance", "daily-performance"]
CASES = [
    pytest.param(resource, role, id=f"{resource}-{role}")
    for resource in RESOURCES
    for role in ("admin", "teacher", "student")
    if not (resource == "students" and role == "student")  # a student has one record
]


def count_list_queries(client, resource: str, expected_rows: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/{resource}/", {"page_size": 100})
    assert response.status_code == 200
    assert response.json()["count"] == expected_rows
    return len(queries)


@pytest.mark.parametrize(("resource", "role"), CASES)
def test_list_query_count_does_not_grow_with_rows(admin_user, resource, role):
    room = Classroom()
    user = {"admin": admin_user, "teacher": room.teacher, "student": room.student_user}[role]
    client = client_for(user)
    room.top_up(resource, 3)
    with_three = count_list_queries(client, resource, 3)

    room.top_up(resource, 25)
    with_twenty_five = count_list_queries(client, resource, 25)

    assert with_twenty_five == with_three
    assert with_three <= MAX_QUERIES
