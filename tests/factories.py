"""factory_boy factories shared by every test package; natural keys come from sequences."""

import datetime as dt
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from apps.academics.models import (
    Attendance,
    Course,
    DailyPerformance,
    Enrollment,
    Grade,
    Student,
)
from apps.accounts.models import Role, User

PASSWORD = "correct-horse-battery"  # noqa: S105 - test-only password


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    role = Role.STUDENT
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy hook
        if create:
            obj.save()


class AdminFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    role = Role.ADMIN


class TeacherFactory(UserFactory):
    username = factory.Sequence(lambda n: f"teacher{n}")
    role = Role.TEACHER


class StudentUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"student{n}")
    role = Role.STUDENT


class StudentFactory(DjangoModelFactory):
    class Meta:
        model = Student

    student_id = factory.Sequence(lambda n: f"S{n:05d}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.LazyAttribute(
        lambda student: f"{student.student_id.lower()}@students.example.org"
    )
    study_year = 1
    academic_year = "2025-2026"
    class_division = "A1"
    enrollment_date = dt.date(2025, 9, 15)


class CourseFactory(DjangoModelFactory):
    class Meta:
        model = Course
        skip_postgeneration_save = True

    course_code = factory.Sequence(lambda n: f"C{n:03d}")
    course_name = factory.Sequence(lambda n: f"Course {n}")
    semester = "A"
    credits = 3
    evaluation_rules = factory.LazyFunction(
        lambda: [{"category": "Midterm", "weight": 40}, {"category": "Final", "weight": 60}]
    )

    @factory.post_generation
    def teachers(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy hook
        if create and extracted:
            obj.teachers.set(extracted)


class EnrollmentFactory(DjangoModelFactory):
    class Meta:
        model = Enrollment

    student = factory.SubFactory(StudentFactory)
    course = factory.SubFactory(CourseFactory)
    enrolled_at = dt.date(2025, 9, 20)
    status = "active"


class GradeFactory(DjangoModelFactory):
    class Meta:
        model = Grade

    student = factory.SubFactory(StudentFactory)
    course = factory.SubFactory(CourseFactory)
    assignment_name = factory.Sequence(lambda n: f"Assignment {n}")
    category = "Homework"
    grade = Decimal("80")
    max_grade = Decimal("100")
    weight = Decimal("1")
    date_assigned = dt.date(2025, 10, 1)


class AttendanceFactory(DjangoModelFactory):
    class Meta:
        model = Attendance

    student = factory.SubFactory(StudentFactory)
    course = factory.SubFactory(CourseFactory)
    # Dates cycle through one school year so long test runs never reach the future;
    # the period moves on each cycle to keep (student, course, date, period) unique.
    date = factory.Sequence(lambda n: dt.date(2025, 9, 1) + dt.timedelta(days=n % 300))
    period_number = factory.Sequence(lambda n: 1 + (n // 300) % 12)
    status = "present"


class DailyPerformanceFactory(DjangoModelFactory):
    class Meta:
        model = DailyPerformance

    student = factory.SubFactory(StudentFactory)
    course = factory.SubFactory(CourseFactory)
    date = dt.date(2025, 10, 1)
    category = "Homework"
    score = Decimal("8")
    max_score = Decimal("10")


def enroll(student: Student, course: Course, status: str = "active") -> Enrollment:
    return EnrollmentFactory(student=student, course=course, status=status)
