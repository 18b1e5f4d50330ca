"""WebSocket endpoint ``ws/notifications/`` (SPEC §4.2): parse, call a service, send.

Authentication: the session cookie (through ``AuthMiddlewareStack``) or ``?token=<access
JWT>``; anything else is accepted only to be closed with 4401 so the client can tell
"log in again" from a network failure. The Origin header is checked in ``sms/asgi.py``.

Async on purpose (measured, docs/benchmarks.md): a pushed event needs no database, and
handling it on the event loop instead of a thread-pool hop per message (what a sync
consumer does, with connection clean-up around each) cut broadcast fan-out to 1,000
clients by an order of magnitude. Everything that touches the database still runs in a
thread through ``database_sync_to_async``.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import ObjectDoesNotExist

from apps.accounts.models import User
from apps.notifications import protocol, selectors, services
from sms.observability import metrics

logger = logging.getLogger(__name__)

PUSH_EVENTS = frozenset({services.EVENT_CREATED, services.EVENT_FANOUT, services.EVENT_UNREAD})
CLOSE_UNAUTHENTICATED = 4401
CLOSE_TRY_AGAIN_LATER = 1013


def user_from_token(token: str) -> User | None:
    from rest_framework_simplejwt.exceptions import TokenError
    from rest_framework_simplejwt.settings import api_settings
    from rest_framework_simplejwt.tokens import AccessToken

    try:
        access = AccessToken(token)
    except TokenError:
        return None
    user_id = access.get(api_settings.USER_ID_CLAIM)
    return User.objects.filter(**{api_settings.USER_ID_FIELD: user_id}, is_active=True).first()


def _authenticate(scope) -> User | None:
    query = parse_qs(scope.get("query_string", b"").decode())
    token = (query.get("token") or [""])[0]
    if token:
        return user_from_token(token)
    user = scope.get("user")
    if user is not None and user.is_authenticated and user.is_active:
        return user
    return None


def _resume_messages(user_id: int, after_id: int) -> list[dict]:
    messages = [
        {"type": "notification", "notification": services.serialize(notification)}
        for notification in selectors.missed_since(user_id, after_id)
    ]
    messages.append({"type": "unread_count", "unread_count": selectors.unread_count(user_id)})
    return messages


def _hello_state(user: User) -> tuple[int, int]:
    """The unread count for ``hello`` and the newest id now (older ones are resume's)."""
    return selectors.unread_count(user), selectors.latest_id(user)


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    user: User | None = None
    groups_joined: tuple[str, ...] = ()
    # What this socket has told its client. Pushes published while Redis was away (or
    # before the PubSub layer re-subscribed after it came back) are gone, yet the socket
    # stays open; the client keeps only ids above the highest it has seen, so relaying
    # the next push would hide the missed ones for good. A push whose unread count does
    # not follow the last one sent means something was missed: replay from the database
    # instead, in order (docs/benchmarks.md, "Faults: Redis and PostgreSQL restarts").
    sent_up_to: int = 0
    unread: int | None = None
    counted: bool = False  # in sms_websocket_connections

    async def connect(self) -> None:
        self.user = await database_sync_to_async(_authenticate)(self.scope)
        await self.accept()
        if self.user is None:
            metrics.websocket_refused("unauthenticated")
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        # user.<id> for one's own pushes; role.<name> for broadcasts (one message per role).
        groups = (
            services.group_for(self.user.pk),
            services.role_group(self.user.effective_role),
        )
        try:
            for group in groups:
                await self.channel_layer.group_add(group, self.channel_name)
                self.groups_joined += (group,)
        except Exception:  # Redis down: tell the client to come back later (it polls).
            logger.warning("WebSocket group_add failed for %s", groups, exc_info=True)
            metrics.websocket_refused("unavailable")
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        count, self.sent_up_to = await database_sync_to_async(_hello_state)(self.user)
        await self.send_json({"type": "hello", "unread_count": count})
        metrics.websocket_opened()
        self.counted = True

    async def disconnect(self, code: int) -> None:
        if self.counted:
            self.counted = False
            metrics.websocket_closed()
        joined, self.groups_joined = self.groups_joined, ()
        for group in joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # group membership expires on its own; never fail a close.
                logger.warning("WebSocket group_discard failed for %s", group, exc_info=True)

    # --- client messages -------------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        """Every frame gets an answer, a bad one an error message; the socket stays open.

        Channels' JSON consumer would close with 1011 on a binary or empty frame, on
        malformed or too deeply nested JSON, and on any error raised while handling it.
        """
        if self.user is None:
            return
        try:
            message = protocol.parse_frame(text_data, bytes_data)
            await self._handle(message)
        except protocol.FrameError as error:
            await self.send_json(error.as_message())
        except Exception:  # a database hiccup must not take the live channel down with it
            logger.exception("WebSocket message from user %s failed", self.user.pk)
            await self.send_json(protocol.server_error().as_message())

    async def _handle(self, message: protocol.ClientMessage) -> None:
        if message.action == protocol.PING:
            await self.send_json({"type": "pong"})
        elif message.action == protocol.RESUME:
            resumed = await database_sync_to_async(_resume_messages)(self.user.pk, message.after_id)
            for reply in resumed:
                await self.send_json(reply)
        elif message.action == protocol.MARK_READ:
            # On success the service's after-commit push tells every tab (this one too).
            try:
                await database_sync_to_async(services.mark_read)(
                    user=self.user, notification_id=message.id
                )
            except ObjectDoesNotExist:
                raise protocol.not_found() from None

    # --- channel-layer events (no database: straight from the event loop) ------------------
    async def dispatch(self, message) -> None:
        # Channels wraps every handler in a thread hop to close stale database connections;
        # all consumers share one such thread, so a broadcast queued 1,000 hops behind each
        # other (docs/benchmarks.md). Pushed events touch no database: skip the hop for them.
        if message.get("type") in PUSH_EVENTS:
            await getattr(self, get_handler_name(message))(message)
        else:
            await super().dispatch(message)

    async def notification_created(self, event) -> None:
        await self._relay(event["notification"], event["unread_count"])

    async def notification_fanout(self, event) -> None:
        """A broadcast to this user's role: relay our own row, if we are a recipient."""
        entry = services.fanout_entry(event, self.user.pk)
        if entry is not None:
            await self._relay(*entry)

    async def _relay(self, notification: dict, unread_count: int) -> None:
        if notification["id"] <= self.sent_up_to:
            return  # a replay already sent it
        if self.unread is not None and unread_count != self.unread + 1:
            try:
                replay = await database_sync_to_async(_resume_messages)(
                    self.user.pk, self.sent_up_to
                )
            except Exception:  # database away too: the client reconnects and resumes
                logger.warning("WebSocket replay failed for user %s", self.user.pk, exc_info=True)
                await self.close(code=CLOSE_TRY_AGAIN_LATER)
                return
            for message in replay:
                await self.send_json(message)
            return
        await self.send_json({"type": "notification", "notification": notification})
        await self.send_json({"type": "unread_count", "unread_count": unread_count})

    async def send_json(self, content, close=False) -> None:
        kind = content.get("type")
        if kind == "notification":
            self.sent_up_to = max(self.sent_up_to, content["notification"]["id"])
        elif kind in {"hello", "unread_count"}:
            self.unread = content["unread_count"]
        await super().send_json(content, close=close)

    async def notification_unread(self, event) -> None:
        await self.send_json({"type": "unread_count", "unread_count": event["unread_count"]})
