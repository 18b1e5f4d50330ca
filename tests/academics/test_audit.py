import datetime as dt
from decimal import Decimal

import pytest

from apps.academics.audit import bulk_create_with_history, bulk_update_with_history
from apps.academics.models import Grade, Student
from tests.factories import AdminFactory, CourseFactory, StudentFactory, enroll

pytestmark = pytest.mark.django_db


def test_bulk_create_with_history_records_the_actor():
    actor = AdminFactory()
    students = [
        Student(student_id=f"B{n}", first_name="Bulk", last_name=f"N{n}", email=f"b{n}@x.org")
        for n in range(5)
    ]

    created = bulk_create_with_history(students, Student, actor=actor, change_reason="import 7")

    assert Student.objects.filter(student_id__startswith="B").count() == 5
    history = Student.history.filter(student_id__startswith="B")
    assert history.count() == 5
    assert {(row.history_type, row.history_user_id) for row in history} == {("+", actor.pk)}
    assert {row.history_change_reason for row in history} == {"import 7"}
    assert all(student.pk for student in created)


def test_bulk_update_with_history_records_the_actor_and_new_values():
    actor = AdminFactory()
    student, course = StudentFactory(), CourseFactory()
    enroll(student, course)
    grades = [
        Grade(student=student, course=course, assignment_name=f"HW{n}", category="Homework",
              grade=Decimal("50"), date_assigned=dt.date(2025, 10, 1))
        for n in range(3)
    ]  # fmt: skip
    bulk_create_with_history(grades, Grade, actor=actor)
    for grade in grades:
        grade.grade = Decimal("75")

    updated = bulk_update_with_history(grades, Grade, ["grade"], actor=actor)

    assert updated == 3
    assert set(Grade.objects.values_list("grade", flat=True)) == {Decimal("75")}
    changes = Grade.history.filter(history_type="~")
    assert changes.count() == 3
    assert {(row.grade, row.history_user_id) for row in changes} == {(Decimal("75"), actor.pk)}


def test_bulk_update_with_history_reaches_soft_deleted_rows():
    actor = AdminFactory()
    student = StudentFactory(deleted_at=dt.datetime(2025, 11, 1, tzinfo=dt.UTC))
    student.deleted_at = None

    bulk_update_with_history([student], Student, ["deleted_at"], actor=actor)

    assert Student.objects.filter(pk=student.pk).exists()
    assert student.history.first().history_user == actor


def test_bulk_helpers_accept_empty_input():
    actor = AdminFactory()

    assert bulk_create_with_history([], Student, actor=actor) == []
    assert bulk_update_with_history([], Student, ["first_name"], actor=actor) == 0
