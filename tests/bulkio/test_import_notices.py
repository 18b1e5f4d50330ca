"""An import of grades or absences tells people like typed marks do, batched, and its
rollback takes back what they have not read yet. Historic files carry only submission
dates."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.academics.models import Grade
from apps.notifications.models import Notification
from tests.bulkio.conftest import upload
from tests.factories import CourseFactory, StudentFactory, StudentUserFactory, enroll

HEADER = "student_id,course_code,assignment_name,category,grade,max_grade,date_submitted\n"


@pytest.fixture
def classes(db):
    course = CourseFactory(
        course_code="NET101",
        evaluation_rules=[{"category": "Lab", "weight": 40}, {"category": "Final", "weight": 60}],
    )
    students = [StudentFactory(user=StudentUserFactory()) for _ in range(2)]
    for student in students:
        enroll(student, course)
    return course, students


def _grades_file(course, students) -> str:
    lines = [HEADER]
    for student in students:
        for number in range(1, 6):
            lines.append(
                f"{student.student_id},{course.course_code},Lab {number},Lab,{10 + number},20,"
                f"2024-10-{number:02d}\n"
            )
    return "".join(lines)


def _import(api, content: str) -> dict:
    preview = upload(api, "grades", content)
    assert preview.status_code == 201, preview.content
    job = preview.json()
    assert job["totals"]["error"] == 0, job["errors"]
    confirmed = api.post(f"/api/v1/imports/{job['id']}/confirm/")
    assert confirmed.json()["status"] == "applied"
    return job


def test_imported_grades_tell_each_student_once(
    classes, admin_api, django_capture_on_commit_callbacks
):
    course, students = classes

    with django_capture_on_commit_callbacks(execute=True):
        _import(admin_api, _grades_file(course, students))

    for student in students:
        notes = Notification.objects.filter(recipient=student.user, kind="grade_posted")
        assert [note.title for note in notes] == ["5 new grades in NET101"]
        assert notes.get().data["count"] == 5


def test_grades_with_only_a_submission_date_land_on_that_date(classes, admin_api):
    course, students = classes

    _import(admin_api, _grades_file(course, students))

    grade = Grade.objects.get(student=students[0], assignment_name="Lab 3")
    assert (grade.date_assigned, grade.date_submitted) == (dt.date(2024, 10, 3),) * 2


def test_rolling_back_withdraws_the_unread_notices_only(
    classes, admin_api, django_capture_on_commit_callbacks
):
    course, students = classes
    with django_capture_on_commit_callbacks(execute=True):
        job = _import(admin_api, _grades_file(course, students))
    read = Notification.objects.get(recipient=students[0].user)
    read.read_at = read.created_at
    read.save(update_fields=["read_at"])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(f"/api/v1/imports/{job['id']}/rollback/")

    assert response.status_code == 200, response.content
    assert not Grade.objects.exists()
    kept = Notification.objects.filter(kind="grade_posted")
    assert list(kept.values_list("recipient_id", flat=True)) == [students[0].user_id]


def test_imported_absences_tell_the_student_once_per_course(
    classes, admin_api, django_capture_on_commit_callbacks
):
    course, students = classes
    content = "student_id,course_code,date,status\n" + "".join(
        f"{students[0].student_id},{course.course_code},2025-10-0{day},absent\n"
        for day in (6, 7, 8)
    )

    with django_capture_on_commit_callbacks(execute=True):
        preview = upload(admin_api, "attendance", content)
        admin_api.post(f"/api/v1/imports/{preview.json()['id']}/confirm/")

    notes = Notification.objects.filter(recipient=students[0].user)
    assert [note.title for note in notes] == ["3 absences recorded in NET101"]


def test_import_refuses_unknown_categories_and_out_of_range_dates_row_by_row(classes, admin_api):
    course, students = classes
    code, student_id = course.course_code, students[0].student_id
    content = (
        HEADER
        + f"{student_id},{code},Essay,Homework,15,20,2024-10-01\n"
        + f"{student_id},{code},Old lab,Lab,15,20,1999-12-31\n"
        + f"{student_id},{code},Future lab,Lab,15,20,2999-01-01\n"
    )

    job = upload(admin_api, "grades", content).json()

    messages = {(error["row"], error["field"]): error["message"] for error in job["errors"]}
    assert messages[(2, "category")] == (
        "“Homework” matches none of this course's categories: Lab, Final."
    )
    assert "cannot be before 2000-01-01" in messages[(3, "date_submitted")]
    assert "cannot be in the future" in messages[(4, "date_submitted")]
    assert job["totals"]["error"] == 3
