"""The schema on PostgreSQL: migrations apply and the database itself enforces the rules
(partial unique constraints for soft-deleted rows, check constraints) even when a write
skips the services' validation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from apps.academics import services
from apps.academics.models import Attendance, Course, Grade, Student
from tests.factories import AttendanceFactory, CourseFactory, GradeFactory, StudentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres_db")]


def student_row(**fields) -> Student:
    defaults = {
        "first_name": "Maria",
        "last_name": "Papadopoulou",
        "email": "maria@example.org",
        "enrollment_date": dt.date(2025, 9, 15),
    }
    return Student.all_objects.create(**{**defaults, **fields})


def test_migrations_apply_on_postgres_with_nothing_pending():
    executor = MigrationExecutor(connection)

    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())

    assert connection.vendor == "postgresql"
    assert pending == []


def test_student_unique_live_student_id_is_a_partial_index_on_postgres():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
            ["student_unique_live_student_id"],
        )
        (definition,) = cursor.fetchone()

    assert "UNIQUE" in definition
    assert "deleted_at IS NULL" in definition


def test_student_duplicate_live_student_id_is_refused_by_the_database():
    student_row(student_id="IEK-001", email="first@example.org")

    with pytest.raises(IntegrityError), transaction.atomic():
        student_row(student_id="IEK-001", email="second@example.org")

    assert Student.all_objects.filter(student_id="IEK-001").count() == 1


def test_student_soft_deleted_student_id_and_email_can_be_reused(admin_user):
    removed = StudentFactory(student_id="IEK-002", email="reused@example.org")
    services.student_delete(student=removed, actor=admin_user)

    again = student_row(student_id="IEK-002", email="reused@example.org")

    assert Student.objects.get(student_id="IEK-002") == again
    assert Student.all_objects.filter(student_id="IEK-002").count() == 2


def test_course_credits_outside_1_to_12_are_refused_by_the_database():
    course = CourseFactory(credits=3)

    with pytest.raises(IntegrityError), transaction.atomic():
        Course.all_objects.filter(pk=course.pk).update(credits=13)

    course.refresh_from_db()
    assert course.credits == 3


def test_grade_above_max_grade_is_refused_by_the_database():
    grade = GradeFactory(grade=Decimal("80"), max_grade=Decimal("100"))

    with pytest.raises(IntegrityError), transaction.atomic():
        Grade.objects.filter(pk=grade.pk).update(grade=Decimal("101"))

    grade.refresh_from_db()
    assert grade.grade == Decimal("80")


def test_attendance_second_record_for_the_same_period_is_refused_by_the_database():
    first = AttendanceFactory(date=dt.date(2025, 10, 6), period_number=2)
    duplicate = Attendance(
        student=first.student,
        course=first.course,
        date=first.date,
        period_number=2,
        status="absent",
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.bulk_create([duplicate])

    assert Attendance.objects.get(student=first.student, date=first.date).status == "present"
