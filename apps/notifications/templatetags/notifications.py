from django import template
from django.conf import settings

from apps.notifications import selectors
from apps.notifications.links import is_safe_link

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


@register.filter(name="safe_link")
def safe_link(link) -> bool:
    """Whether a stored link may be an ``href``: rows saved before the link rule may hold
    ``javascript:`` and the like, and those are shown as plain text."""
    return bool(link) and is_safe_link(link)
