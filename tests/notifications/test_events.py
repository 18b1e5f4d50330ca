import datetime as dt
from decimal import Decimal

from django.db import transaction

from apps.academics import changes, notices
from apps.academics import services as academics
from apps.notifications import events
from apps.notifications.models import Notification, NotificationKind
from tests.factories import (
    AdminFactory,
    AttendanceFactory,
    CourseFactory,
    GradeFactory,
    StudentFactory,
    StudentUserFactory,
    TeacherFactory,
    enroll,
)


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
            assignment_name="Final paper",
            category="Final",
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

    for day in (1, 2, 3):  # three clicks on the sheet: three transactions
        with django_capture_on_commit_callbacks(execute=True):
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

    for day in (4, 5, 6):  # 3/4 = 75 %: not below; 3/5 = 60 %: crosses; then already below
        with django_capture_on_commit_callbacks(execute=True):
            _mark(setup, day, "absent")

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
    with django_capture_on_commit_callbacks(execute=True):
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


def test_grades_written_in_one_transaction_tell_each_student_once_per_course(
    course_setup, django_capture_on_commit_callbacks
):
    setup = course_setup

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for number in range(1, 6):
            academics.grade_create(
                student=setup["student"],
                course=setup["course"],
                assignment_name=f"Midterm sitting {number}",
                category="Midterm",
                grade=Decimal("60") + number,
                actor=setup["teacher"],
            )

    note = Notification.objects.get(recipient=setup["student_user"])
    assert note.title == f"5 new grades in {setup['course'].course_code}"
    assert note.data["count"] == 5


def test_absences_written_together_make_one_student_notice_and_one_teacher_alert(
    course_setup, django_capture_on_commit_callbacks, settings
):
    settings.SMS_NOTIFY_CONSECUTIVE_ABSENCES = 3
    settings.SMS_NOTIFY_ATTENDANCE_THRESHOLD = 0
    setup = course_setup

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for day in (1, 2, 3, 4):
            _mark(setup, day, "absent")

    student_note = Notification.objects.get(recipient=setup["student_user"])
    assert student_note.title == f"4 absences recorded in {setup['course'].course_code}"
    teacher_alert = Notification.objects.get(recipient=setup["teacher"])
    assert teacher_alert.data["consecutive_absences"] == 4


def test_seeded_writes_tell_nobody(course_setup, django_capture_on_commit_callbacks):
    setup = course_setup

    with django_capture_on_commit_callbacks(execute=True), changes.write_source("seed"):
        academics.grade_create(
            student=setup["student"],
            course=setup["course"],
            assignment_name="Final paper",
            category="Final",
            grade=Decimal("90"),
            actor=None,
        )

    assert not Notification.objects.exists()


def test_reverting_an_origin_withdraws_only_its_unread_notices(
    course_setup, django_capture_on_commit_callbacks
):
    setup = course_setup
    with (
        django_capture_on_commit_callbacks(execute=True),
        changes.write_source("import", origin="import:41"),
    ):
        academics.grade_create(
            student=setup["student"],
            course=setup["course"],
            assignment_name="Final paper",
            category="Final",
            grade=Decimal("90"),
            actor=setup["teacher"],
        )
    with django_capture_on_commit_callbacks(execute=True):
        academics.grade_create(
            student=setup["student"],
            course=setup["course"],
            assignment_name="Midterm paper",
            category="Midterm",
            grade=Decimal("70"),
            actor=setup["teacher"],
        )
    assert Notification.objects.filter(origin="import:41").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        changes.record_change(
            kinds=[changes.GRADE], source="rollback", reverted_origins=["import:41"]
        )

    titles = list(Notification.objects.values_list("title", flat=True))
    assert titles == [f"New grade in {setup['course'].course_code}: Midterm paper 70/100"]


def test_allowed_user_ids_keep_a_teacher_to_their_course(course_setup):
    setup = course_setup
    admin = AdminFactory()

    allowed = notices.allowed_user_ids(
        [setup["teacher"].pk, setup["other_teacher"].pk, admin.pk],
        course_id=setup["course"].pk,
    )

    assert set(allowed) == {setup["teacher"].pk, admin.pk}


def test_allowed_user_ids_keep_a_student_to_themselves(course_setup):
    setup = course_setup
    classmate = StudentUserFactory()

    allowed = notices.allowed_user_ids(
        [setup["student_user"].pk, classmate.pk], student_id=setup["student"].pk
    )

    assert allowed == [setup["student_user"].pk]


def test_course_audience_leaves_out_dropped_students(course_setup):
    setup = course_setup
    dropped_user = StudentUserFactory()
    dropped = StudentFactory(user=dropped_user)
    enroll(dropped, setup["course"], status="dropped")

    audience = notices.course_audience_ids(setup["course"].pk)

    assert set(audience) == {setup["teacher"].pk, setup["student_user"].pk}


def test_grade_notices_cost_the_same_queries_for_many_students(db, django_assert_num_queries):
    course = CourseFactory(evaluation_rules=[{"category": "Final", "weight": 100}])
    posted = {}
    for _ in range(6):
        student = StudentFactory(user=StudentUserFactory())
        enroll(student, course)
        posted[GradeFactory(student=student, course=course, category="Final").pk] = False

    with django_assert_num_queries(2):  # the grades with their accounts, the accounts
        found = notices.grade_notices(posted)

    assert len(found) == 6
