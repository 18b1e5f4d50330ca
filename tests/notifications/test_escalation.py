"""Escalation to email: unread notifications of the kinds a user chose, older than their
delay, become one email per user, sent once, held back by quiet hours unless urgent."""

import datetime as dt
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from apps.notifications import escalation, services, tasks
from apps.notifications.models import EmailState, Notification
from tests.factories import TeacherFactory


def _escalating_teacher(minutes=30, kinds=("alert", "attendance_alert"), **preferences):
    user = TeacherFactory()
    services.preferences_update(
        user=user, escalate_after_minutes=minutes, escalate_kinds=list(kinds), **preferences
    )
    return user


def _later(minutes: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def _tomorrow_at(hour: int) -> dt.datetime:
    return (timezone.localtime() + dt.timedelta(days=1)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )


def test_escalation_due_unread_notifications_become_one_email_listing_them(db):
    user = _escalating_teacher()
    services.notify(user_ids=[user.pk], kind="alert", title="Server room flooded")
    services.notify(user_ids=[user.pk], kind="alert", title="Lab 2 closed")

    sent = escalation.escalate_due(now=_later(31))

    assert sent == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert mail.outbox[0].subject == "You have 2 unread notifications"
    assert "Server room flooded" in mail.outbox[0].body
    assert "Lab 2 closed" in mail.outbox[0].body
    assert "These notifications are still unread:" in mail.outbox[0].body
    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.SENT}
    assert not Notification.objects.filter(escalate_at__isnull=False).exists()


def test_escalation_does_not_email_before_the_delay(db):
    user = _escalating_teacher(minutes=30)
    services.notify(user_ids=[user.pk], kind="alert", title="Soon")

    early = escalation.escalate_due(now=_later(29))

    assert early == 0
    assert mail.outbox == []
    assert Notification.objects.get().email_state == EmailState.NONE


def test_escalation_never_emails_a_read_notification(db):
    user = _escalating_teacher()
    (note,) = services.notify(user_ids=[user.pk], kind="alert", title="Seen in time")
    services.mark_read(user=user, notification_id=note.pk)

    sent = escalation.escalate_due(now=_later(60))

    assert sent == 0
    assert mail.outbox == []


def test_escalation_never_emails_what_mark_all_read_cleared(db):
    user = _escalating_teacher()
    services.notify(user_ids=[user.pk], kind="alert", title="One")
    services.notify(user_ids=[user.pk], kind="alert", title="Two")
    services.mark_all_read(user=user)

    sent = escalation.escalate_due(now=_later(60))

    assert sent == 0
    assert mail.outbox == []


def test_escalation_only_for_the_kinds_chosen(db):
    user = _escalating_teacher(kinds=["alert"])
    services.notify(user_ids=[user.pk], kind="system", title="Routine maintenance")

    sent = escalation.escalate_due(now=_later(60))

    assert sent == 0
    assert mail.outbox == []


def test_escalation_skips_kinds_already_emailed_by_their_own_channel(
    db, django_capture_on_commit_callbacks
):
    user = TeacherFactory()
    services.preferences_update(
        user=user,
        kinds={"alert": {"web": True, "email": True}},
        escalate_after_minutes=30,
        escalate_kinds=["alert"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(user_ids=[user.pk], kind="alert", title="Emailed at once")

    sent = escalation.escalate_due(now=_later(60))

    assert sent == 0
    assert [message.subject for message in mail.outbox] == ["Emailed at once"]


def test_escalation_sends_once_when_the_task_runs_twice(db):
    user = _escalating_teacher()
    services.notify(user_ids=[user.pk], kind="alert", title="Only once")

    first = escalation.escalate_due(now=_later(31))
    second = escalation.escalate_due(now=_later(32))

    assert (first, second) == (1, 0)
    assert len(mail.outbox) == 1


def test_escalation_claimed_rows_are_not_sent_again_after_a_crash(db):
    user = _escalating_teacher()
    services.notify(user_ids=[user.pk], kind="alert", title="Claimed then crashed")

    with (
        mock.patch.object(escalation, "_send", side_effect=SystemExit),
        pytest.raises(SystemExit),
    ):
        escalation.escalate_due(now=_later(31))
    after_restart = escalation.escalate_due(now=_later(32))

    assert after_restart == 0
    assert mail.outbox == []
    assert Notification.objects.get().email_state == EmailState.SENT


def test_escalation_retries_when_the_mail_server_refuses(db):
    user = _escalating_teacher()
    services.notify(user_ids=[user.pk], kind="alert", title="Retry me")

    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("refused")):
        refused = escalation.escalate_due(now=_later(31))
    retried = escalation.escalate_due(now=_later(32))

    assert (refused, retried) == (0, 1)
    assert [message.subject for message in mail.outbox] == [
        "You have 1 unread notification: Retry me"
    ]


def test_escalation_waits_for_quiet_hours_but_urgent_kinds_do_not(db):
    user = _escalating_teacher(quiet_hours_start=dt.time(22, 0), quiet_hours_end=dt.time(7, 0))
    services.notify(user_ids=[user.pk], kind="alert", title="Can wait")
    services.notify(user_ids=[user.pk], kind="attendance_alert", title="Absent three times")

    at_night = escalation.escalate_due(now=_tomorrow_at(23))
    night_mail = [message.body for message in mail.outbox]
    in_the_morning = escalation.escalate_due(now=_tomorrow_at(8) + dt.timedelta(days=1))

    assert (at_night, in_the_morning) == (1, 1)
    assert "Absent three times" in night_mail[0]
    assert "Can wait" not in night_mail[0]
    assert "Can wait" in mail.outbox[1].body


def test_escalation_quiet_hours_within_one_day(db):
    user = _escalating_teacher(quiet_hours_start=dt.time(13, 0), quiet_hours_end=dt.time(15, 0))
    services.notify(user_ids=[user.pk], kind="alert", title="After lunch")

    during = escalation.escalate_due(now=_tomorrow_at(14))
    after = escalation.escalate_due(now=_tomorrow_at(15))

    assert (during, after) == (0, 1)


def test_escalation_turned_off_stops_waiting_notifications(db):
    user = _escalating_teacher()
    services.notify(user_ids=[user.pk], kind="alert", title="Never mind")

    services.preferences_update(user=user, escalate_after_minutes=None)
    sent = escalation.escalate_due(now=_later(60))

    assert sent == 0
    assert not Notification.objects.filter(escalate_at__isnull=False).exists()


def test_escalation_new_delay_counts_from_creation(db):
    user = _escalating_teacher(minutes=120)
    services.notify(user_ids=[user.pk], kind="alert", title="Sooner now")

    services.preferences_update(user=user, escalate_after_minutes=10)
    sent = escalation.escalate_due(now=_later(11))

    assert sent == 1


def test_escalation_query_count_is_bounded_for_500_due_notifications(
    db, django_assert_max_num_queries
):
    users = [_escalating_teacher() for _ in range(50)]
    for index in range(10):
        services.notify(user_ids=[u.pk for u in users], kind="alert", title=f"Alert {index}")
    assert Notification.objects.filter(escalate_at__isnull=False).count() == 500

    with django_assert_max_num_queries(10):
        sent = escalation.escalate_due(now=_later(31))

    assert sent == 50
    assert len(mail.outbox) == 50
    assert all(message.body.count("- Alert ") == 10 for message in mail.outbox)


def test_escalation_task_runs_every_minute_from_beat(db):
    user = _escalating_teacher(minutes=1)
    services.notify(user_ids=[user.pk], kind="alert", title="Through the task")

    with mock.patch("django.utils.timezone.now", return_value=_later(2)):
        sent = tasks.escalate_unread()

    entry = settings.CELERY_BEAT_SCHEDULE["notifications-escalate-unread"]
    assert (entry["task"], entry["schedule"]) == ("notifications.escalate_unread", 60.0)
    assert sent == 1


def test_email_urgent_kind_is_sent_during_quiet_hours(db):
    user = TeacherFactory()
    services.preferences_update(
        user=user,
        kinds={
            "alert": {"web": True, "email": True},
            "attendance_alert": {"web": True, "email": True},
        },
        quiet_hours_start=dt.time(22, 0),
        quiet_hours_end=dt.time(7, 0),
    )
    services.notify(user_ids=[user.pk], kind="alert", title="Routine alert")
    services.notify(user_ids=[user.pk], kind="attendance_alert", title="Absence recorded")

    with mock.patch("django.utils.timezone.now", return_value=_tomorrow_at(23)):
        at_night = tasks.send_due_emails()
    with mock.patch("django.utils.timezone.now", return_value=_tomorrow_at(8)):
        in_the_morning = tasks.send_due_emails()

    assert (at_night, in_the_morning) == (1, 1)
    assert [message.subject for message in mail.outbox] == ["Absence recorded", "Routine alert"]
