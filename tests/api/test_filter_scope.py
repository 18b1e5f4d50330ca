"""Filters never widen or reveal the scope (apps.academics.filtering).

The two sides of the ``school`` share students: the own student also takes the other
teacher's course, the other student also takes the own course. A filter naming the other
side's course or a classmate must answer exactly as for an id that does not exist.
"""

from __future__ import annotations

import csv
import io

import pytest

from tests.api.conftest import client_for
from tests.factories import CourseFactory, StudentFactory, enroll

UNKNOWN_ID = 987_654


@pytest.fixture
def shared(school):
    """Each student also takes the other side's course; the other teacher also teaches a
    course only the other student takes, and a student outside the own teacher's courses."""
    enroll(school.own.student, school.other.course)
    enroll(school.other.student, school.own.course)
    school.other.course.semester = "OTHER-SEMESTER"
    school.other.course.save()
    elsewhere = CourseFactory(teachers=[school.other.teacher], semester="OTHER-SEMESTER")
    enroll(school.other.student, elsewhere)
    outsider = StudentFactory()
    enroll(outsider, school.other.course)
    school.elsewhere, school.outsider = elsewhere, outsider
    return school


def without_stamp(body):
    if isinstance(body, dict):
        return {key: without_stamp(value) for key, value in body.items() if key != "generated_at"}
    if isinstance(body, list):
        return [without_stamp(item) for item in body]
    return body


def test_students_by_another_teachers_course_count_nobody(shared):
    client = client_for(shared.own.teacher)

    response = client.get("/api/v1/students/", {"course": shared.other.course.pk})

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_students_by_own_course_still_lists_its_students(shared):
    client = client_for(shared.own.teacher)

    response = client.get("/api/v1/students/", {"course": shared.own.course.pk})

    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {shared.own.student.pk, shared.other.student.pk}


def test_courses_by_a_classmate_show_a_student_nothing(shared):
    client = client_for(shared.own.student_user)

    response = client.get("/api/v1/courses/", {"student": shared.other.student.pk})

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_courses_by_the_students_own_id_list_their_courses(shared):
    client = client_for(shared.own.student_user)

    response = client.get("/api/v1/courses/", {"student": shared.own.student.pk})

    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {shared.own.course.pk, shared.other.course.pk}


def test_admin_filters_see_every_enrollment(shared):
    client = client_for(shared.admin)

    response = client.get("/api/v1/students/", {"course": shared.other.course.pk})

    assert response.json()["count"] == 3  # both sides and the outsider


# (who asks, endpoint, filter, what the value names)
LEAK_CASES = [
    ("teacher", "students/", "course", "other_course"),
    ("teacher", "courses/", "student", "outsider"),
    ("teacher", "enrollments/", "course", "other_course"),
    ("teacher", "grades/", "course", "other_course"),
    ("teacher", "attendance/", "course", "other_course"),
    ("teacher", "daily-performance/", "course", "other_course"),
    ("student", "courses/", "student", "classmate"),
    ("student", "students/", "course", "elsewhere"),
    ("student", "grades/", "student", "classmate"),
    ("student", "enrollments/", "student", "classmate"),
    ("teacher", "analytics/dashboard/", "course", "other_course"),
    ("teacher", "analytics/dashboard/", "student", "outsider"),
    ("teacher", "analytics/students/", "course", "other_course"),
    ("teacher", "analytics/grades/", "course", "other_course"),
    ("teacher", "analytics/attendance/", "course", "other_course"),
    ("teacher", "analytics/courses/", "course", "other_course"),
    ("teacher", "analytics/courses/", "semester", "other_semester"),
    ("student", "analytics/students/{own_student}/", "course", "elsewhere"),
]


def _value(school, target: str):
    return {
        "other_course": school.other.course.pk,
        "elsewhere": school.elsewhere.pk,
        "outsider": school.outsider.pk,
        "classmate": school.other.student.pk,
        "other_semester": "OTHER-SEMESTER",
    }[target]


@pytest.mark.parametrize(("role", "endpoint", "name", "target"), LEAK_CASES)
def test_an_out_of_scope_filter_answers_as_an_unknown_id(shared, role, endpoint, name, target):
    user = shared.own.teacher if role == "teacher" else shared.own.student_user
    path = "/api/v1/" + endpoint.format(own_student=shared.own.student.pk)
    client = client_for(user)
    unknown = "NO-SUCH-SEMESTER" if name == "semester" else UNKNOWN_ID

    outside = client.get(path, {name: _value(shared, target)})
    nothing = client.get(path, {name: unknown})

    # Lists answer an empty page; a report about one student answers 404 when the filter
    # leaves nothing of them. Either way, exactly as for the unknown value.
    assert outside.status_code == nothing.status_code
    assert outside.status_code in (200, 404)
    assert without_stamp(outside.json()) == without_stamp(nothing.json())


def _csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("name", ["course", "semester"])
def test_student_export_by_another_teachers_course_lists_nobody(shared, name):
    value = shared.other.course.pk if name == "course" else "OTHER-SEMESTER"
    client = client_for(shared.own.teacher)

    response = client.get("/api/v1/exports/students.csv", {name: value})

    assert response.status_code == 200
    rows = _csv_rows(response)
    assert len(rows) == 1  # the header only
    assert "student_id" in rows[0]


def test_student_export_by_own_course_lists_its_students(shared):
    client = client_for(shared.own.teacher)

    response = client.get("/api/v1/exports/students.csv", {"course": shared.own.course.pk})

    assert len(_csv_rows(response)) == 3  # header + both students
