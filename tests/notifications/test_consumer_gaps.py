"""A socket that missed a push (Redis away while it stayed open) catches up in order on
the next push, instead of letting the client skip the missed row for good."""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import OperationalError

from apps.notifications import consumers, services
from sms.asgi import application
from tests.factories import StudentUserFactory
from tests.notifications.conftest import make_notifications
from tests.notifications.test_consumers import session_cookie

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def open_socket(user) -> WebsocketCommunicator:
    cookie = await sync_to_async(session_cookie)(user)
    socket = WebsocketCommunicator(
        application,
        "/ws/notifications/",
        headers=[(b"origin", b"http://testserver"), (b"cookie", cookie)],
    )
    connected, _subprotocol = await socket.connect()
    assert connected
    return socket


async def frames_until_quiet(socket) -> list[dict]:
    frames = []
    while not await socket.receive_nothing(timeout=0.3):
        frames.append(await socket.receive_json_from())
    return frames


@pytest.fixture
def student(db):
    return StudentUserFactory()


async def test_consumer_push_after_a_lost_one_replays_both_in_order(student):
    socket = await open_socket(student)
    await socket.receive_json_from()  # hello: 0 unread
    (lost,) = await sync_to_async(make_notifications)(student, 1)  # stored, push never came

    (after,) = await sync_to_async(services.notify)(
        user_ids=[student.pk], kind="system", title="After the outage"
    )

    frames = await frames_until_quiet(socket)
    pushed = [f["notification"]["id"] for f in frames if f["type"] == "notification"]
    assert pushed == [lost.pk, after.pk]
    assert frames[-1] == {"type": "unread_count", "unread_count": 2}
    await socket.disconnect()


async def test_consumer_two_rows_for_one_user_in_one_notify_each_arrive_once(student):
    socket = await open_socket(student)
    await socket.receive_json_from()

    created = await sync_to_async(services.notify_many)(
        [
            services.Notice([student.pk], "system", "First"),
            services.Notice([student.pk], "message", "Second"),
        ]
    )

    frames = await frames_until_quiet(socket)
    pushed = [f["notification"]["id"] for f in frames if f["type"] == "notification"]
    assert pushed == [row.pk for row in created]
    assert frames[-1] == {"type": "unread_count", "unread_count": 2}
    await socket.disconnect()


async def test_consumer_push_that_follows_the_last_count_is_relayed_as_is(student):
    socket = await open_socket(student)
    await socket.receive_json_from()
    (first,) = await sync_to_async(services.notify)(user_ids=[student.pk], kind="system", title="1")
    await frames_until_quiet(socket)
    # An id no row has: only a direct relay, never a database replay, can deliver it.
    event = {
        "type": services.EVENT_CREATED,
        "notification": {**services.serialize(first), "id": first.pk + 1000},
        "unread_count": 2,
    }

    await get_channel_layer().group_send(services.group_for(student.pk), event)

    frames = await frames_until_quiet(socket)
    assert [f["type"] for f in frames] == ["notification", "unread_count"]
    assert frames[0]["notification"]["id"] == first.pk + 1000
    await socket.disconnect()


async def test_consumer_replay_failing_closes_with_try_again_later(student, monkeypatch):
    socket = await open_socket(student)
    await socket.receive_json_from()
    await sync_to_async(make_notifications)(student, 1)

    def database_away(*args):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(consumers, "_resume_messages", database_away)
    await sync_to_async(services.notify)(user_ids=[student.pk], kind="system", title="After")

    closed = await socket.receive_output(timeout=2)
    assert closed == {"type": "websocket.close", "code": consumers.CLOSE_TRY_AGAIN_LATER}
