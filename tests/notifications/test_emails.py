import datetime as dt
from unittest import mock

from django.core import mail
from django.utils import timezone

from apps.notifications import services, tasks
from apps.notifications.models import EmailState, Notification
from tests.factories import TeacherFactory


def _at(hour: int):
    local = timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0)
    return mock.patch("django.utils.timezone.now", return_value=local)


def test_email_preference_sends_an_immediate_email(db, django_capture_on_commit_callbacks):
    user = TeacherFactory()
    services.preferences_update(user=user, kinds={"export_ready": {"web": True, "email": True}})

    with django_capture_on_commit_callbacks(execute=True):
        services.notify(user_ids=[user.pk], kind="export_ready", title="Your export is ready")

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert mail.outbox[0].subject == "Your export is ready"
    assert Notification.objects.get().email_state == EmailState.SENT


def test_email_default_is_web_only(db, django_capture_on_commit_callbacks):
    user = TeacherFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.notify(user_ids=[user.pk], kind="export_ready", title="Ready")

    assert mail.outbox == []


def test_email_waits_for_quiet_hours_to_end(db):
    user = TeacherFactory()
    services.preferences_update(
        user=user,
        kinds={"alert": {"web": True, "email": True}},
        quiet_hours_start=dt.time(22, 0),
        quiet_hours_end=dt.time(7, 0),
    )
    services.notify(user_ids=[user.pk], kind="alert", title="Night alert")

    with _at(23):
        sent_at_night = tasks.send_due_emails()
    with _at(8):
        sent_in_morning = tasks.send_due_emails()

    assert sent_at_night == 0
    assert sent_in_morning == 1
    assert [m.subject for m in mail.outbox] == ["Night alert"]


def test_email_daily_digest_collects_pending_into_one_email(db):
    user = TeacherFactory()
    services.preferences_update(
        user=user, kinds={"system": {"web": True, "email": True}}, email_digest="daily"
    )
    for title in ("First", "Second", "Third"):
        services.notify(user_ids=[user.pk], kind="system", title=title)

    immediate = tasks.send_due_emails()
    digests = tasks.send_email_digests()
    again = tasks.send_email_digests()

    assert immediate == 0
    assert digests == 1
    assert again == 0
    assert len(mail.outbox) == 1
    assert "daily" in mail.outbox[0].subject
    assert all(title in mail.outbox[0].body for title in ("First", "Second", "Third"))
