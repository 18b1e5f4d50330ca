"""Client frames on ``ws/notifications/``: parsed and checked here, refused like the API.

A frame that cannot be acted on (not text, too large, not JSON, nested too deeply, not an
object, an unknown action, an id that is not a number or beyond the database's range)
becomes a ``FrameError``; the consumer answers it with one message and keeps the socket
open. The message carries the API's error shape (``sms/api.py``): ``detail`` as in every
error body, and for a bad field ``errors`` = ``{field: [messages]}`` exactly as a 400
would list it, worded by the same DRF fields::

    {"type": "error", "error": "invalid_after_id", "detail": "Enter a whole number.",
     "errors": {"after_id": ["Enter a whole number."]}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers

from sms.api import MAX_DB_ID, flat_errors

# Client messages are a few dozen bytes; anything near this is not our client. (Daphne
# itself drops frames over 1 MiB before they reach a consumer.)
MAX_FRAME_CHARS = 4096

PING, RESUME, MARK_READ = "ping", "resume", "mark_read"


class FrameError(Exception):
    def __init__(self, code: str, detail: str, errors: dict[str, list[str]] | None = None):
        super().__init__(code)
        self.code, self.detail, self.errors = code, str(detail), errors

    def as_message(self) -> dict[str, Any]:
        message = {"type": "error", "error": self.code, "detail": self.detail}
        if self.errors:
            message["errors"] = self.errors
        return message


def not_found() -> FrameError:
    return FrameError("not_found", exceptions.NotFound.default_detail)


def server_error() -> FrameError:
    return FrameError("server_error", _("The server could not handle this message. Try again."))


@dataclass(frozen=True)
class ClientMessage:
    action: str
    after_id: int = 0
    id: int = 0


class _ActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[PING, RESUME, MARK_READ])


class _ResumeSerializer(serializers.Serializer):
    after_id = serializers.IntegerField(
        min_value=0, max_value=MAX_DB_ID, required=False, allow_null=True, default=0
    )


class _MarkReadSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=MAX_DB_ID)


def parse_frame(text_data: str | None = None, bytes_data: bytes | None = None) -> ClientMessage:
    """The client's message, or a ``FrameError`` saying what is wrong with it."""
    if text_data is None:
        raise FrameError("invalid_json", _("Send JSON messages as text frames."))
    if len(text_data) > MAX_FRAME_CHARS:
        raise FrameError(
            "too_large",
            _("The message is longer than %(limit)d characters.") % {"limit": MAX_FRAME_CHARS},
        )
    try:
        content = json.loads(text_data)
    except RecursionError:
        raise FrameError("invalid_json", _("The JSON body is nested too deeply.")) from None
    except ValueError:  # also integers longer than Python converts
        raise FrameError("invalid_json", _("The message is not valid JSON.")) from None
    try:
        return _checked(content)
    except RecursionError:  # deep values inside an otherwise small object
        raise FrameError("invalid_json", _("The JSON body is nested too deeply.")) from None


def _checked(content: Any) -> ClientMessage:
    """Well-formed messages (every frame our client sends: a ping every 25 s per socket)
    pass without building a serializer, which costs ~0.4 ms; anything else goes through
    the API's fields, for the same verdict and wording."""
    if isinstance(content, dict):
        action = content.get("action")
        if action == PING:
            return ClientMessage(PING)
        if action == RESUME and _is_id(content.get("after_id", 0), minimum=0):
            return ClientMessage(RESUME, after_id=content.get("after_id", 0))
        if action == MARK_READ and _is_id(content.get("id"), minimum=1):
            return ClientMessage(MARK_READ, id=content["id"])
    return _checked_by_serializers(content)


def _is_id(value: Any, *, minimum: int) -> bool:
    return type(value) is int and minimum <= value <= MAX_DB_ID


def _checked_by_serializers(content: Any) -> ClientMessage:
    action = _valid(_ActionSerializer, content, "unknown_action")["action"]
    if action == RESUME:
        after_id = _valid(_ResumeSerializer, content, "invalid_after_id")["after_id"]
        return ClientMessage(RESUME, after_id=after_id or 0)
    if action == MARK_READ:
        return ClientMessage(MARK_READ, id=_valid(_MarkReadSerializer, content, "invalid_id")["id"])
    return ClientMessage(PING)


def _valid(serializer_class, content: Any, code: str) -> dict[str, Any]:
    serializer = serializer_class(data=content)
    if serializer.is_valid():
        return serializer.validated_data
    errors = flat_errors(serializer.errors)
    if not isinstance(content, dict):
        code = "invalid_message"
    first = next(iter(errors.values()))[0]
    raise FrameError(code, first, errors)
