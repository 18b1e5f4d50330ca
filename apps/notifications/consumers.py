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
from apps.notifications import selectors, services

_INVALID_JSON = object()
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


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    user: User | None = None
    groups_joined: tuple[str, ...] = ()

    async def connect(self) -> None:
        self.user = await database_sync_to_async(_authenticate)(self.scope)
        await self.accept()
        if self.user is None:
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
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        count = await database_sync_to_async(selectors.unread_count)(self.user.pk)
        await self.send_json({"type": "hello", "unread_count": count})

    async def disconnect(self, code: int) -> None:
        joined, self.groups_joined = self.groups_joined, ()
        for group in joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # group membership expires on its own; never fail a close.
                logger.warning("WebSocket group_discard failed for %s", group, exc_info=True)

    # --- client messages -------------------------------------------------------------------
    @classmethod
    async def decode_json(cls, text_data):
        """A frame that is not JSON is answered with an error instead of closing with 1011."""
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return _INVALID_JSON

    async def receive_json(self, content, **kwargs) -> None:
        if content is _INVALID_JSON:
            await self.send_json({"type": "error", "error": "invalid_json"})
            return
        if self.user is None or not isinstance(content, dict):
            return
        action = content.get("action")
        if action == "ping":
            await self.send_json({"type": "pong"})
        elif action == "resume":
            await self._resume(content.get("after_id"))
        elif action == "mark_read":
            await self._mark_read(content.get("id"))
        else:
            await self.send_json({"type": "error", "error": "unknown_action"})

    async def _resume(self, after_id) -> None:
        try:
            after_id = max(int(after_id or 0), 0)
        except (TypeError, ValueError):
            await self.send_json({"type": "error", "error": "invalid_after_id"})
            return
        for message in await database_sync_to_async(_resume_messages)(self.user.pk, after_id):
            await self.send_json(message)

    async def _mark_read(self, notification_id) -> None:
        try:
            await database_sync_to_async(services.mark_read)(
                user=self.user, notification_id=int(notification_id)
            )
        except (TypeError, ValueError, ObjectDoesNotExist):
            await self.send_json({"type": "error", "error": "not_found"})
        # On success the service's after-commit push tells every tab (this one too).

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
        await self.send_json({"type": "notification", "notification": event["notification"]})
        await self.send_json({"type": "unread_count", "unread_count": event["unread_count"]})

    async def notification_fanout(self, event) -> None:
        """A broadcast to this user's role: relay our own row, if we are a recipient."""
        entry = services.fanout_entry(event, self.user.pk)
        if entry is None:
            return
        notification, unread_count = entry
        await self.send_json({"type": "notification", "notification": notification})
        await self.send_json({"type": "unread_count", "unread_count": unread_count})

    async def notification_unread(self, event) -> None:
        await self.send_json({"type": "unread_count", "unread_count": event["unread_count"]})
