import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.academics import services
from apps.academics.models import Attendance, Course, Grade, Student
from tests.factories import CourseFactory, StudentFactory, enroll


def _student_data(**overrides):
    data = {
        "student_id": "IEK-2025_001",
        "first_name": "Μαρία",
        "last_name": "Παπαδοπούλου",
        "email": "Maria.Papadopoulou@Example.org",
        "mobile_phone": "+30 690 000 0001",
        "study_year": 2,
        "enrollment_date": dt.date(2025, 9, 15),
    }
    data.update(overrides)
    return data


def test_student_create_normalises_email_and_phone(db, admin_user):
    student = services.student_create(actor=admin_user, **_student_data())

    student.refresh_from_db()
    assert student.email == "maria.papadopoulou@example.org"
    assert student.mobile_phone == "+306900000001"
    assert student.history.first().history_user == admin_user


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("student_id", "-bad id", "Student ID must start with a letter or digit"),
        ("email", "not-an-email", "Enter a valid email address."),
        ("mobile_phone", "12-34", "Enter a phone number of 7 to 20 digits"),
        ("study_year", 5, "less than or equal to 4"),
        # Two days ahead: computed at collection, which may be just before midnight.
        ("enrollment_date", timezone.localdate() + dt.timedelta(days=2), "cannot be in the future"),
        ("first_name", "", "This field cannot be blank."),
    ],
)
def test_student_create_refuses_invalid_field(db, admin_user, field, value, message):
    with pytest.raises(ValidationError) as error:
        services.student_create(actor=admin_user, **_student_data(**{field: value}))

    assert field in error.value.message_dict
    assert message in " ".join(error.value.message_dict[field])
    assert Student.objects.count() == 0


def test_student_create_refuses_duplicate_student_id_and_email(db, admin_user):
    services.student_create(actor=admin_user, **_student_data())

    with pytest.raises(ValidationError) as error:
        services.student_create(actor=admin_user, **_student_data(email="other@example.org"))

    assert "A student with this student ID already exists." in str(error.value)
    with pytest.raises(ValidationError, match="email already exists"):
        services.student_create(actor=admin_user, **_student_data(student_id="OTHER1"))


def test_student_delete_is_soft_and_frees_the_student_id(db, admin_user):
    student = services.student_create(actor=admin_user, **_student_data())

    services.student_delete(student=student, actor=admin_user)
    again = services.student_create(actor=admin_user, **_student_data())

    assert not Student.objects.filter(pk=student.pk).exists()
    assert Student.all_objects.get(pk=student.pk).is_deleted
    assert Student.objects.get().pk == again.pk


def test_service_refuses_fields_it_does_not_own(db, admin_user):
    with pytest.raises(ValidationError) as error:
        services.student_create(actor=admin_user, deleted_at=timezone.now(), **_student_data())

    assert "deleted_at" in error.value.message_dict


def test_course_create_uppercases_code_and_fills_rule_defaults(db, admin_user):
    course = services.course_create(
        actor=admin_user,
        course_code="net-101",
        course_name="Δίκτυα",
        semester="A",
        evaluation_rules=[
            {"category": "Midterm", "weight": 40},
            {"category": "Final", "weight": "60"},
        ],
    )

    assert course.course_code == "NET-101"
    assert course.evaluation_rules[1] == {
        "category": "Final",
        "weight": 60.0,
        "include_daily_performance": True,
        "daily_performance_multiplier": 1.0,
    }


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            [{"category": "Midterm", "weight": 40}, {"category": "Final", "weight": 50}],
            "add up to 100 (they add up to 90)",
        ),
        (
            [
                {"category": "Final Exam", "weight": 50},
                {"category": "Τελική Εξέταση", "weight": 50},
            ],
            "appears twice",
        ),
        ([{"category": "", "weight": 100}], "has no category"),
        ([{"category": "Lab", "weight": "abc"}], "must be a number"),
        ({"category": "Lab"}, "must be a list"),
    ],
)
def test_course_create_refuses_bad_evaluation_rules(db, admin_user, rules, message):
    with pytest.raises(ValidationError) as error:
        services.course_create(
            actor=admin_user,
            course_code="X1",
            course_name="X",
            semester="A",
            evaluation_rules=rules,
        )

    assert message in " ".join(error.value.message_dict["evaluation_rules"])
    assert not Course.objects.exists()


def test_course_set_teachers_refuses_non_teachers(db, admin_user, student_user):
    course = CourseFactory()

    with pytest.raises(ValidationError, match="not teachers"):
        services.course_set_teachers(course=course, teachers=[student_user], actor=admin_user)


def test_enrollment_create_refuses_duplicate(db, admin_user):
    student, course = StudentFactory(), CourseFactory()
    services.enrollment_create(student=student, course=course, actor=admin_user)

    with pytest.raises(ValidationError, match="already enrolled"):
        services.enrollment_create(student=student, course=course, actor=admin_user)


def test_grade_create_refuses_grade_above_max_and_unenrolled_student(db, teacher_user):
    student, course = StudentFactory(), CourseFactory()

    with pytest.raises(ValidationError, match="not enrolled"):
        services.grade_create(
            student=student, course=course, assignment_name="HW1", category="Final",
            grade=Decimal("5"), actor=teacher_user,
        )  # fmt: skip
    enroll(student, course)
    with pytest.raises(ValidationError) as error:
        services.grade_create(
            student=student, course=course, assignment_name="HW1", category="Final",
            grade=Decimal("21"), max_grade=Decimal("20"), actor=teacher_user,
        )  # fmt: skip

    assert "cannot be higher than the maximum grade (20)" in error.value.message_dict["grade"][0]
    assert not Grade.objects.exists()


def test_grade_create_refuses_submission_before_assignment(db, teacher_user):
    student, course = StudentFactory(), CourseFactory()
    enroll(student, course)

    with pytest.raises(ValidationError) as error:
        services.grade_create(
            student=student, course=course, assignment_name="HW1", category="Final",
            grade=Decimal("5"), date_assigned=dt.date(2025, 10, 10),
            date_submitted=dt.date(2025, 10, 9), actor=teacher_user,
        )  # fmt: skip

    assert "date_submitted" in error.value.message_dict


def test_grade_record_updates_existing_assignment_and_keeps_history(db, teacher_user):
    student, course = StudentFactory(), CourseFactory()
    enroll(student, course)
    first = services.grade_record(
        student=student, course=course, assignment_name="Midterm", category="Midterm",
        grade=Decimal("55"), actor=teacher_user,
    )  # fmt: skip

    second = services.grade_record(
        student=student, course=course, assignment_name="Midterm", category="Midterm",
        grade=Decimal("65"), actor=teacher_user,
    )  # fmt: skip

    assert first.pk == second.pk
    assert Grade.objects.get().grade == Decimal("65")
    assert [h.grade for h in second.history.all()] == [Decimal("65"), Decimal("55")]
    assert {h.history_user for h in second.history.all()} == {teacher_user}


def test_attendance_create_refuses_duplicate_slot_and_mark_updates_it(db, teacher_user):
    student, course = StudentFactory(), CourseFactory()
    enroll(student, course)
    day = dt.date(2025, 10, 6)
    services.attendance_create(
        student=student, course=course, date=day, status="Present", actor=teacher_user
    )

    with pytest.raises(ValidationError, match="already recorded"):
        services.attendance_create(
            student=student, course=course, date=day, status="absent", actor=teacher_user
        )
    services.attendance_mark(
        student=student, course=course, date=day, status="absent", actor=teacher_user
    )

    record = Attendance.objects.get()
    assert record.status == "absent"
    assert record.history.count() == 2


def test_attendance_refuses_unknown_status_and_future_date(db, teacher_user):
    student, course = StudentFactory(), CourseFactory()
    enroll(student, course)

    with pytest.raises(ValidationError) as error:
        services.attendance_create(
            student=student, course=course, date=timezone.localdate() + dt.timedelta(days=2),
            status="asleep", actor=teacher_user,
        )  # fmt: skip

    assert set(error.value.message_dict) == {"date", "status"}
    assert not Attendance.objects.exists()


def test_daily_performance_refuses_score_above_max(db, teacher_user):
    student, course = StudentFactory(), CourseFactory()
    enroll(student, course)

    with pytest.raises(ValidationError, match="maximum score"):
        services.daily_performance_create(
            student=student, course=course, category="Lab", score=Decimal("11"), actor=teacher_user
        )


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("Present", "present"), ("ABSENT", "absent"), ("Απών", "absent"), ("Καθυστέρηση", "late")],
)
def test_attendance_status_accepts_any_case_and_greek_words(db, teacher_user, typed, stored):
    student, course = StudentFactory(), CourseFactory()
    enroll(student, course)

    record = services.attendance_create(
        student=student, course=course, date=dt.date(2025, 10, 6), status=typed, actor=teacher_user
    )

    assert record.status == stored


def test_grade_create_refuses_negative_grade_in_plain_words(db, teacher_user):
    student, course = StudentFactory(), CourseFactory()
    enroll(student, course)

    with pytest.raises(ValidationError) as error:
        services.grade_create(
            student=student, course=course, assignment_name="HW1", category="Final",
            grade=Decimal("-5"), actor=teacher_user,
        )  # fmt: skip

    assert error.value.message_dict["grade"] == ["A grade cannot be negative."]
