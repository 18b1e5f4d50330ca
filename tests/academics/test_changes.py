"""The one change hook: every write is announced once, on commit, with where it came from."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from apps.academics import changes, services
from apps.academics.models import Enrollment
from apps.analytics.models import EnrollmentResult
from tests.api.conftest import client_for
from tests.factories import (
    AdminFactory,
    CourseFactory,
    GradeFactory,
    StudentFactory,
    TeacherFactory,
    enroll,
)


@pytest.fixture
def heard():
    """The changes announced while the test runs."""
    received: list[changes.Change] = []

    def listen(sender, change, **kwargs):
        received.append(change)

    changes.records_changed.connect(listen, dispatch_uid="test-heard")
    yield received
    changes.records_changed.disconnect(dispatch_uid="test-heard")


@pytest.fixture
def side(db):
    teacher = TeacherFactory()
    course = CourseFactory(teachers=[teacher])
    student = StudentFactory()
    enroll(student, course)
    return teacher, course, student


def _grade(side, name: str, **extra):
    teacher, course, student = side
    return services.grade_create(
        student=student,
        course=course,
        assignment_name=name,
        category="Final",
        grade=Decimal("80"),
        actor=teacher,
        **extra,
    )


def test_writes_in_one_transaction_are_announced_once_on_commit(
    side, heard, django_capture_on_commit_callbacks
):
    teacher, course, student = side

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first = _grade(side, "Final 1")
        second = _grade(side, "Final 2")
        assert heard == []  # nothing before the commit

    assert len(heard) == 1
    change = heard[0]
    assert changes.GRADE in change.kinds
    assert student.pk in change.student_ids and course.pk in change.course_ids
    assert change.actor_id == teacher.pk
    assert change.grades_posted == {first.pk: False, second.pk: False}


def test_a_rolled_back_transaction_announces_nothing(
    side, heard, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _grade(side, "Lost")
        raise RuntimeError("the request failed after the write")

    with django_capture_on_commit_callbacks(execute=True):
        kept = _grade(side, "Kept")

    assert [change.grades_posted for change in heard] == [{kept.pk: False}]


@pytest.mark.parametrize(
    ("path_kind", "expected"), [("api", "api"), ("admin", "admin"), ("service", "app")]
)
def test_each_entry_point_names_its_source(
    side, heard, django_capture_on_commit_callbacks, client, path_kind, expected
):
    teacher, course, student = side
    with django_capture_on_commit_callbacks(execute=True):
        if path_kind == "api":
            response = client_for(teacher).post(
                "/api/v1/grades/",
                {
                    "student": student.pk,
                    "course": course.pk,
                    "assignment_name": "Via API",
                    "category": "Final",
                    "grade": "50",
                },
                format="json",
            )
            assert response.status_code == 201
        elif path_kind == "admin":
            client.force_login(AdminFactory())
            response = client.post(
                reverse("admin:academics_grade_add"),
                {
                    "student": student.pk,
                    "course": course.pk,
                    "assignment_name": "Via admin",
                    "category": "Final",
                    "grade": "50",
                    "max_grade": "100",
                    "weight": "1",
                    "date_assigned": "2025-10-01",
                    "_save": "Save",
                },
            )
            assert response.status_code == 302
        else:
            _grade(side, "Via service")

    assert [change.source for change in heard if change.grades_posted] == [expected]


def test_the_grade_grid_page_names_its_source(
    side, heard, django_capture_on_commit_callbacks, client
):
    teacher, course, student = side
    GradeFactory(student=student, course=course, assignment_name="Midterm", category="Midterm")
    client.force_login(teacher)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("academics:grade_cell", args=[course.pk]),
            {"student": student.pk, "assignment": "Midterm", "grade": "64"},
            HTTP_HX_REQUEST="true",
        )

    assert response.status_code == 200
    assert [change.source for change in heard if change.grades_posted] == ["page"]


def test_moving_an_enrollment_refreshes_both_courses(side, django_capture_on_commit_callbacks):
    _teacher, old_course, student = side
    new_course = CourseFactory()
    GradeFactory(student=student, course=old_course, category="Final", grade=Decimal("70"))
    with django_capture_on_commit_callbacks(execute=True):
        changes.record_change(kinds=changes.KINDS, everything=True)
    assert EnrollmentResult.objects.filter(course=old_course, student=student).exists()

    enrollment = Enrollment.objects.get(student=student, course=old_course)
    enrollment.course = new_course  # e.g. an old version restored from the history
    with django_capture_on_commit_callbacks(execute=True):
        enrollment.save()

    stored = set(
        EnrollmentResult.objects.filter(student=student).values_list("course_id", flat=True)
    )
    assert stored == {new_course.pk}


def test_a_grade_write_names_the_categories_it_touched(
    side, heard, django_capture_on_commit_callbacks
):
    teacher, course, _student = side
    with django_capture_on_commit_callbacks(execute=True):
        grade = _grade(side, "Exam 1")
    assert heard[-1].grade_categories == {course.pk: {"Final"}}

    # Moved to another category: the figures of both are redone.
    with django_capture_on_commit_callbacks(execute=True):
        services.grade_update(grade_obj=grade, actor=teacher, category="Midterm")
    assert heard[-1].grade_categories == {course.pk: {"Final", "Midterm"}}

    # Saved straight through the model (a shell, a restore): the collector still knows.
    stored = type(grade).objects.get(pk=grade.pk)
    stored.category = "Final"
    with django_capture_on_commit_callbacks(execute=True):
        stored.save()
    assert heard[-1].grade_categories == {course.pk: {"Final", "Midterm"}}


def test_a_grade_change_without_categories_makes_its_course_whole(
    side, heard, django_capture_on_commit_callbacks
):
    _teacher, course, _student = side
    other = CourseFactory()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        _grade(side, "Exam 1")
        # A bulk writer that does not say which categories it touched.
        changes.record_change(kinds=[changes.GRADE], course_ids=[course.pk, other.pk])
        _grade(side, "Exam 2")

    assert len(heard) == 1
    assert heard[0].grade_categories == {}
    assert {course.pk, other.pk} <= heard[0].course_ids
