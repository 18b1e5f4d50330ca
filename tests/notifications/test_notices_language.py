"""The school's notices follow each recipient's language (apps/academics/notices.py)."""

from django.core import mail

from apps.academics import services as academics
from apps.notifications import services
from apps.notifications.models import Notification
from tests.factories import (
    AttendanceFactory,
    CourseFactory,
    StudentFactory,
    StudentUserFactory,
    TeacherFactory,
    enroll,
)


def test_absence_notice_in_each_students_language_from_the_same_import(
    db, django_capture_on_commit_callbacks
):
    channels = {"attendance_alert": {"web": True, "email": True}}
    greek_user, english_user = StudentUserFactory(), StudentUserFactory()
    services.preferences_update(user=greek_user, language="el", kinds=channels)
    services.preferences_update(user=english_user, language="en", kinds=channels)
    course = CourseFactory(course_code="NET101", teachers=[TeacherFactory()])
    students = [StudentFactory(user=greek_user), StudentFactory(user=english_user)]
    for student in students:
        enroll(student, course)
    marks = [AttendanceFactory(student=s, course=course, status="present") for s in students]
    teacher = course.teachers.first()

    with django_capture_on_commit_callbacks(execute=True):
        for mark in marks:
            academics.attendance_update(attendance=mark, actor=teacher, status="absent")

    titles = dict(
        Notification.objects.filter(recipient__in=[greek_user, english_user]).values_list(
            "recipient_id", "title"
        )
    )
    assert titles[greek_user.pk].startswith("Καταχωρίστηκε απουσία στο NET101")
    assert titles[english_user.pk].startswith("Absence recorded in NET101")
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "Γεια σας" in by_address[greek_user.email].body
