"""Every write to the school's records goes through here.

Each function is keyword-only, runs ``full_clean`` (the same rules the admin and the
importer meet) and saves inside a transaction, recording who did it in the history.
A ``django.core.exceptions.ValidationError`` with field messages is the only failure a
caller has to handle; database integrity errors are translated into it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.academics import changes, posting
from apps.academics.models import (
    Attendance,
    Course,
    DailyPerformance,
    Enrollment,
    EnrollmentStatus,
    Grade,
    GradePosting,
    Student,
)
from apps.accounts.models import Role, User

STUDENT_FIELDS = {
    "student_id", "first_name", "last_name", "father_name", "date_of_birth", "email",
    "mobile_phone", "phone", "study_year", "academic_year", "class_division", "enrollment_date",
    "is_active", "health_issue", "notes", "user",
}  # fmt: skip
COURSE_FIELDS = {
    "course_code", "course_name", "semester", "credits", "description", "evaluation_rules",
    "absence_penalty", "hours_per_week", "periods_per_week", "is_active", "grade_posting",
}  # fmt: skip
ENROLLMENT_FIELDS = {"enrolled_at", "status"}
GRADE_FIELDS = {
    "assignment_name", "category", "grade", "max_grade", "weight", "date_assigned",
    "date_submitted", "notes",
}  # fmt: skip
ATTENDANCE_FIELDS = {"date", "period_number", "status", "notes"}
DAILY_PERFORMANCE_FIELDS = {"date", "category", "score", "max_score", "notes"}


def _assign(instance: models.Model, data: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError({name: [_("This field cannot be set here.")] for name in unknown})
    for name, value in data.items():
        setattr(instance, name, value)


def _save(instance: models.Model, *, actor: User | None) -> models.Model:
    """Validate with the model's own rules, then save; integrity races become messages."""
    instance.full_clean()
    instance._history_user = actor
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        raise ValidationError(_integrity_message(instance, error)) from error
    return instance


def _integrity_message(instance: models.Model, error: IntegrityError) -> str:
    """A unique or check constraint lost a race with another writer; say which one."""
    text = str(error)
    for constraint in instance._meta.constraints:
        if constraint.name in text:
            return str(constraint.violation_error_message or constraint.name)
    return _("The record conflicts with existing data.")


# --- Students --------------------------------------------------------------------------------
@transaction.atomic
def student_create(*, actor: User | None, **data: Any) -> Student:
    student = Student()
    _assign(student, data, STUDENT_FIELDS)
    return _save(student, actor=actor)


@transaction.atomic
def student_update(*, student: Student, actor: User | None, **data: Any) -> Student:
    _assign(student, data, STUDENT_FIELDS)
    return _save(student, actor=actor)


@transaction.atomic
def student_delete(*, student: Student, actor: User | None) -> None:
    """Soft delete: the row stays (with its grades) for the history and can be restored."""
    student.deleted_at = timezone.now()
    student._history_user = actor
    student.save(update_fields=["deleted_at", "updated_at"])


@transaction.atomic
def student_restore(*, student: Student, actor: User | None) -> Student:
    """Undo a soft delete; refused while another live student holds the same ID or email."""
    student.deleted_at = None
    return _save(student, actor=actor)


# --- Courses ---------------------------------------------------------------------------------
@transaction.atomic
def course_create(
    *, actor: User | None, teachers: Iterable[User] | None = None, **data: Any
) -> Course:
    course = Course()
    _assign(course, data, COURSE_FIELDS)
    _save(course, actor=actor)
    if teachers is not None:
        course_set_teachers(course=course, teachers=teachers, actor=actor)
    return course


@transaction.atomic
def course_update(
    *, course: Course, actor: User | None, teachers: Iterable[User] | None = None, **data: Any
) -> Course:
    """Change a course. Switching its grade posting from manual to automatic posts every
    hidden grade (each student told once), so no grade stays hidden under automatic."""
    was_manual = data.get("grade_posting") == GradePosting.AUTOMATIC and (
        # The stored policy: the admin's form has already set the new one on the instance.
        Course.all_objects.filter(pk=course.pk, grade_posting=GradePosting.MANUAL).exists()
    )
    _assign(course, data, COURSE_FIELDS)
    _save(course, actor=actor)
    if teachers is not None:
        course_set_teachers(course=course, teachers=teachers, actor=actor)
    if was_manual:
        posting.grades_post(course=course, actor=actor)
    return course


@transaction.atomic
def course_set_teachers(*, course: Course, teachers: Iterable[User], actor: User | None) -> None:
    teachers = list(teachers)
    not_teachers = [user.username for user in teachers if user.role != Role.TEACHER]
    if not_teachers:
        raise ValidationError(
            {
                "teachers": _("These users are not teachers: %(names)s")
                % {"names": ", ".join(not_teachers)}
            }
        )
    course._history_user = actor
    course.teachers.set(teachers)


@transaction.atomic
def course_delete(*, course: Course, actor: User | None) -> None:
    course.deleted_at = timezone.now()
    course._history_user = actor
    course.save(update_fields=["deleted_at", "updated_at"])


@transaction.atomic
def course_restore(*, course: Course, actor: User | None) -> Course:
    """Undo a soft delete; refused while another live course holds the same code."""
    course.deleted_at = None
    return _save(course, actor=actor)


# --- Enrollments -----------------------------------------------------------------------------
@transaction.atomic
def enrollment_create(
    *, student: Student, course: Course, actor: User | None, **data: Any
) -> Enrollment:
    enrollment = Enrollment(student=student, course=course)
    _assign(enrollment, data, ENROLLMENT_FIELDS)
    return _save(enrollment, actor=actor)


@transaction.atomic
def enrollment_update(*, enrollment: Enrollment, actor: User | None, **data: Any) -> Enrollment:
    _assign(enrollment, data, ENROLLMENT_FIELDS)
    return _save(enrollment, actor=actor)


@transaction.atomic
def enrollment_drop(*, enrollment: Enrollment, actor: User | None) -> Enrollment:
    return enrollment_update(enrollment=enrollment, actor=actor, status=EnrollmentStatus.DROPPED)


@transaction.atomic
def enrollment_delete(*, enrollment: Enrollment, actor: User | None) -> None:
    enrollment._history_user = actor
    enrollment.delete()


# --- Grades ----------------------------------------------------------------------------------
@transaction.atomic
def grade_create(
    *,
    student: Student,
    course: Course,
    assignment_name: str,
    category: str,
    grade: Decimal,
    actor: User | None,
    **data: Any,
) -> Grade:
    record = Grade(
        student=student,
        course=course,
        assignment_name=assignment_name,
        category=category,
        grade=grade,
    )
    _assign(record, data, GRADE_FIELDS)
    record.posted_at = posting.posted_at_for_new(course.grade_posting, timezone.now())
    _save(record, actor=actor)
    _announce_grade(record, actor=actor, updated=False)
    return record


@transaction.atomic
def grade_record(
    *,
    student: Student,
    course: Course,
    assignment_name: str,
    category: str,
    grade: Decimal,
    actor: User | None,
    **data: Any,
) -> Grade:
    """Create the grade, or update it when the student already has this assignment."""
    existing = Grade.objects.filter(
        student=student, course=course, assignment_name=assignment_name
    ).first()
    if existing is None:
        return grade_create(
            student=student,
            course=course,
            assignment_name=assignment_name,
            category=category,
            grade=grade,
            actor=actor,
            **data,
        )
    return grade_update(grade_obj=existing, actor=actor, category=category, grade=grade, **data)


@transaction.atomic
def grade_update(*, grade_obj: Grade, actor: User | None, **data: Any) -> Grade:
    _assign(grade_obj, data, GRADE_FIELDS)
    policy = grade_obj.course.grade_posting
    if policy == GradePosting.AUTOMATIC or _grade_changed(grade_obj):
        grade_obj.posted_at = posting.posted_at_for_change(
            policy, grade_obj.posted_at, timezone.now()
        )
    _save(grade_obj, actor=actor)
    _announce_grade(grade_obj, actor=actor, updated=True)
    return grade_obj


def _grade_changed(grade_obj: Grade) -> bool:
    """Whether any value differs from the stored row (read again: the admin's form has
    already set the new values on the instance)."""
    stored = Grade.objects.filter(pk=grade_obj.pk).values(*GRADE_FIELDS).first()
    if stored is None:
        return True
    try:
        return any(
            Grade._meta.get_field(name).to_python(getattr(grade_obj, name)) != value
            for name, value in stored.items()
        )
    except ValidationError:
        return True  # refused by the save that follows anyway


def _announce_grade(record: Grade, *, actor: User | None, updated: bool) -> None:
    """The change hook hears of the grade; the student only when it is posted (visible)."""
    posted = {record.pk: updated} if record.posted_at is not None else {}
    changes.record_change(
        kinds=[changes.GRADE],
        student_ids=[record.student_id],
        course_ids=[record.course_id],
        actor=actor,
        grades_posted=posted,
        grade_categories=record.touched_categories(),
    )


@transaction.atomic
def grade_delete(*, grade_obj: Grade, actor: User | None) -> None:
    grade_obj._history_user = actor
    grade_obj.delete()


# --- Attendance ------------------------------------------------------------------------------
@transaction.atomic
def attendance_create(
    *,
    student: Student,
    course: Course,
    date: dt.date,
    status: str,
    actor: User | None,
    period_number: int = 1,
    notes: str = "",
) -> Attendance:
    """Record one slot; a second record for the same slot is refused."""
    record = Attendance(
        student=student,
        course=course,
        date=date,
        period_number=period_number,
        status=status,
        notes=notes,
    )
    _save(record, actor=actor)
    _announce_attendance(record, actor=actor, previous_status=None)
    return record


@transaction.atomic
def attendance_mark(
    *,
    student: Student,
    course: Course,
    date: dt.date,
    status: str,
    actor: User | None,
    period_number: int = 1,
    notes: str | None = None,
) -> Attendance:
    """Set the status of a slot, creating it if needed (the attendance sheet's one click)."""
    existing = (
        Attendance.objects.select_for_update()
        .filter(student=student, course=course, date=date, period_number=period_number)
        .first()
    )
    if existing is None:
        return attendance_create(
            student=student,
            course=course,
            date=date,
            period_number=period_number,
            status=status,
            notes=notes or "",
            actor=actor,
        )
    data = {"status": status} if notes is None else {"status": status, "notes": notes}
    return attendance_update(attendance=existing, actor=actor, **data)


@transaction.atomic
def attendance_update(*, attendance: Attendance, actor: User | None, **data: Any) -> Attendance:
    previous_status = attendance.status  # an absence already reported is not reported again
    _assign(attendance, data, ATTENDANCE_FIELDS)
    _save(attendance, actor=actor)
    _announce_attendance(attendance, actor=actor, previous_status=previous_status)
    return attendance


def _announce_attendance(
    record: Attendance, *, actor: User | None, previous_status: str | None
) -> None:
    """An absence is announced (the notice rules decide who hears); other marks are only
    recorded as changed."""
    absences = {record.pk: previous_status} if record.status == "absent" else {}
    changes.record_change(
        kinds=[changes.ATTENDANCE],
        student_ids=[record.student_id],
        course_ids=[record.course_id],
        actor=actor,
        absences=absences,
    )


@transaction.atomic
def attendance_delete(*, attendance: Attendance, actor: User | None) -> None:
    attendance._history_user = actor
    attendance.delete()


# --- Daily performance -----------------------------------------------------------------------
@transaction.atomic
def daily_performance_create(
    *,
    student: Student,
    course: Course,
    category: str,
    score: Decimal,
    actor: User | None,
    **data: Any,
) -> DailyPerformance:
    record = DailyPerformance(student=student, course=course, category=category, score=score)
    _assign(record, data, DAILY_PERFORMANCE_FIELDS)
    return _save(record, actor=actor)


@transaction.atomic
def daily_performance_update(
    *, record: DailyPerformance, actor: User | None, **data: Any
) -> DailyPerformance:
    _assign(record, data, DAILY_PERFORMANCE_FIELDS)
    return _save(record, actor=actor)


@transaction.atomic
def daily_performance_delete(*, record: DailyPerformance, actor: User | None) -> None:
    record._history_user = actor
    record.delete()
