"""Grades changed together tell the student in one notice whose title says what happened:
several grades updated, or some new and some updated."""

from decimal import Decimal

from django.db import transaction

from apps.academics import services as academics
from apps.notifications.models import Notification, NotificationKind


def record(setup, name: str, grade: str):
    return academics.grade_create(
        student=setup["student"],
        course=setup["course"],
        assignment_name=name,
        category="Midterm",
        grade=Decimal(grade),
        actor=setup["teacher"],
    )


def latest_notice(setup) -> Notification:
    return Notification.objects.filter(
        recipient=setup["student_user"], kind=NotificationKind.GRADE_POSTED
    ).first()


def test_grades_updated_together_make_one_updated_notice(
    course_setup, django_capture_on_commit_callbacks
):
    setup = course_setup
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first, second = record(setup, "Quiz 1", "60"), record(setup, "Quiz 2", "65")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        academics.grade_update(grade_obj=first, actor=setup["teacher"], grade=Decimal("70"))
        academics.grade_update(grade_obj=second, actor=setup["teacher"], grade=Decimal("75"))

    notice = latest_notice(setup)
    assert notice.title == f"2 grades updated in {setup['course'].course_code}"
    assert notice.data["updated"] is True
    assert Notification.objects.filter(recipient=setup["student_user"]).count() == 2


def test_new_and_updated_grades_together_say_how_many_of_each(
    course_setup, django_capture_on_commit_callbacks
):
    setup = course_setup
    with django_capture_on_commit_callbacks(execute=True):
        first = record(setup, "Quiz 1", "60")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        academics.grade_update(grade_obj=first, actor=setup["teacher"], grade=Decimal("70"))
        record(setup, "Quiz 2", "80")
        record(setup, "Quiz 3", "90")

    notice = latest_notice(setup)
    code = setup["course"].course_code
    assert notice.title == f"2 new and 1 updated grades in {code}"
    assert notice.data["count"] == 3
