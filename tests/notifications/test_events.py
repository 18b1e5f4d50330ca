import datetime as dt
from decimal import Decimal

from apps.academics import services as academics
from apps.notifications import events
from apps.notifications.models import Notification, NotificationKind
from tests.factories import AttendanceFactory, TeacherFactory


def test_grade_create_tells_the_student_after_commit(
    course_setup, django_capture_on_commit_callbacks
):
    setup = course_setup

    with django_capture_on_commit_callbacks(execute=True):
        academics.grade_create(
            student=setup["student"],
            course=setup["course"],
            assignment_name="Midterm paper",
            category="Midterm",
            grade=Decimal("85"),
            actor=setup["teacher"],
        )

    note = Notification.objects.get(recipient=setup["student_user"])
    assert note.kind == NotificationKind.GRADE_POSTED
    assert "Midterm paper 85/100" in note.title
    assert not Notification.objects.filter(recipient=setup["teacher"]).exists()


def test_grade_update_says_updated(course_setup, django_capture_on_commit_callbacks):
    setup = course_setup
    with django_capture_on_commit_callbacks(execute=True):
        grade = academics.grade_create(
            student=setup["student"],
            course=setup["course"],
            assignment_name="Lab 1",
            category="Lab",
            grade=Decimal("70"),
            actor=setup["teacher"],
        )

    with django_capture_on_commit_callbacks(execute=True):
        academics.grade_update(grade_obj=grade, actor=setup["teacher"], grade=Decimal("75"))

    latest = Notification.objects.filter(recipient=setup["student_user"]).first()
    assert latest.title.startswith("Grade updated")
    assert latest.data["grade"] == "75"


def _mark(setup, day: int, status: str):
    return academics.attendance_mark(
        student=setup["student"],
        course=setup["course"],
        date=dt.date(2025, 10, day),
        status=status,
        actor=setup["teacher"],
    )


def test_attendance_third_consecutive_absence_alerts_teachers(
    course_setup, django_capture_on_commit_callbacks, settings
):
    settings.SMS_NOTIFY_CONSECUTIVE_ABSENCES = 3
    settings.SMS_NOTIFY_ATTENDANCE_THRESHOLD = 0
    setup = course_setup

    with django_capture_on_commit_callbacks(execute=True):
        for day in (1, 2, 3):
            _mark(setup, day, "absent")

    teacher_alerts = Notification.objects.filter(recipient=setup["teacher"])
    assert teacher_alerts.count() == 1
    assert teacher_alerts.get().data["consecutive_absences"] == 3
    assert Notification.objects.filter(recipient=setup["student_user"]).count() == 3
    assert not Notification.objects.filter(recipient=setup["other_teacher"]).exists()


def test_attendance_falling_below_threshold_alerts_once(
    course_setup, django_capture_on_commit_callbacks, settings
):
    settings.SMS_NOTIFY_ATTENDANCE_THRESHOLD = 75
    settings.SMS_NOTIFY_CONSECUTIVE_ABSENCES = 99
    setup = course_setup
    for day in (1, 2, 3):
        AttendanceFactory(
            student=setup["student"], course=setup["course"], date=dt.date(2025, 9, day)
        )

    with django_capture_on_commit_callbacks(execute=True):
        _mark(setup, 4, "absent")  # 3/4 = 75 %: not below
        _mark(setup, 5, "absent")  # 3/5 = 60 %: crosses
        _mark(setup, 6, "absent")  # already below: no new teacher alert

    alerts = Notification.objects.filter(recipient=setup["teacher"])
    assert alerts.count() == 1
    assert alerts.get().data["attendance_rate"] == 60.0


def test_attendance_saving_an_absence_again_does_not_notify_twice(
    course_setup, django_capture_on_commit_callbacks, settings
):
    settings.SMS_NOTIFY_CONSECUTIVE_ABSENCES = 1
    settings.SMS_NOTIFY_ATTENDANCE_THRESHOLD = 75
    setup = course_setup
    with django_capture_on_commit_callbacks(execute=True):
        record = _mark(setup, 1, "absent")

    with django_capture_on_commit_callbacks(execute=True):
        academics.attendance_update(
            attendance=record, actor=setup["teacher"], notes="Doctor's note to follow"
        )
        _mark(setup, 1, "absent")

    assert Notification.objects.filter(recipient=setup["student_user"]).count() == 1
    assert Notification.objects.filter(recipient=setup["teacher"]).count() == 1


def test_attendance_changed_to_absent_notifies_the_student(
    course_setup, django_capture_on_commit_callbacks
):
    setup = course_setup
    with django_capture_on_commit_callbacks(execute=True):
        _mark(setup, 1, "present")

    with django_capture_on_commit_callbacks(execute=True):
        _mark(setup, 1, "absent")

    note = Notification.objects.get(recipient=setup["student_user"])
    assert note.title.startswith("Absence recorded")


def test_attendance_present_tells_nobody(course_setup, django_capture_on_commit_callbacks):
    setup = course_setup

    with django_capture_on_commit_callbacks(execute=True):
        _mark(setup, 1, "present")

    assert not Notification.objects.exists()


def test_import_and_export_events_reach_the_user_who_ran_them(db):
    user = TeacherFactory()

    events.import_finished(
        user=user, title="Grades imported", link="/imports/7/", counts={"new": 5}
    )
    events.import_failed(user=user, title="Students import failed", error="Row 3: bad email")
    events.export_ready(user=user, title="Grades export ready", link="/api/v1/exports/9/download/")

    kinds = list(Notification.objects.filter(recipient=user).values_list("kind", "link"))
    assert kinds == [
        ("export_ready", "/api/v1/exports/9/download/"),
        ("import_failed", ""),
        ("import_finished", "/imports/7/"),
    ]
