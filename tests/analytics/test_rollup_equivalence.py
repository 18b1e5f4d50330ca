"""The stored path (stored results + daily rollups) equals the live grade engine exactly,
for generated schools, random filters and every role's scope (issue 10)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.http import Http404
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.academics.filtering import RecordFilters
from apps.academics.models import Attendance, Course, DailyPerformance, Enrollment, Grade, Student
from apps.analytics import results
from apps.analytics.reports import compute_report
from tests.factories import (
    AdminFactory,
    CourseFactory,
    StudentFactory,
    StudentUserFactory,
    TeacherFactory,
)

MONDAY = dt.date(2025, 9, 1)
POSTED = dt.datetime(2025, 9, 1, 8, tzinfo=dt.UTC)
DAYS = 42  # six weeks
RULES = (
    [{"category": "Midterm", "weight": 40}, {"category": "Final", "weight": 60}],
    [{"category": "Homework", "weight": 50}, {"category": "Τελική Εξέταση", "weight": 50}],
    [
        {"category": "Homework", "weight": 50, "daily_performance_multiplier": 2},
        {"category": "Lab", "weight": 30, "include_daily_performance": False},
        {"category": "Attendance", "weight": 20},
    ],
    [{"category": "Homework", "weight": 60}, {"category": "Quiz", "weight": 30}],
    [],
)
CATEGORIES = ("Midterm", "Final", "Final Exam", "Homework", "Lab", "Quiz", "Attendance", "Other")
STATUSES = ("present", "absent", "absent", "late", "excused")
REPORTS = ("dashboard", "students", "grades", "attendance", "courses")

day = st.integers(min_value=0, max_value=DAYS - 1)
grade = st.tuples(
    st.sampled_from(CATEGORIES),
    st.integers(min_value=0, max_value=20),  # grade in half steps of max 10
    st.sampled_from((Decimal(0), Decimal("0.5"), Decimal(1), Decimal(2))),
    day,
    st.one_of(st.none(), st.integers(min_value=0, max_value=10)),
    # Hidden until posted (manual posting): in no figure, stored or live.
    st.sampled_from((False, False, False, True)),
)
attendance = st.tuples(
    st.integers(min_value=0, max_value=DAYS - 1),
    st.integers(min_value=0, max_value=14),
    st.lists(st.sampled_from(STATUSES), min_size=1, max_size=14),
    st.sampled_from((1, 2, 4)),
)
enrollment = st.fixed_dictionaries(
    {
        "status": st.sampled_from(("active", "active", "completed", "dropped", None)),
        "grades": st.lists(grade, max_size=6),
        "daily": st.lists(
            st.tuples(st.sampled_from(("Homework", "Lab")), st.integers(0, 10), day), max_size=3
        ),
        "attendance": st.lists(attendance, max_size=2),
    }
)
school = st.fixed_dictionaries(
    {
        "courses": st.lists(
            st.tuples(
                st.sampled_from(range(len(RULES))),
                st.sampled_from((0, 2)),
                st.integers(1, 5),
                st.sampled_from(("A", "B")),
            ),
            min_size=1,
            max_size=3,
        ),
        "students": st.lists(
            st.tuples(st.sampled_from(("A1", "B2")), st.sampled_from((1, 2))),
            min_size=1,
            max_size=4,
        ),
        "enrollments": st.lists(enrollment, min_size=12, max_size=12),
    }
)
filters = st.fixed_dictionaries(
    {
        "date_from": st.one_of(st.none(), st.integers(-3, DAYS + 2)),
        "length": st.one_of(st.none(), st.integers(0, 30)),
        "course": st.booleans(),
        "class_division": st.sampled_from(("", "A1")),
        "study_year": st.sampled_from((None, 2)),
        "semester": st.sampled_from(("", "A")),
        "role": st.sampled_from(("admin", "teacher", "student")),
        # Which course and which student the detail reports open.
        "course_index": st.integers(0, 2),
        "student_index": st.integers(0, 3),
    }
)


def _build(data: dict):
    courses = [
        CourseFactory.build(
            evaluation_rules=RULES[rules], absence_penalty=penalty, credits=credits, semester=sem
        )
        for rules, penalty, credits, sem in data["courses"]
    ]
    Course.objects.bulk_create(courses)
    students = [
        StudentFactory.build(class_division=division, study_year=year)
        for division, year in data["students"]
    ]
    Student.objects.bulk_create(students)
    enrollments, grades, daily, marks = [], [], [], []
    pairs = [(s, c) for s in students for c in courses]
    for (student, course), spec in zip(pairs, data["enrollments"], strict=False):
        if spec["status"] is None:
            continue
        enrollments.append(Enrollment(student=student, course=course, status=spec["status"]))
        for n, (category, half_steps, weight, assigned, late, hidden) in enumerate(spec["grades"]):
            assigned_on = MONDAY + dt.timedelta(days=assigned)
            grades.append(
                Grade(
                    student=student,
                    course=course,
                    assignment_name=f"Item {n}",
                    category=category,
                    grade=Decimal(half_steps) / 2,
                    max_grade=Decimal(10),
                    weight=weight,
                    date_assigned=assigned_on,
                    date_submitted=None if late is None else assigned_on + dt.timedelta(late),
                    posted_at=None if hidden else POSTED,
                )
            )
        for category, score, on in spec["daily"]:
            daily.append(
                DailyPerformance(
                    student=student,
                    course=course,
                    category=category,
                    score=Decimal(score),
                    date=MONDAY + dt.timedelta(days=on),
                )
            )
        seen = set()
        for start, _length, statuses, periods in spec["attendance"]:
            for offset in range(len(statuses)):
                for period in range(1, periods + 1):
                    # Periods of one day take different statuses: runs of absences
                    # between other records of the day.
                    status = statuses[(offset + period - 1) % len(statuses)]
                    on = MONDAY + dt.timedelta(days=min(start + offset, DAYS + 5))
                    if (on, period) not in seen:
                        seen.add((on, period))
                        marks.append(
                            Attendance(
                                student=student,
                                course=course,
                                date=on,
                                period_number=period,
                                status=status,
                            )
                        )
    Enrollment.objects.bulk_create(enrollments)
    Grade.objects.bulk_create(grades)
    DailyPerformance.objects.bulk_create(daily)
    Attendance.objects.bulk_create(marks)
    return students, courses


def _users(students, courses):
    teacher = TeacherFactory()
    courses[0].teachers.add(teacher)
    student_user = StudentUserFactory()
    students[0].user = student_user
    students[0].save(update_fields=["user"])
    return {"admin": AdminFactory(), "teacher": teacher, "student": student_user}


def _filters(choice: dict, courses) -> RecordFilters:
    date_from = date_to = None
    if choice["date_from"] is not None:
        date_from = MONDAY + dt.timedelta(days=choice["date_from"])
    if choice["length"] is not None:
        date_to = (date_from or MONDAY) + dt.timedelta(days=choice["length"])
    return RecordFilters(
        date_from=date_from,
        date_to=date_to,
        courses=(courses[-1].pk,) if choice["course"] else (),
        class_division=choice["class_division"],
        study_year=choice["study_year"],
        semester=choice["semester"],
    )


def _report(name, user, record_filters, pk=None, *, live):
    try:
        payload = compute_report(name, user, record_filters, pk, live=live)
    except Http404:
        return "404"
    payload.pop("generated_at", None)
    # Through JSON, as the API sends it: a Decimal or a date where a number belongs fails.
    return json.loads(json.dumps(payload))


def _differences(stored, live, path="") -> list[str]:
    """Where two payloads differ, for a readable failure."""
    if isinstance(stored, dict) and isinstance(live, dict):
        keys = sorted(set(stored) | set(live), key=str)
        return [d for k in keys for d in _differences(stored.get(k), live.get(k), f"{path}.{k}")]
    if isinstance(stored, list) and isinstance(live, list) and len(stored) == len(live):
        return [
            d
            for i, pair in enumerate(zip(stored, live, strict=True))
            for d in _differences(*pair, f"{path}[{i}]")
        ]
    return [] if stored == live else [f"{path}: stored {stored!r} live {live!r}"]


def _assert_equal_everywhere(user, choice, students, courses):
    record_filters = _filters(choice, courses)
    course = courses[choice["course_index"] % len(courses)]
    student = students[choice["student_index"] % len(students)]
    names = [("student", student.pk)]
    if choice["role"] != "student":
        names += [(name, None) for name in REPORTS] + [("course", course.pk)]
    for name, pk in names:
        stored = _report(name, user, record_filters, pk, live=False)
        live = _report(name, user, record_filters, pk, live=True)
        assert stored == live, (name, pk, record_filters, _differences(stored, live))


@pytest.mark.postgres
@pytest.mark.django_db
@settings(
    # Fewer on PostgreSQL, where each example's rebuild and reports cost more round trips.
    max_examples=15 if connection.vendor == "postgresql" else 30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=school, choice=filters)
def test_rollups_every_report_equals_the_live_engine(data, choice):
    with transaction.atomic():
        students, courses = _build(data)
        users = _users(students, courses)
        results.rebuild_results()

        _assert_equal_everywhere(users[choice["role"]], choice, students, courses)
        transaction.set_rollback(True)
