"""Reads for notifications: always scoped to the requesting user."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.notifications.models import Notification

RESUME_LIMIT = 200


def notifications_for(
    user: User, *, unread: bool | None = None, kind: str | None = None
) -> QuerySet[Notification]:
    """The user's notifications, newest first, optionally only unread / one kind."""
    queryset = Notification.objects.filter(recipient=user).order_by("-id")
    if unread is True:
        queryset = queryset.filter(read_at__isnull=True)
    elif unread is False:
        queryset = queryset.filter(read_at__isnull=False)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset


def unread_count(user: User | int) -> int:
    user_id = user if isinstance(user, int) else user.pk
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()


def missed_since(user_id: int, after_id: int, limit: int = RESUME_LIMIT) -> list[Notification]:
    """What a reconnecting client missed, oldest first so it can replay them in order."""
    return list(
        Notification.objects.filter(recipient_id=user_id, pk__gt=after_id).order_by("id")[:limit]
    )


def latest_id(user: User) -> int:
    return (
        Notification.objects.filter(recipient=user)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
        or 0
    )
