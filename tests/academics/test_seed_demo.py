import datetime as dt
import re
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Sum
from django.utils import timezone

from apps.academics import grading
from apps.academics.demo import database_is_empty
from apps.academics.models import (
    Attendance,
    Course,
    DailyPerformance,
    Enrollment,
    Grade,
    Student,
)
from apps.academics.scoping import courses_for, students_for
from apps.academics.validators import PHONE_RE
from apps.accounts.models import User
from tests.factories import StudentFactory, UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """What a user would compare between two seeded databases (no primary keys)."""
    return {
        "students": list(
            Student.objects.order_by("student_id").values_list(
                "student_id", "first_name", "last_name", "email", "class_division"
            )
        ),
        "courses": list(
            Course.objects.order_by("course_code").values_list("course_code", "course_name")
        ),
        "grade_sum": Grade.objects.aggregate(total=Sum("grade"))["total"],
        "attendance": dict(
            Attendance.objects.values_list("status").annotate(n=Count("id")).order_by("status")
        ),
    }


def test_seed_demo_small_creates_the_documented_counts(db):
    output = seed("--size", "small", "--seed", "7")

    assert Student.objects.count() == 200
    assert Course.objects.count() == 12
    assert Enrollment.objects.count() == 1_000
    assert Grade.objects.count() == 10_000
    assert Attendance.objects.count() == 20_000
    assert DailyPerformance.objects.count() == 3_000
    assert Enrollment.objects.filter(status="dropped").exists()
    assert "grades" in output and "10,000 rows" in output


def test_seed_demo_printed_logins_work_and_show_data(db):
    output = seed("--size", "tiny")

    logins = {
        role: (username, password)
        for role, username, password in re.findall(
            r"^\s+(admin|teacher|student)\s+(\S+)\s+(\S+)", output, flags=re.MULTILINE
        )
    }
    admin = authenticate(username=logins["admin"][0], password=logins["admin"][1])
    teacher = authenticate(username=logins["teacher"][0], password=logins["teacher"][1])
    student = authenticate(username=logins["student"][0], password=logins["student"][1])
    assert admin is not None and admin.is_admin_role and admin.is_staff
    assert teacher is not None and teacher.is_teacher_role
    assert student is not None and student.is_student_role
    assert authenticate(username="teacher2", password=logins["teacher"][1]) is not None
    own_record = students_for(student).get()
    assert own_record.user == student
    assert courses_for(teacher).exists()
    assert students_for(teacher).filter(pk=own_record.pk).exists()
    assert Grade.objects.filter(student=own_record, course__in=courses_for(teacher)).exists()


def test_seed_demo_same_seed_gives_the_same_school(db):
    seed("--size", "tiny", "--seed", "5")
    first = snapshot()

    seed("--size", "tiny", "--seed", "5", "--reset")
    again = snapshot()
    seed("--size", "tiny", "--seed", "6", "--reset")
    other = snapshot()

    assert again == first
    assert other["students"] != first["students"]
    assert Student.objects.count() == 40


def test_seed_demo_generates_only_valid_records(db):
    seed("--size", "tiny", "--seed", "3")
    today = timezone.localdate()

    assert not Grade.objects.filter(grade__gt=F("max_grade")).exists()
    assert not Grade.objects.filter(date_submitted__lt=F("date_assigned")).exists()
    assert not Grade.objects.filter(date_submitted__gt=today).exists()
    assert not Attendance.objects.filter(date__gte=today).exists()
    assert all(day.isoweekday() <= 5 for day in Attendance.objects.dates("date", "day"))
    slots = Attendance.objects.values("student", "course", "date", "period_number")
    assert not slots.annotate(n=Count("id")).filter(n__gt=1).exists()
    for student in Student.objects.all():
        student.full_clean()
        assert re.match(PHONE_RE, student.mobile_phone)
    assert len(set(Student.objects.values_list("email", flat=True))) == 40
    for grade in Grade.objects.all()[:200]:
        grade.full_clean()


def test_seed_demo_course_rules_use_every_category_and_add_up_to_100(db):
    seed("--size", "small")

    keys = set()
    ruleless = 0
    for course in Course.objects.all():
        course.full_clean()
        if not course.evaluation_rules:
            ruleless += 1
            continue
        assert sum(Decimal(str(rule["weight"])) for rule in course.evaluation_rules) == 100
        keys |= {grading.category_key(rule["category"]) for rule in course.evaluation_rules}
    categories = set(Grade.objects.values_list("category", flat=True))

    assert keys == {
        "midterm", "final", "homework", "lab", "quiz", "participation", "attendance", "continuous",
    }  # fmt: skip
    assert ruleless >= 1
    assert Course.objects.filter(absence_penalty__gt=0).exists()
    assert {"Τελική Εξέταση", "Final Exam"} & categories
    assert any(re.search("[α-ω]", c) for c in categories)
    assert any(c.isascii() for c in categories)


def test_seed_demo_has_failing_and_at_risk_students(db):
    seed("--size", "tiny")

    summaries = grading.student_summaries()
    second_demo_login = Student.objects.get(user__username="student2")

    failing = [
        s for s in summaries.values() if s.average_grade is not None and s.average_grade < 50
    ]
    at_risk = [s for s in summaries.values() if s.risk.level in ("medium", "high")]
    assert failing
    assert at_risk
    assert summaries[second_demo_login.pk].risk.level in ("medium", "high")
    assert any(result.passed is False for s in summaries.values() for result in s.courses)


def test_seed_demo_absences_peak_on_mondays_and_fridays_and_lateness_in_period_one(db):
    seed("--size", "small")

    by_weekday = Counter()
    records = Counter()
    for day, status in Attendance.objects.values_list("date", "status"):
        records[day.isoweekday()] += 1
        by_weekday[day.isoweekday()] += status == "absent"
    late_first = Attendance.objects.filter(period_number=1)
    late_rest = Attendance.objects.exclude(period_number=1)

    absence_rate = {day: by_weekday[day] / records[day] for day in records}
    midweek = max(absence_rate[day] for day in (2, 3, 4) if day in absence_rate)
    assert absence_rate[1] > midweek and absence_rate[5] > midweek
    assert late_first.filter(status="late").count() / late_first.count() > (
        late_rest.filter(status="late").count() / late_rest.count()
    )


def test_seed_demo_refuses_a_database_with_students(db):
    StudentFactory()

    with pytest.raises(CommandError, match="--reset"):
        seed("--size", "tiny")

    assert Student.objects.count() == 1
    assert not User.objects.filter(username="admin").exists()


def test_seed_demo_reset_replaces_academic_data_but_keeps_other_accounts(db):
    old = StudentFactory(enrollment_date=dt.date(2020, 9, 1))
    colleague = UserFactory(username="maria", email="maria@school.example.org")
    assert not database_is_empty()

    seed("--size", "tiny", "--reset")

    assert not Student.all_objects.filter(pk=old.pk).exists()
    assert User.objects.filter(pk=colleague.pk).exists()
    assert Student.objects.count() == 40
    assert not database_is_empty()
