"""Who may see what: one queryset helper per model, used by every list, page and export.

- admin (or superuser): everything;
- teacher: the courses they teach, and those courses' enrollments, students, grades,
  attendance and daily performance;
- student: their own records only (through ``Student.user``);
- anyone else: nothing.

Callers then look objects up *inside* these querysets, so an out-of-scope id is simply
not found (404), never a leak.
"""

from __future__ import annotations

from django.db.models import QuerySet

from apps.academics.models import (
    Attendance,
    Course,
    DailyPerformance,
    Enrollment,
    Grade,
    Student,
)
from apps.accounts.models import Role, User


def _role(user: User | None) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return user.effective_role


def courses_for(user: User | None) -> QuerySet[Course]:
    role = _role(user)
    if role == Role.ADMIN:
        return Course.objects.all()
    if role == Role.TEACHER:
        return Course.objects.filter(teachers=user)
    if role == Role.STUDENT:
        return Course.objects.filter(enrollments__student__user=user).distinct()
    return Course.objects.none()


def students_for(user: User | None) -> QuerySet[Student]:
    role = _role(user)
    if role == Role.ADMIN:
        return Student.objects.all()
    if role == Role.TEACHER:
        return Student.objects.filter(
            pk__in=Enrollment.objects.filter(course__teachers=user).values("student_id")
        )
    if role == Role.STUDENT:
        return Student.objects.filter(user=user)
    return Student.objects.none()


def _records_for(model, user: User | None) -> QuerySet:
    role = _role(user)
    # Records of soft-deleted students and courses are hidden. Excluding the (few) deleted
    # ids is an anti-join; filtering on the joined rows' deleted_at made every count join
    # millions of marks to both tables.
    queryset = model.objects.exclude(
        student_id__in=Student.all_objects.deleted().values("pk")
    ).exclude(course_id__in=Course.all_objects.deleted().values("pk"))
    if role == Role.ADMIN:
        return queryset
    if role == Role.TEACHER:
        return queryset.filter(course__in=Course.objects.filter(teachers=user).values("pk"))
    if role == Role.STUDENT:
        return queryset.filter(student__user=user)
    return model.objects.none()


def enrollments_for(user: User | None) -> QuerySet[Enrollment]:
    return _records_for(Enrollment, user)


def grades_for(user: User | None) -> QuerySet[Grade]:
    return _records_for(Grade, user)


def attendance_for(user: User | None) -> QuerySet[Attendance]:
    return _records_for(Attendance, user)


def daily_performance_for(user: User | None) -> QuerySet[DailyPerformance]:
    return _records_for(DailyPerformance, user)


def can_manage_records(user: User | None) -> bool:
    """Students, courses and enrollments are created and changed by admins only."""
    return _role(user) == Role.ADMIN


def can_write_marks(user: User | None, course: Course) -> bool:
    """Grades, attendance and daily performance: admins anywhere, teachers in their courses."""
    role = _role(user)
    if role == Role.ADMIN:
        return True
    if role == Role.TEACHER:
        return course.teachers.filter(pk=user.pk).exists()
    return False
