"""The one rule for a notification's link, used wherever a link comes in or goes out.

A link is followed by a click in the notification centre and in toasts, so it must
never run script or leave the site by surprise: it is empty, a path on this site
(``/courses/3/``), or an absolute ``http``/``https`` URL. Everything else is refused:
``javascript:``, ``data:``, ``vbscript:``, scheme-relative ``//host`` (and ``/\\host``,
which browsers read the same way), and any whitespace or control character, since
browsers drop tabs and new lines inside a URL (``java\\tscript:`` runs as
``javascript:``) and strip leading spaces (`` javascript:``).

Incoming links (broadcast API, admin form, ``notify()``) are checked with
``validate_link``; outgoing ones with the same rule (``shown_link`` for the API and the
WebSocket, the ``safe_link`` filter for pages, its copy in ``static/js/notifications.js``
for toasts), so a row stored before the rule existed is never an ``href``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

LINK_MAX_LENGTH = 500
SAFE_SCHEMES = frozenset({"http", "https"})

INVALID_LINK_MESSAGE = _(
    "Enter a path on this site starting with “/” or an address starting with http:// or https://."
)


def _has_unsafe_character(link: str) -> bool:
    """Whitespace, C0/C1 control characters and backslashes (the toast code checks the same)."""
    return any(
        char.isspace() or ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F or char == "\\"
        for char in link
    )


def is_safe_link(link: object) -> bool:
    """True for "", a site path ("/…" but not "//…") or an http(s) URL with a host."""
    if not isinstance(link, str):
        return False
    if link == "":
        return True
    if len(link) > LINK_MAX_LENGTH or _has_unsafe_character(link):
        return False
    if link.startswith("/"):
        return not link.startswith("//")
    try:
        parts = urlsplit(link)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return False
    return parts.scheme.lower() in SAFE_SCHEMES and bool(parts.hostname)


def validate_link(value: str) -> None:
    """Django validator (model field, admin form, broadcast serializer)."""
    if not is_safe_link(value):
        raise ValidationError(INVALID_LINK_MESSAGE, code="invalid_link")


def shown_link(link: str) -> str:
    """A stored link as API and WebSocket clients get it: one saved before the rule that
    breaks it is withheld (""), so no client can turn it into an ``href``."""
    return link if is_safe_link(link) else ""
