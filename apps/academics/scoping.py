"""Who may see what: one queryset helper per model, used by every list, page and export.

- admin (or superuser): everything;
- teacher: the courses they teach, those courses' enrollments, grades, attendance and
  daily performance, and the students with a counted enrollment in one of them
  (``Enrollment.objects.counted()``: a student who dropped the course is not theirs, so
  their lists, pages and analytics agree on who counts);
- student: their own records only (through ``Student.user``);
- anyone else: nothing.

Callers then look objects up *inside* these querysets, so an out-of-scope id is simply
not found (404), never a leak. The role itself is read here too (``role_of``,
``is_admin``, ``is_staff``): views and services ask these rather than the user model.
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


def role_of(user: User | None) -> str | None:
    """The user's role (``Role``), or None for anonymous and deactivated users."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return user.effective_role


def is_admin(user: User | None) -> bool:
    return role_of(user) == Role.ADMIN


def is_staff(user: User | None) -> bool:
    """Admins and teachers: the roles that import, export and mark."""
    return role_of(user) in (Role.ADMIN, Role.TEACHER)


def _taught(user: User) -> QuerySet[Course]:
    """The live courses a teacher teaches: the one definition of a teacher's scope."""
    return Course.objects.filter(teachers=user)


def courses_for(user: User | None) -> QuerySet[Course]:
    role = role_of(user)
    if role == Role.ADMIN:
        return Course.objects.all()
    if role == Role.TEACHER:
        return _taught(user)
    if role == Role.STUDENT:
        return Course.objects.filter(enrollments__student__user=user).distinct()
    return Course.objects.none()


def students_for(user: User | None) -> QuerySet[Student]:
    role = role_of(user)
    if role == Role.ADMIN:
        return Student.objects.all()
    if role == Role.TEACHER:
        taught = Enrollment.objects.counted().filter(course_id__in=_taught(user).values("pk"))
        return Student.objects.filter(pk__in=taught.values("student_id"))
    if role == Role.STUDENT:
        return Student.objects.filter(user=user)
    return Student.objects.none()


def enrollments_in_visible_courses(user: User | None, **course_lookups) -> QuerySet[Enrollment]:
    """Counted enrollments in the courses the user can see (narrowed by ``course_lookups``):
    what a course or semester filter over students may follow. A course outside the scope
    matches nothing, so such a filter never tells who takes a course the user cannot see."""
    courses = courses_for(user).filter(**course_lookups)
    return Enrollment.objects.counted().filter(course_id__in=courses.values("pk"))


def enrollments_of_visible_students(user: User | None, **student_lookups) -> QuerySet[Enrollment]:
    """Counted enrollments of the students the user can see (narrowed by ``student_lookups``):
    what a student filter over courses may follow (the mirror of the above)."""
    students = students_for(user).filter(**student_lookups)
    return Enrollment.objects.counted().filter(student_id__in=students.values("pk"))


def _records_for(model, user: User | None) -> QuerySet:
    role = role_of(user)
    # Records of soft-deleted students and courses are hidden. Excluding the (few) deleted
    # ids is an anti-join; filtering on the joined rows' deleted_at made every count join
    # millions of marks to both tables.
    queryset = model.objects.exclude(
        student_id__in=Student.all_objects.deleted().values("pk")
    ).exclude(course_id__in=Course.all_objects.deleted().values("pk"))
    if role == Role.ADMIN:
        return queryset
    if role == Role.TEACHER:
        return queryset.filter(course_id__in=_taught(user).values("pk"))
    if role == Role.STUDENT:
        return queryset.filter(student__user=user)
    return model.objects.none()


def enrollments_for(user: User | None) -> QuerySet[Enrollment]:
    return _records_for(Enrollment, user)


def grades_for(user: User | None) -> QuerySet[Grade]:
    """A student sees posted grades only (``apps.academics.posting``); staff see hidden
    ones too, to post them."""
    queryset = _records_for(Grade, user)
    if role_of(user) == Role.STUDENT:
        queryset = queryset.filter(posted_at__isnull=False)
    return queryset


def attendance_for(user: User | None) -> QuerySet[Attendance]:
    return _records_for(Attendance, user)


def daily_performance_for(user: User | None) -> QuerySet[DailyPerformance]:
    return _records_for(DailyPerformance, user)


def can_manage_records(user: User | None) -> bool:
    """Students, courses and enrollments are created and changed by admins only."""
    return is_admin(user)


def markable_course_ids(user: User | None) -> set[int] | None:
    """Ids of the courses whose grades, attendance and daily performance the user may
    write (the importer's scope); None means every course (admins)."""
    role = role_of(user)
    if role == Role.ADMIN:
        return None
    if role == Role.TEACHER:
        return set(_taught(user).values_list("pk", flat=True))
    return set()


def can_write_marks(user: User | None, course: Course) -> bool:
    """Grades, attendance and daily performance: admins anywhere, teachers in their courses."""
    role = role_of(user)
    if role == Role.ADMIN:
        return True
    if role == Role.TEACHER:
        return _taught(user).filter(pk=course.pk).exists()
    return False
