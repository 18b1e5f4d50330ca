"""Hostile frames on ws/notifications/: an error in the API's shape, and the socket lives on."""

import pytest
from asgiref.sync import sync_to_async

from apps.notifications.models import Notification
from apps.notifications.protocol import MAX_FRAME_CHARS
from tests.factories import TeacherFactory
from tests.notifications.conftest import make_notifications
from tests.notifications.test_consumers import open_socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

HUGE = 10**25  # beyond a 64-bit database id


@pytest.fixture
def alice():
    user = TeacherFactory()
    make_notifications(user, 2)
    return user


async def hello_socket(user):
    socket = await open_socket(user=user)
    assert (await socket.receive_json_from())["type"] == "hello"
    return socket


async def assert_still_usable(socket):
    await socket.send_json_to({"action": "ping"})
    assert await socket.receive_json_from() == {"type": "pong"}


@pytest.mark.parametrize(
    ("frame", "code", "detail"),
    [
        ("not json", "invalid_json", "The message is not valid JSON."),
        ('{"action": "ping"', "invalid_json", "The message is not valid JSON."),
        ("[" * 3000 + "]" * 3000, "too_large", "The message is longer than 4096 characters."),
        ("[" * 2000 + "]" * 2000, "invalid_json", "The JSON body is nested too deeply."),
        (
            '{"action": ' + "[" * 1000 + "]" * 1000 + "}",
            "invalid_json",
            "The JSON body is nested too deeply.",
        ),
        ("x" * (MAX_FRAME_CHARS + 1), "too_large", "The message is longer than 4096 characters."),
        ('{"action": "ping", "pad": "' + "y" * 100_000 + '"}', "too_large", None),
    ],
    ids=["text", "truncated", "deep-and-long", "deep", "deep-value", "long", "100KB"],
)
async def test_consumer_malformed_frame_is_an_error_and_the_socket_stays_open(
    alice, frame, code, detail
):
    socket = await hello_socket(alice)

    await socket.send_to(text_data=frame)

    error = await socket.receive_json_from()
    assert (error["type"], error["error"]) == ("error", code)
    if detail:
        assert error["detail"] == detail
    await assert_still_usable(socket)
    await socket.disconnect()


async def test_consumer_empty_text_frame_is_an_error_and_the_socket_stays_open(alice):
    socket = await hello_socket(alice)

    await socket.send_input({"type": "websocket.receive", "text": ""})

    error = await socket.receive_json_from()
    assert (error["error"], error["detail"]) == ("invalid_json", "The message is not valid JSON.")
    await assert_still_usable(socket)
    await socket.disconnect()


async def test_consumer_binary_frame_is_an_error_and_the_socket_stays_open(alice):
    socket = await hello_socket(alice)

    await socket.send_to(bytes_data=b'{"action": "ping"}')

    error = await socket.receive_json_from()
    assert error == {
        "type": "error",
        "error": "invalid_json",
        "detail": "Send JSON messages as text frames.",
    }
    await assert_still_usable(socket)
    await socket.disconnect()


NOT_AN_INTEGER = "Enter a whole number."  # the API words it the way Django forms do
BEYOND_DB = "Ensure this value is less than or equal to 9223372036854775807."
REQUIRED = "This field is required."
NEGATIVE = "Ensure this value is greater than or equal to 0."
NOT_A_DICT = "Invalid data. Expected a dictionary, but got {}."


@pytest.mark.parametrize(
    ("message", "code", "field", "text"),
    [
        ([1, 2], "invalid_message", "non_field_errors", NOT_A_DICT.format("list")),
        ("ping", "invalid_message", "non_field_errors", NOT_A_DICT.format("str")),
        ({}, "unknown_action", "action", REQUIRED),
        ({"action": "explode"}, "unknown_action", "action", '"explode" is not a valid choice.'),
        ({"action": ["ping"]}, "unknown_action", "action", "\"['ping']\" is not a valid choice."),
        ({"action": "resume", "after_id": "abc"}, "invalid_after_id", "after_id", NOT_AN_INTEGER),
        ({"action": "resume", "after_id": True}, "invalid_after_id", "after_id", NOT_AN_INTEGER),
        ({"action": "resume", "after_id": 2.5}, "invalid_after_id", "after_id", NOT_AN_INTEGER),
        ({"action": "resume", "after_id": -1}, "invalid_after_id", "after_id", NEGATIVE),
        ({"action": "resume", "after_id": HUGE}, "invalid_after_id", "after_id", BEYOND_DB),
        ({"action": "mark_read"}, "invalid_id", "id", REQUIRED),
        ({"action": "mark_read", "id": {"x": 1}}, "invalid_id", "id", NOT_AN_INTEGER),
        ({"action": "mark_read", "id": HUGE}, "invalid_id", "id", BEYOND_DB),
        ({"action": "mark_read", "id": 1e400}, "invalid_id", "id", NOT_AN_INTEGER),
    ],
)  # fmt: skip
async def test_consumer_wrong_types_and_huge_ids_answer_field_errors_like_the_api(
    alice, message, code, field, text
):
    socket = await hello_socket(alice)

    await socket.send_json_to(message)

    error = await socket.receive_json_from()
    assert error == {"type": "error", "error": code, "detail": text, "errors": {field: [text]}}
    await assert_still_usable(socket)
    await socket.disconnect()


async def test_consumer_mark_read_with_a_huge_id_changes_nothing(alice):
    socket = await hello_socket(alice)

    await socket.send_to(text_data='{"action": "mark_read", "id": ' + "9" * 30 + "}")

    assert (await socket.receive_json_from())["error"] == "invalid_id"
    unread = await sync_to_async(
        Notification.objects.filter(recipient=alice, read_at__isnull=True).count
    )()
    assert unread == 2
    await socket.disconnect()


async def test_consumer_numeric_string_ids_work_as_in_the_api(alice):
    first = await sync_to_async(
        lambda: Notification.objects.filter(recipient=alice).order_by("id").first()
    )()
    socket = await hello_socket(alice)

    await socket.send_json_to({"action": "resume", "after_id": str(first.pk)})

    replayed = await socket.receive_json_from()
    assert replayed["type"] == "notification"
    assert replayed["notification"]["id"] > first.pk
    assert (await socket.receive_json_from()) == {"type": "unread_count", "unread_count": 2}
    await socket.disconnect()


async def test_consumer_a_failing_service_is_an_error_not_a_closed_socket(alice, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("apps.notifications.consumers._resume_messages", broken)
    socket = await hello_socket(alice)

    await socket.send_json_to({"action": "resume", "after_id": 0})

    error = await socket.receive_json_from()
    assert (error["type"], error["error"]) == ("error", "server_error")
    await assert_still_usable(socket)
    await socket.disconnect()


async def test_consumer_a_burst_of_hostile_frames_leaves_the_socket_working(alice):
    socket = await hello_socket(alice)
    frames = ["{", "[" * 2000 + "]" * 2000, "z" * 10_000, '{"action": 5}', "null"]

    for frame in frames:
        await socket.send_to(text_data=frame)
    replies = [await socket.receive_json_from() for _ in frames]

    assert [reply["type"] for reply in replies] == ["error"] * len(frames)
    await assert_still_usable(socket)
    await socket.disconnect()
