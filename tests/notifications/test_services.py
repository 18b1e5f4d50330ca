import datetime as dt
from unittest import mock

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from apps.academics.notices import course_audience_ids
from apps.notifications import services
from apps.notifications.models import EmailState, Notification, NotificationKind
from tests.factories import AdminFactory, StudentUserFactory, TeacherFactory  # noqa: F401
from tests.notifications.conftest import make_notifications


def _receive(channel_name: str, timeout: float = 1.0):
    async def go():
        import asyncio

        layer = get_channel_layer()
        return await asyncio.wait_for(layer.receive(channel_name), timeout)

    return async_to_sync(go)()


def _join(user_id: int) -> str:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(services.group_for(user_id), channel)
    return channel


def test_notify_stores_rows_in_one_insert(db, django_assert_max_num_queries):
    users = [TeacherFactory() for _ in range(30)]

    # the recipients, their preferences, savepoint, insert, savepoint release
    with django_assert_max_num_queries(5):
        created = services.notify(
            user_ids=[u.pk for u in users], kind="system", title="Maintenance tonight"
        )

    assert Notification.objects.filter(title="Maintenance tonight").count() == 30
    assert len(created) == 30


def test_notify_pushes_only_after_commit(db, django_capture_on_commit_callbacks):
    user = TeacherFactory()
    channel = _join(user.pk)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.notify(user_ids=[user.pk], kind="message", title="Hello")
    for callback in callbacks:
        callback()
    event = _receive(channel)

    assert len(callbacks) == 1
    assert event["type"] == "notification.created"
    assert event["notification"]["title"] == "Hello"
    assert event["unread_count"] == 1


def test_notify_many_recipients_of_a_role_are_pushed_in_one_message(
    db, django_capture_on_commit_callbacks, settings
):
    settings.SMS_NOTIFY_FANOUT_MIN = 20
    students = [StudentUserFactory() for _ in range(25)]
    teachers = [TeacherFactory() for _ in range(2)]
    layer = get_channel_layer()

    with (
        mock.patch.object(layer, "group_send", wraps=layer.group_send) as group_send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        created = services.notify(
            user_ids=[u.pk for u in students + teachers], kind="broadcast", title="Snow day"
        )

    groups = sorted(call.args[0] for call in group_send.call_args_list)
    assert groups == sorted(["role.student"] + [f"user.{t.pk}" for t in teachers])
    fanout = next(c.args[1] for c in group_send.call_args_list if c.args[0] == "role.student")
    rows = {row.recipient_id: row.pk for row in created}
    notification, unread = services.fanout_entry(fanout, students[7].pk)
    assert notification["id"] == rows[students[7].pk]
    assert notification["title"] == "Snow day"
    assert unread == 1
    assert services.fanout_entry(fanout, teachers[0].pk) is None


def test_notify_unknown_kind_is_refused(db):
    user = TeacherFactory()

    with pytest.raises(ValueError):
        services.notify(user_ids=[user.pk], kind="gossip", title="x")

    assert not Notification.objects.exists()


def test_notify_web_off_email_off_stores_nothing(db):
    user = TeacherFactory()
    services.preferences_update(user=user, kinds={"broadcast": {"web": False, "email": False}})

    created = services.notify(user_ids=[user.pk], kind="broadcast", title="News")

    assert created == []


def test_notify_web_off_email_on_is_stored_read_and_queued_for_email(db):
    user = TeacherFactory()
    services.preferences_update(user=user, kinds={"broadcast": {"web": False, "email": True}})

    (created,) = services.notify(user_ids=[user.pk], kind="broadcast", title="News")

    assert created.read_at is not None
    assert created.email_state == EmailState.PENDING


def test_notify_survives_a_channel_layer_outage(db, django_capture_on_commit_callbacks):
    user = TeacherFactory()
    layer = get_channel_layer()

    with (
        mock.patch.object(layer, "group_send", side_effect=ConnectionError("redis down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.notify(user_ids=[user.pk], kind="system", title="Still stored")

    assert Notification.objects.get(recipient=user).title == "Still stored"


def test_mark_all_read_reports_count_and_pushes_zero(db, django_capture_on_commit_callbacks):
    user = TeacherFactory()
    make_notifications(user, 3)
    channel = _join(user.pk)

    with django_capture_on_commit_callbacks(execute=True):
        marked = services.mark_all_read(user=user)
    event = _receive(channel)

    assert marked == 3
    assert event == {"type": "notification.unread", "unread_count": 0}


def test_mark_read_of_someone_elses_notification_is_not_found(db):
    owner, intruder = TeacherFactory(), TeacherFactory()
    (note,) = make_notifications(owner, 1)

    with pytest.raises(Notification.DoesNotExist):
        services.mark_read(user=intruder, notification_id=note.pk)

    note.refresh_from_db()
    assert note.read_at is None


def test_broadcast_reaches_roles_and_chosen_users(course_setup):
    setup = course_setup
    admin = AdminFactory()

    created = services.broadcast(
        actor=admin,
        title="Exams start Monday",
        roles=["teacher"],
        user_ids=course_audience_ids(setup["course"].pk),
    )

    recipients = {n.recipient_id for n in created}
    assert recipients == {
        setup["teacher"].pk,
        setup["other_teacher"].pk,
        setup["student_user"].pk,
    }
    assert all(n.kind == NotificationKind.BROADCAST for n in created)


def test_preferences_quiet_hours_wrap_midnight(db):
    user = TeacherFactory()

    preference = services.preferences_update(
        user=user, quiet_hours_start=dt.time(22, 0), quiet_hours_end=dt.time(7, 0)
    )

    assert preference.in_quiet_hours(dt.time(23, 30))
    assert preference.in_quiet_hours(dt.time(6, 59))
    assert not preference.in_quiet_hours(dt.time(12, 0))
