"""The WebSocket endpoint through the real ASGI stack (origin check, session, JWT)."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from apps.notifications import services
from apps.notifications.models import Notification
from sms.asgi import application
from tests.factories import StudentUserFactory, TeacherFactory
from tests.notifications.conftest import make_notifications

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://testserver")


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def communicator(
    *, user=None, token: str | None = None, origin=ORIGIN
) -> WebsocketCommunicator:
    path = "/ws/notifications/" + (f"?token={token}" if token is not None else "")
    headers = [origin] if origin else []
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    return WebsocketCommunicator(application, path, headers=headers)


async def open_socket(**kwargs):
    socket = await communicator(**kwargs)
    connected, _subprotocol = await socket.connect()
    assert connected
    return socket


notify = sync_to_async(services.notify)


@pytest.fixture
def alice():
    user = TeacherFactory()
    make_notifications(user, 2)
    return user


@pytest.fixture
def bob():
    return StudentUserFactory()


async def test_consumer_session_login_says_hello_with_unread_count(alice):
    socket = await open_socket(user=alice)

    hello = await socket.receive_json_from()

    assert hello == {"type": "hello", "unread_count": 2}
    await socket.disconnect()


async def test_consumer_jwt_token_login_says_hello(alice):
    token = await sync_to_async(lambda: str(AccessToken.for_user(alice)))()
    socket = await open_socket(token=token)

    hello = await socket.receive_json_from()

    assert hello == {"type": "hello", "unread_count": 2}
    await socket.disconnect()


@pytest.mark.parametrize("token", ["not-a-jwt", None])
async def test_consumer_bad_token_or_anonymous_is_closed_4401(db, token):
    socket = await open_socket(token=token)

    closed = await socket.receive_output()

    assert closed == {"type": "websocket.close", "code": 4401}


async def test_consumer_bad_token_wins_over_a_session(alice):
    socket = await open_socket(user=alice, token="forged")

    closed = await socket.receive_output()

    assert closed["code"] == 4401


async def test_consumer_foreign_origin_is_refused(alice):
    socket = await communicator(user=alice, origin=(b"origin", b"http://evil.example"))

    connected, _ = await socket.connect()

    assert not connected


async def test_consumer_pushes_only_to_the_recipient(alice, bob):
    socket_a = await open_socket(user=alice)
    socket_b = await open_socket(user=bob)
    await socket_a.receive_json_from()
    await socket_b.receive_json_from()

    await notify(user_ids=[bob.pk], kind="message", title="For Bob only")

    pushed = await socket_b.receive_json_from()
    count = await socket_b.receive_json_from()
    assert pushed["type"] == "notification"
    assert pushed["notification"]["title"] == "For Bob only"
    assert pushed["notification"]["is_read"] is False
    assert count == {"type": "unread_count", "unread_count": 1}
    assert await socket_a.receive_nothing(timeout=0.3)
    await socket_a.disconnect()
    await socket_b.disconnect()


async def test_consumer_resume_replays_what_was_missed_in_order(alice):
    first = await sync_to_async(lambda: Notification.objects.filter(recipient=alice).last().pk)()
    await notify(user_ids=[alice.pk], kind="system", title="While offline 1")
    await notify(user_ids=[alice.pk], kind="system", title="While offline 2")
    socket = await open_socket(user=alice)
    await socket.receive_json_from()

    await socket.send_json_to({"action": "resume", "after_id": first})

    titles = [(await socket.receive_json_from())["notification"]["title"] for _ in range(3)]
    count = await socket.receive_json_from()
    assert titles == ["Note 1", "While offline 1", "While offline 2"]
    assert count == {"type": "unread_count", "unread_count": 4}
    await socket.disconnect()


async def test_consumer_mark_read_updates_every_open_tab(alice):
    tab_1 = await open_socket(user=alice)
    tab_2 = await open_socket(user=alice)
    await tab_1.receive_json_from()
    await tab_2.receive_json_from()
    note_id = await sync_to_async(lambda: Notification.objects.filter(recipient=alice).first().pk)()

    await tab_1.send_json_to({"action": "mark_read", "id": note_id})

    assert await tab_1.receive_json_from() == {"type": "unread_count", "unread_count": 1}
    assert await tab_2.receive_json_from() == {"type": "unread_count", "unread_count": 1}
    await tab_1.disconnect()
    await tab_2.disconnect()


async def test_consumer_mark_read_of_another_users_notification_is_not_found(alice, bob):
    (theirs,) = await sync_to_async(make_notifications)(bob, 1)
    socket = await open_socket(user=alice)
    await socket.receive_json_from()

    await socket.send_json_to({"action": "mark_read", "id": theirs.pk})

    error = await socket.receive_json_from()
    assert (error["type"], error["error"], error["detail"]) == ("error", "not_found", "Not found.")
    await sync_to_async(theirs.refresh_from_db)()
    assert theirs.read_at is None
    await socket.disconnect()


async def test_consumer_ping_pong(alice):
    socket = await open_socket(user=alice)
    await socket.receive_json_from()

    await socket.send_json_to({"action": "ping"})

    assert await socket.receive_json_from() == {"type": "pong"}
    await socket.disconnect()


async def test_consumer_answers_a_non_json_frame_with_an_error_and_stays_open(alice):
    socket = await open_socket(user=alice)
    await socket.receive_json_from()

    await socket.send_to(text_data="not json")

    error = await socket.receive_json_from()
    assert (error["type"], error["error"]) == ("error", "invalid_json")
    await socket.send_json_to({"action": "ping"})
    assert await socket.receive_json_from() == {"type": "pong"}
    await socket.disconnect()


async def test_consumer_broadcast_to_a_role_gives_each_recipient_its_own_row(settings, bob):
    settings.SMS_NOTIFY_FANOUT_MIN = 3
    classmates = await sync_to_async(lambda: [StudentUserFactory() for _ in range(4)])()
    outsider = await sync_to_async(StudentUserFactory)()
    await sync_to_async(make_notifications)(bob, 2)
    sockets = {user.pk: await open_socket(user=user) for user in (bob, classmates[0], outsider)}
    for socket in sockets.values():
        await socket.receive_json_from()

    created = await notify(
        user_ids=[u.pk for u in [bob, *classmates]], kind="broadcast", title="No classes"
    )

    row_of = {row.recipient_id: row.pk for row in created}
    for user, unread in ((bob, 3), (classmates[0], 1)):
        pushed = await sockets[user.pk].receive_json_from()
        count = await sockets[user.pk].receive_json_from()
        assert pushed["notification"]["id"] == row_of[user.pk]
        assert pushed["notification"]["title"] == "No classes"
        assert count == {"type": "unread_count", "unread_count": unread}
    assert await sockets[outsider.pk].receive_nothing(timeout=0.3)
    for socket in sockets.values():
        await socket.disconnect()
