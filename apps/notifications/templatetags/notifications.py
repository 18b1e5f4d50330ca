from django import template
from django.conf import settings

from apps.notifications import selectors

register = template.Library()


@register.simple_tag
def notification_bell_state(user) -> dict:
    """What the bell needs on first paint: unread count, last id (for resume), poll interval."""
    if not getattr(user, "is_authenticated", False):
        return {}
    return {
        "unread_count": selectors.unread_count(user),
        "last_id": selectors.latest_id(user),
        "poll_seconds": settings.SMS_NOTIFY_POLL_SECONDS,
    }
