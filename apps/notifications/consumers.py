"""WebSocket endpoint ``ws/notifications/`` (SPEC §4.2): parse, call a service, send.

Authentication: the session cookie (through ``AuthMiddlewareStack``) or ``?token=<access
JWT>``; anything else is accepted only to be closed with 4401 so the client can tell
"log in again" from a network failure. The Origin header is checked in ``sms/asgi.py``.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from asgiref.sync import async_to_sync
from channels.generic.websocket import JsonWebsocketConsumer
from django.core.exceptions import ObjectDoesNotExist

from apps.accounts.models import User
from apps.notifications import selectors, services

logger = logging.getLogger(__name__)

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


class NotificationConsumer(JsonWebsocketConsumer):
    user: User | None = None
    group: str | None = None

    def connect(self) -> None:
        self.user = self._authenticate()
        self.accept()
        if self.user is None:
            self.close(code=CLOSE_UNAUTHENTICATED)
            return
        group = services.group_for(self.user.pk)
        try:
            async_to_sync(self.channel_layer.group_add)(group, self.channel_name)
        except Exception:  # Redis down: tell the client to come back later (it polls).
            logger.warning("WebSocket group_add failed for %s", group, exc_info=True)
            self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        self.group = group
        self.send_json({"type": "hello", "unread_count": selectors.unread_count(self.user)})

    def disconnect(self, code: int) -> None:
        if self.group is None:
            return
        try:
            async_to_sync(self.channel_layer.group_discard)(self.group, self.channel_name)
        except Exception:  # group membership expires on its own; never fail a close.
            logger.warning("WebSocket group_discard failed for %s", self.group, exc_info=True)
        self.group = None

    def _authenticate(self) -> User | None:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        token = (query.get("token") or [""])[0]
        if token:
            return user_from_token(token)
        user = self.scope.get("user")
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None

    # --- client messages -------------------------------------------------------------------
    def receive_json(self, content, **kwargs) -> None:
        if self.user is None or not isinstance(content, dict):
            return
        action = content.get("action")
        if action == "ping":
            self.send_json({"type": "pong"})
        elif action == "resume":
            self._resume(content.get("after_id"))
        elif action == "mark_read":
            self._mark_read(content.get("id"))
        else:
            self.send_json({"type": "error", "error": "unknown_action"})

    def _resume(self, after_id) -> None:
        try:
            after_id = max(int(after_id or 0), 0)
        except (TypeError, ValueError):
            self.send_json({"type": "error", "error": "invalid_after_id"})
            return
        for notification in selectors.missed_since(self.user.pk, after_id):
            self.send_json(
                {"type": "notification", "notification": services.serialize(notification)}
            )
        self.send_json({"type": "unread_count", "unread_count": selectors.unread_count(self.user)})

    def _mark_read(self, notification_id) -> None:
        try:
            services.mark_read(user=self.user, notification_id=int(notification_id))
        except (TypeError, ValueError, ObjectDoesNotExist):
            self.send_json({"type": "error", "error": "not_found"})
            return
        # Autocommit: the service's on_commit push tells every tab (this one too).

    # --- channel-layer events --------------------------------------------------------------
    def notification_created(self, event) -> None:
        self.send_json({"type": "notification", "notification": event["notification"]})
        self.send_json({"type": "unread_count", "unread_count": event["unread_count"]})

    def notification_unread(self, event) -> None:
        self.send_json({"type": "unread_count", "unread_count": event["unread_count"]})
