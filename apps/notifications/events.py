"""Notices about the user's own jobs (imports, exports), in the site language.

The school's rules (grades, absences) live in ``apps.academics.notices``; these take
plain arguments so any job runner can call them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from apps.accounts.models import User
from apps.notifications.models import NotificationKind
from apps.notifications.services import notify

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


def site_language() -> translation.override:
    """Notification texts are stored once, for all their recipients, in the site language.

    Whoever triggers an event (a teacher browsing in English, a Celery worker with no
    language at all) the stored title and message come out the same: in LANGUAGE_CODE.
    Callers that compose a title themselves do it inside ``with site_language():``.
    """
    return translation.override(settings.LANGUAGE_CODE)


def _in_site_language(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with site_language():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# --- Import / export -------------------------------------------------------------------------
@_in_site_language
def import_finished(
    *, user: User, title: str, link: str = "", counts: dict[str, int] | None = None
) -> None:
    counts = counts or {}
    summary = ", ".join(
        _("%(label)s: %(count)s") % {"label": _count_label(key), "count": value}
        for key, value in counts.items()
    )
    notify(
        user_ids=[user.pk],
        kind=NotificationKind.IMPORT_FINISHED,
        title=title,
        message=summary,
        data={"counts": counts},
        link=link,
    )


def _count_label(key: str) -> str:
    labels = {
        "new": pgettext("import count", "new"),
        "update": pgettext("import count", "updated"),
        "skip": pgettext("import count", "unchanged"),
        "error": pgettext("import count", "with errors"),
    }
    return labels.get(key, key)


@_in_site_language
def import_failed(*, user: User, title: str, error: str = "", link: str = "") -> None:
    notify(
        user_ids=[user.pk],
        kind=NotificationKind.IMPORT_FAILED,
        title=title,
        message=error,
        data={"error": error},
        link=link,
    )


@_in_site_language
def export_ready(*, user: User, title: str, link: str, data: dict[str, Any] | None = None) -> None:
    notify(
        user_ids=[user.pk],
        kind=NotificationKind.EXPORT_READY,
        title=title,
        message=_("Your file is ready to download."),
        data={"download_url": link, **(data or {})},
        link=link,
    )
