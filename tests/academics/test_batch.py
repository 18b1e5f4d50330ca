"""Batch services: the same rules and words as the single services, one change per batch."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.academics import batch, changes, services
from apps.academics.batch import BatchRow, revert_rows, validate_rows, write_rows
from apps.academics.models import Attendance, Grade, Student
from tests.factories import (
    AttendanceFactory,
    CourseFactory,
    EnrollmentFactory,
    GradeFactory,
    StudentFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

RULES = [{"category": "Homework", "weight": 40}, {"category": "Final", "weight": 60}]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run set-up writes in their own (captured) commit, so a test hears only its own."""

    def run(make):
        with django_capture_on_commit_callbacks(execute=True):
            return make()

    return run


@pytest.fixture
def heard():
    """Every change the hook sends while the test runs."""
    received: list[changes.Change] = []

    def receiver(sender, change, **kwargs):
        received.append(change)

    changes.records_changed.connect(receiver, dispatch_uid="test-batch-heard")
    yield received
    changes.records_changed.disconnect(dispatch_uid="test-batch-heard")


def _enrolled_pair():
    student = StudentFactory()
    course = CourseFactory(evaluation_rules=RULES)
    EnrollmentFactory(student=student, course=course)
    return student, course


def _grade_row(student, course, **values) -> BatchRow:
    base = {
        "student_id": student.student_id,
        "course_code": course.course_code,
        "assignment_name": "Essay 1",
        "category": "Homework",
        "grade": Decimal("70"),
    }
    return BatchRow(values={**base, **values})


# --- Validation -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad",
    [
        {"grade": Decimal("-5")},
        {"grade": Decimal("120")},
        {"max_grade": Decimal("0"), "grade": Decimal("0")},
        {"weight": Decimal("5")},
        {"date_assigned": dt.date(2025, 10, 10), "date_submitted": dt.date(2025, 10, 1)},
        {"date_submitted": dt.date(2999, 1, 1)},
        {"category": "Essays"},
    ],
    ids=["negative", "above-max", "zero-max", "weight", "submitted-early", "future", "category"],
)
def test_batch_grade_validation_refuses_with_the_single_services_words(bad):
    student, course = _enrolled_pair()
    row = _grade_row(student, course, **bad)

    with pytest.raises(ValidationError) as single:
        services.grade_create(
            student=student,
            course=course,
            assignment_name="Essay 1",
            category=bad.get("category", "Homework"),
            grade=bad.get("grade", Decimal("70")),
            actor=None,
            **{name: value for name, value in bad.items() if name not in ("category", "grade")},
        )
    validate_rows(Grade, [row])

    assert row.action == "error"
    assert sorted(message for _field, message in row.errors) == sorted(single.value.messages)
    assert {field for field, _message in row.errors} == set(single.value.message_dict)


def test_batch_grade_of_a_student_not_enrolled_is_refused_with_the_same_words():
    student, course = StudentFactory(), CourseFactory(evaluation_rules=RULES)
    row = _grade_row(student, course)

    with pytest.raises(ValidationError) as single:
        services.grade_create(
            student=student,
            course=course,
            assignment_name="Essay 1",
            category="Homework",
            grade=Decimal("70"),
            actor=None,
        )
    validate_rows(Grade, [row])

    assert row.errors == [("student_id", single.value.message_dict["student"][0])]


def test_batch_student_email_taken_is_refused_with_the_constraint_words(admin_user):
    StudentFactory(email="taken@example.org")
    row = BatchRow(
        values={
            "student_id": "B1",
            "first_name": "Anna",
            "last_name": "Alpha",
            "email": "taken@example.org",
        }
    )

    with pytest.raises(ValidationError) as single:
        services.student_create(
            actor=admin_user,
            student_id="B2",
            first_name="Anna",
            last_name="Alpha",
            email="taken@example.org",
        )
    validate_rows(Student, [row])

    # The single path meets the database constraint (a form-wide error), the batch names
    # the column; the words are the constraint's own.
    assert single.value.messages == ["A student with this email already exists."]
    assert row.errors == [("email", single.value.messages[0])]


def test_batch_grade_without_assigned_date_takes_its_submission_date():
    student, course = _enrolled_pair()
    row = _grade_row(student, course, date_submitted=dt.date(2024, 5, 3))

    validate_rows(Grade, [row])

    assert row.action == "new"
    assert row.attrs["date_assigned"] == dt.date(2024, 5, 3)


def test_batch_validation_reads_in_bulk_whatever_the_number_of_rows(
    django_assert_num_queries,
):
    pairs = [_enrolled_pair() for _ in range(3)]
    rows = [
        _grade_row(student, course, assignment_name=f"Essay {n}")
        for student, course in pairs
        for n in range(20)
    ]

    # students, courses, their rules, existing grades, enrollments
    with django_assert_num_queries(5):
        validate_rows(Grade, rows)

    assert {row.action for row in rows} == {"new"}


def test_batch_natural_key_takes_defaults_and_requires_the_rest():
    student, course = _enrolled_pair()
    link = {"student_id": student.student_id, "course_code": course.course_code}
    no_period = BatchRow(values={**link, "date": dt.date(2025, 10, 6), "status": "absent"})
    no_date = BatchRow(values={**link, "date": None, "status": "absent"})

    validate_rows(Attendance, [no_period, no_date])

    assert (no_period.action, no_period.key[2:]) == ("new", (dt.date(2025, 10, 6), 1))
    assert no_period.attrs["period_number"] == 1
    assert no_date.errors == [("date", "This value is required.")]


def test_batch_validation_decides_new_update_and_skip():
    student, course = _enrolled_pair()
    GradeFactory(student=student, course=course, assignment_name="Same", grade=Decimal("50"))
    GradeFactory(student=student, course=course, assignment_name="Changed", grade=Decimal("50"))
    rows = [
        _grade_row(student, course, assignment_name="Same", grade=Decimal("50")),
        _grade_row(student, course, assignment_name="Changed", grade=Decimal("65")),
        _grade_row(student, course, assignment_name="New"),
    ]

    validate_rows(Grade, rows)

    assert [row.action for row in rows] == ["skip", "update", "new"]
    assert rows[1].after == {"grade": Decimal("65")}


# --- Writing ----------------------------------------------------------------------------------
def test_batch_grade_write_keeps_history_and_announces_one_change(
    admin_user, committed, heard, django_capture_on_commit_callbacks
):
    student, course = committed(_enrolled_pair)
    existing = committed(
        lambda: GradeFactory(
            student=student, course=course, assignment_name="Old", grade=Decimal("40")
        )
    )
    heard.clear()
    rows = [
        _grade_row(student, course, assignment_name="Old", grade=Decimal("45")),
        _grade_row(student, course, assignment_name="New 1"),
        _grade_row(student, course, assignment_name="New 2", category="Final"),
    ]
    validate_rows(Grade, rows)

    with django_capture_on_commit_callbacks(execute=True):
        result = write_rows(
            Grade,
            rows,
            actor=admin_user,
            change_reason="import #99",
            source="import",
            origin="import:99",
        )

    created = list(Grade.objects.filter(assignment_name__startswith="New").order_by("pk"))
    assert result.created_ids == [grade.pk for grade in created]
    assert [(u.pk, u.before["grade"], u.after) for u in result.updates] == [
        (existing.pk, Decimal("40.00"), {"grade": Decimal("45")})
    ]
    assert "updated_at" in result.updates[0].before
    assert len(heard) == 1
    change = heard[0]
    assert change.kinds == {changes.GRADE}
    assert (change.student_ids, change.course_ids) == ({student.pk}, {course.pk})
    assert (change.source, change.origin, change.actor_id) == ("import", "import:99", admin_user.pk)
    assert change.grades_posted == {created[0].pk: False, created[1].pk: False, existing.pk: True}
    assert change.absences == {}
    record = created[0].history.get()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+",
        admin_user,
        "import #99",
    )
    latest = existing.history.order_by("-history_id").first()
    assert (latest.history_type, latest.grade, latest.history_user) == ("~", 45, admin_user)


def test_batch_attendance_write_announces_only_new_absences(
    admin_user, committed, heard, django_capture_on_commit_callbacks
):
    student, course = committed(_enrolled_pair)
    was_present = committed(
        lambda: AttendanceFactory(
            student=student,
            course=course,
            date=dt.date(2025, 10, 6),
            period_number=1,  # the rows below are period 1; the factory's period moves on
            status="present",
        )
    )
    was_absent = committed(
        lambda: AttendanceFactory(
            student=student,
            course=course,
            date=dt.date(2025, 10, 7),
            period_number=1,
            status="absent",
        )
    )
    heard.clear()

    def mark(day: int, status: str, notes: str = "") -> BatchRow:
        return BatchRow(
            values={
                "student_id": student.student_id,
                "course_code": course.course_code,
                "date": dt.date(2025, 10, day),
                "period_number": 1,
                "status": status,
                "notes": notes,
            }
        )

    rows = [mark(6, "absent"), mark(7, "absent", "sick"), mark(8, "absent"), mark(9, "late")]
    validate_rows(Attendance, rows)

    with django_capture_on_commit_callbacks(execute=True):
        result = write_rows(
            Attendance,
            rows,
            actor=admin_user,
            change_reason="import #5",
            source="import",
            origin="import:5",
        )

    new_absence = result.created_ids[0]
    assert [row.action for row in rows] == ["update", "update", "new", "new"]
    assert heard[0].kinds == {changes.ATTENDANCE}
    assert heard[0].absences == {was_present.pk: "present", new_absence: None}
    assert was_absent.pk not in heard[0].absences


def test_batch_student_write_announces_the_students_themselves(
    admin_user, heard, django_capture_on_commit_callbacks
):
    rows = [
        BatchRow(
            values={
                "student_id": f"B{n}",
                "first_name": "Anna",
                "last_name": "Alpha",
                "email": f"B{n}@Example.org",
            }
        )
        for n in range(2)
    ]
    validate_rows(Student, rows)

    with django_capture_on_commit_callbacks(execute=True):
        result = write_rows(
            Student, rows, actor=admin_user, change_reason="seed", source="seed", origin=""
        )

    assert Student.objects.get(student_id="B0").email == "b0@example.org"
    assert heard[0].kinds == {changes.STUDENT}
    assert heard[0].student_ids == set(result.created_ids)
    assert heard[0].source == "seed"


# --- Reverting --------------------------------------------------------------------------------
def test_batch_revert_restores_rows_with_history_and_announces_the_reverted_origin(
    admin_user, committed, heard, django_capture_on_commit_callbacks
):
    student, course = committed(_enrolled_pair)
    existing = committed(
        lambda: GradeFactory(
            student=student, course=course, assignment_name="Old", grade=Decimal("40")
        )
    )
    rows = [
        _grade_row(student, course, assignment_name="Old", grade=Decimal("45")),
        _grade_row(student, course, assignment_name="New"),
    ]
    validate_rows(Grade, rows)
    result = committed(
        lambda: write_rows(
            Grade, rows, actor=admin_user, change_reason="import", source="import", origin="i:1"
        )
    )
    heard.clear()

    with django_capture_on_commit_callbacks(execute=True):
        reverted = revert_rows(
            Grade,
            remove=result.created_ids,
            restore={update.pk: update.before for update in result.updates},
            actor=admin_user,
            change_reason="rollback",
            origin="i:1",
        )

    assert reverted == batch.RevertResult(removed=1, restored=1, recreated=0)
    assert list(Grade.objects.values_list("assignment_name", "grade")) == [("Old", Decimal("40"))]
    removed = Grade.history.get(assignment_name="New", history_type="-")
    assert (removed.history_user, removed.history_change_reason) == (admin_user, "rollback")
    assert len(heard) == 1
    change = heard[0]
    assert (change.kinds, change.reverted_origins) == ({changes.GRADE}, {"i:1"})
    assert (change.student_ids, change.course_ids) == ({student.pk}, {course.pk})
    assert (change.source, change.grades_posted, change.absences) == ("rollback", {}, {})
    existing.refresh_from_db()
    assert existing.updated_at == result.updates[0].before["updated_at"]
