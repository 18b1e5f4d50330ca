import pytest

from apps.notifications.models import Notification
from tests.factories import (
    CourseFactory,
    StudentFactory,
    StudentUserFactory,
    TeacherFactory,
    enroll,
)


@pytest.fixture
def course_setup(db):
    """A course with its teacher, an enrolled student (with a login) and an outsider teacher."""
    teacher = TeacherFactory()
    other_teacher = TeacherFactory()
    course = CourseFactory(teachers=[teacher])
    student_user = StudentUserFactory()
    student = StudentFactory(user=student_user)
    enroll(student, course)
    return {
        "teacher": teacher,
        "other_teacher": other_teacher,
        "course": course,
        "student": student,
        "student_user": student_user,
    }


def make_notifications(user, count: int, *, kind: str = "system", read: bool = False):
    from django.utils import timezone

    rows = [
        Notification(
            recipient=user,
            kind=kind,
            title=f"Note {index}",
            read_at=timezone.now() if read else None,
        )
        for index in range(count)
    ]
    return Notification.objects.bulk_create(rows)
