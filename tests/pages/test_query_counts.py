"""Query counts pinned on every page: the same number for 2 students as for 12.

Each page is requested twice, with a small and a larger class; a count that grows with
the class would mean a query per row.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import AttendanceFactory, GradeFactory, StudentFactory, enroll

# Every page spends 2 queries on the session and the user and 2 on the notification
# bell; the course pages 2 more on the course and the teacher check. The grade engine's
# bulk call is a fixed 8 (9 with the trend for a profile), whatever the class size.
EXPECTED = {
    "home": 5,
    "course_list": 6,
    "course_roster": 15,
    "grade_grid": 16,
    "attendance_sheet": 8,
    "student_profile": 16,
}


def add_students(course, count):
    for _ in range(count):
        student = StudentFactory()
        enroll(student, course)
        GradeFactory(student=student, course=course, assignment_name="Midterm", category="Midterm")
        GradeFactory(student=student, course=course, assignment_name="Final", category="Final")
        AttendanceFactory(student=student, course=course, date=dt.date(2025, 11, 3))


def page_urls(course, student):
    return {
        "home": reverse("home"),
        "course_list": reverse("academics:course_list"),
        "course_roster": reverse("academics:course_roster", args=[course.pk]),
        "grade_grid": reverse("academics:grade_grid", args=[course.pk]),
        "attendance_sheet": reverse("academics:attendance_sheet", args=[course.pk])
        + "?date=2025-11-03",
        "student_profile": reverse("academics:student_profile", args=[student.pk]),
    }


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_page_query_count_does_not_grow_with_the_class(teacher_client, course, page):
    add_students(course, 2)
    student = course.enrollments.first().student
    url = page_urls(course, student)[page]
    small = count_queries(teacher_client, url)

    add_students(course, 10)
    large = count_queries(teacher_client, url)

    assert (small, large) == (EXPECTED[page], EXPECTED[page])


def test_grade_cell_save_query_count_does_not_grow_with_the_class(teacher_client, course):
    add_students(course, 2)
    first = course.enrollments.first().student
    url = reverse("academics:grade_cell", args=[course.pk])
    data = {"student": first.pk, "assignment": "Midterm", "grade": "55"}
    with CaptureQueriesContext(connection) as small:
        teacher_client.post(url, data, HTTP_HX_REQUEST="true")

    add_students(course, 10)
    with CaptureQueriesContext(connection) as large:
        teacher_client.post(url, data | {"grade": "56"}, HTTP_HX_REQUEST="true")

    assert len(small) == len(large)
