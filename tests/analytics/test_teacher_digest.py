"""The teachers' weekly "what changed" digest: the figures, the page, the email, the command.

The school below is dated from today, so the page (which reads today's date) and the
digest computed directly agree. MATH1 (Homework 100 %) is taught by ``teacher``:

* Nina: homework 90 three weeks ago, 0 this week → average 45 now (medium risk: below
  50), 90 a week ago (low): newly at risk, and a drop from 18 to 9 out of 20;
* Alex: 20 then 30 → medium risk both now and a week ago: at risk, but not new;
* Dora: 100 then 70 → 20 to 17 out of 20: a grade drop, low risk;
* Sam: homework 80, no grade for HW2 (one missing grade), ten lessons present before and
  three unexcused absences this week (an attendance slip; 10/13 = 77 % keeps him low).

PHYS1, taught by ``other_teacher``, has Olga, who falls into risk there.
"""

import datetime as dt
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from apps.academics.models import Attendance, Grade
from apps.analytics import digest_sending, tasks
from apps.analytics.digest import digest_for
from apps.notifications.models import NotificationPreference
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

TODAY = timezone.localdate()
DIGEST = reverse("analytics:digest")


def _days_ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def _homework(student, course, name, grade, days_ago):
    GradeFactory(
        student=student,
        course=course,
        assignment_name=name,
        category="Homework",
        grade=Decimal(grade),
        date_assigned=_days_ago(days_ago),
    )


@pytest.fixture
def school(db):
    teacher = TeacherFactory(username="mteacher", first_name="Maria", last_name="Papa")
    other_teacher = TeacherFactory(username="oteacher")
    math = CourseFactory(
        course_code="MATH1",
        course_name="Mathematics",
        evaluation_rules=[{"category": "Homework", "weight": 100}],
        teachers=[teacher],
    )
    physics = CourseFactory(
        course_code="PHYS1",
        course_name="Physics",
        evaluation_rules=[{"category": "Homework", "weight": 100}],
        teachers=[other_teacher],
    )
    people = {
        name: StudentFactory(first_name=name, last_name=f"{name}son")
        for name in ("Nina", "Alex", "Dora", "Sam", "Olga")
    }
    for name in ("Nina", "Alex", "Dora", "Sam"):
        enroll(people[name], math)
    enroll(people["Olga"], physics)
    enroll(people["Nina"], physics)
    for name, first, second in (("Nina", "90", "0"), ("Alex", "20", "30"), ("Dora", "100", "70")):
        _homework(people[name], math, "HW1", first, 20)
        _homework(people[name], math, "HW2", second, 3)
    _homework(people["Sam"], math, "HW1", "80", 20)
    _homework(people["Olga"], physics, "P1", "95", 20)
    _homework(people["Olga"], physics, "P2", "0", 2)
    _homework(people["Nina"], physics, "P1", "95", 20)
    for day in range(10, 30, 2):
        AttendanceFactory(student=people["Sam"], course=math, date=_days_ago(day), status="present")
    for day in (1, 2, 3):
        AttendanceFactory(student=people["Sam"], course=math, date=_days_ago(day), status="absent")
    return {"teacher": teacher, "other_teacher": other_teacher, "math": math, **people}


def _names(items) -> list[str]:
    return [item.student.name for item in items]


def test_digest_lists_a_student_newly_at_risk_with_the_reason(school):
    digest = digest_for(school["teacher"], today=TODAY)

    (math,) = digest.courses
    (nina,) = math.new_at_risk
    assert nina.student.name == "Ninason Nina"
    assert (nina.level, nina.level_before) == ("medium", "low")
    assert nina.reasons == ("Average grade 45.00 is below 50.",)


def test_digest_does_not_call_a_student_at_risk_a_week_ago_new(school):
    digest = digest_for(school["teacher"], today=TODAY)

    assert "Alexson Alex" not in _names(digest.courses[0].new_at_risk)


def test_digest_lists_grade_drops_of_more_than_a_point_out_of_20(school):
    digest = digest_for(school["teacher"], today=TODAY)

    drops = {item.student.name: (item.before, item.now) for item in digest.courses[0].grade_drops}
    assert drops == {
        "Ninason Nina": (Decimal("18.00"), Decimal("9.00")),
        "Dorason Dora": (Decimal("20.00"), Decimal("17.00")),
    }


def test_digest_lists_an_attendance_slip_against_the_usual_week(school):
    digest = digest_for(school["teacher"], today=TODAY)

    (slip,) = digest.courses[0].attendance_slips
    assert (slip.student.name, slip.absences, slip.usual) == ("Samson Sam", 3, 0.0)


def test_digest_lists_missing_grades_with_the_count(school):
    digest = digest_for(school["teacher"], today=TODAY)

    (missing,) = digest.courses[0].missing_grades
    assert (missing.assignment_name, missing.graded, missing.missing) == ("HW2", 3, 1)


def test_digest_does_not_count_a_grade_waiting_to_be_posted_as_missing(school):
    _homework(school["Sam"], school["math"], "HW2", "75", 3)
    Grade.objects.filter(student=school["Sam"], assignment_name="HW2").update(posted_at=None)

    digest = digest_for(school["teacher"], today=TODAY)

    assert digest.courses[0].missing_grades == ()


def test_digest_never_includes_other_teachers_courses(school):
    digest = digest_for(school["teacher"], today=TODAY)
    other = digest_for(school["other_teacher"], today=TODAY)

    assert [course.course_code for course in digest.courses] == ["MATH1"]
    assert "Olgason Olga" not in _names(digest.courses[0].new_at_risk)
    assert [course.course_code for course in other.courses] == ["PHYS1"]
    assert _names(other.courses[0].new_at_risk) == ["Olgason Olga"]


def test_digest_says_when_a_course_has_nothing_to_report(school):
    quiet = CourseFactory(course_code="ART1", teachers=[school["teacher"]])

    digest = digest_for(school["teacher"], today=TODAY)

    assert [c.course_code for c in digest.courses if not c.has_news] == [quiet.course_code]
    assert digest.has_news


def test_digest_queries_are_bounded_for_5_courses_of_40_students(db, django_assert_max_num_queries):
    teacher = TeacherFactory()
    rules = [{"category": "Homework", "weight": 100}]
    courses = [CourseFactory(evaluation_rules=rules, teachers=[teacher]) for _ in range(5)]
    students = StudentFactory.create_batch(40)
    grades, marks = [], []
    for course in courses:
        for index, student in enumerate(students):
            enroll(student, course)
            grades.append(_grade_row(student, course, "HW1", 90, 20))
            if index % 4:
                grades.append(_grade_row(student, course, "HW2", 30 if index % 3 else 90, 2))
            marks += [
                Attendance(student=student, course=course, date=_days_ago(day), status="absent")
                for day in (1, 2)
            ]
    Grade.objects.bulk_create(grades)
    Attendance.objects.bulk_create(marks)

    with django_assert_max_num_queries(25):
        digest = digest_for(teacher, today=TODAY)

    assert [course.enrolled for course in digest.courses] == [40] * 5
    assert [course.missing_grades[0].missing for course in digest.courses] == [10] * 5
    assert all(len(course.attendance_slips) == 40 for course in digest.courses)
    assert all(len(course.grade_drops) == 20 for course in digest.courses)


def _grade_row(student, course, name, grade, days_ago) -> Grade:
    return Grade(
        student=student,
        course=course,
        assignment_name=name,
        category="Homework",
        grade=Decimal(grade),
        date_assigned=_days_ago(days_ago),
    )


# --- The page ---------------------------------------------------------------------------
def test_digest_page_shows_the_teacher_their_courses_with_links(client, school):
    client.force_login(school["teacher"])

    response = client.get(DIGEST)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Average grade 45.00 is below 50." in html
    assert reverse("analytics:student", args=[school["Nina"].pk]) in html
    assert reverse("academics:grade_grid", args=[school["math"].pk]) in html
    assert "1 grade missing" in html
    assert "PHYS1" not in html


def test_digest_page_refuses_students(client, school):
    client.force_login(StudentUserFactory())

    response = client.get(DIGEST)

    assert response.status_code == 403


def test_digest_page_lets_an_admin_choose_a_teacher(client, school):
    client.force_login(AdminFactory())

    chooser = client.get(DIGEST)
    response = client.get(DIGEST, {"teacher": school["teacher"].pk})

    assert chooser.status_code == 200
    assert "Choose a teacher to see the digest" in chooser.content.decode()
    assert response.status_code == 200
    assert "Ninason Nina" in response.content.decode()
    assert "Olgason Olga" not in response.content.decode()


@pytest.mark.parametrize("value", ["999999", "abc", "99999999999999999999999", "-1"])
def test_digest_page_answers_404_for_an_unknown_teacher(client, school, value):
    client.force_login(AdminFactory())

    response = client.get(DIGEST, {"teacher": value})

    assert response.status_code == 404


def test_digest_page_answers_404_for_a_user_who_is_not_a_teacher(client, school):
    client.force_login(AdminFactory())

    response = client.get(DIGEST, {"teacher": StudentUserFactory().pk})

    assert response.status_code == 404


def test_digest_page_keeps_a_teacher_to_their_own_digest(client, school):
    client.force_login(school["teacher"])

    response = client.get(DIGEST, {"teacher": school["other_teacher"].pk})

    assert response.status_code == 404


def test_digest_page_htmx_request_gets_the_fragment(client, school):
    client.force_login(AdminFactory())

    response = client.get(DIGEST, {"teacher": school["teacher"].pk}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"Ninason Nina" in response.content


# --- The email ----------------------------------------------------------------------------
def test_digest_email_is_sent_once_a_week_per_teacher(school):
    tasks.send_teacher_digests.delay()
    tasks.send_teacher_digests.delay()

    sent = sorted(message.to[0] for message in mail.outbox)
    assert sent == sorted([school["teacher"].email, school["other_teacher"].email])
    message = next(m for m in mail.outbox if m.to == [school["teacher"].email])
    assert "Ninason Nina" in message.body
    assert "Average grade 45.00 is below 50." in message.body
    html, content_type = message.alternatives[0]
    assert content_type == "text/html"
    assert reverse("analytics:student", args=[school["Nina"].pk]) in html
    week = NotificationPreference.objects.get(user=school["teacher"]).teacher_digest_week
    assert week == TODAY - dt.timedelta(days=TODAY.weekday())


def test_digest_email_respects_the_opt_out(school):
    NotificationPreference.objects.create(user=school["teacher"], teacher_digest=False)

    tasks.send_teacher_digests.delay()

    assert [message.to for message in mail.outbox] == [[school["other_teacher"].email]]


def test_digest_email_skips_a_teacher_with_nothing_to_report(db):
    teacher = TeacherFactory()
    course = CourseFactory(teachers=[teacher])
    student = StudentFactory()
    enroll(student, course)
    _homework(student, course, "HW1", "80", 20)

    tasks.send_teacher_digests.delay()

    assert mail.outbox == []
    assert not NotificationPreference.objects.filter(teacher_digest_week__isnull=False).exists()


def test_digest_email_failure_leaves_the_week_for_the_retry(school):
    refused = mock.patch.object(
        digest_sending.EmailMultiAlternatives, "send", side_effect=OSError("refused")
    )
    with refused, pytest.raises(OSError):
        digest_sending.send_teacher_digest(school["teacher"], today=TODAY)
    recorded = NotificationPreference.objects.get(user=school["teacher"]).teacher_digest_week

    outcome = digest_sending.send_teacher_digest(school["teacher"], today=TODAY)

    assert recorded is None
    assert outcome.status == digest_sending.SENT
    assert len(mail.outbox) == 1


def test_digest_email_is_written_in_the_teachers_language(school):
    NotificationPreference.objects.create(user=school["teacher"], language="el")

    digest_sending.send_teacher_digest(school["teacher"], today=TODAY)

    with translation.override("el"):
        reason = translation.gettext("Average grade %(value)s is below %(limit)s.") % {
            "value": "45.00",
            "limit": 50,
        }
    assert reason != "Average grade 45.00 is below 50."
    assert reason in mail.outbox[0].body


def test_digest_beat_entry_runs_on_monday_mornings(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["analytics-send-teacher-digests"]

    assert entry["task"] == "analytics.send_teacher_digests"
    assert entry["schedule"].hour == {7}
    assert entry["schedule"].minute == {0}
    assert entry["schedule"].day_of_week == {1}


# --- The command and the preference -----------------------------------------------------
def test_send_teacher_digests_dry_run_prints_and_sends_nothing(school):
    out = StringIO()

    call_command("send_teacher_digests", "--dry-run", "--teacher", "mteacher", stdout=out)

    assert "Ninason Nina" in out.getvalue()
    assert "preview: 1" in out.getvalue()
    assert mail.outbox == []
    assert not NotificationPreference.objects.filter(teacher_digest_week__isnull=False).exists()


def test_send_teacher_digests_sends_for_real_once(school):
    out = StringIO()

    call_command("send_teacher_digests", stdout=out)
    call_command("send_teacher_digests", stdout=out)

    assert len(mail.outbox) == 2
    assert "already_sent: 2" in out.getvalue()


def test_send_teacher_digests_refuses_an_unknown_teacher(school):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nobody"):
        call_command("send_teacher_digests", "--teacher", "nobody", stdout=StringIO())


def test_preferences_page_lets_a_teacher_turn_the_digest_off(client, school):
    client.force_login(school["teacher"])
    page = client.get(reverse("notifications:preferences"))

    response = client.post(
        reverse("notifications:preferences"), {"email_digest": "never", "teacher_digest": ""}
    )

    assert 'name="teacher_digest"' in page.content.decode()
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=school["teacher"]).teacher_digest is False


def test_preferences_page_shows_no_digest_box_to_students(client, db):
    client.force_login(StudentUserFactory())

    page = client.get(reverse("notifications:preferences"))

    assert 'name="teacher_digest"' not in page.content.decode()


def test_preferences_api_turns_the_teacher_digest_off_and_on(school):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(school["teacher"])

    off = api.put("/api/v1/notifications/preferences/", {"teacher_digest": False}, format="json")
    unchanged = api.put("/api/v1/notifications/preferences/", {}, format="json")

    assert off.status_code == 200 and off.json()["teacher_digest"] is False
    assert unchanged.json()["teacher_digest"] is False
    assert NotificationPreference.objects.get(user=school["teacher"]).teacher_digest is False
