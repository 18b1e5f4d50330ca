"""Notices about the user's own jobs (imports, exports), in the recipient's language.

The school's rules (grades, absences) live in ``apps.academics.notices``; these take
plain arguments so any job runner can call them. The texts composed here are lazy
(``services.in_each_language``): ``notify()`` renders them in the recipient's language
(``NotificationPreference.language``, else the site language). A title passed in is
stored as given: pass ``in_each_language(lambda: _(...) % params)`` for one that follows
the recipient too.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from apps.accounts.models import User
from apps.notifications.models import NotificationKind
from apps.notifications.services import Text, in_each_language, notify

logger = logging.getLogger(__name__)


def site_language() -> translation.override:
    """For a text composed once for everyone: in the site language, whoever triggers the
    event (a teacher browsing in English, a Celery worker with no language at all)."""
    return translation.override(settings.LANGUAGE_CODE)


# --- Import / export -------------------------------------------------------------------------
def import_finished(
    *, user: User, title: Text, link: str = "", counts: dict[str, int] | None = None
) -> None:
    counts = counts or {}
    summary = in_each_language(
        lambda: ", ".join(
            _("%(label)s: %(count)s") % {"label": _count_label(key), "count": value}
            for key, value in counts.items()
        )
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


def import_failed(*, user: User, title: Text, error: str = "", link: str = "") -> None:
    notify(
        user_ids=[user.pk],
        kind=NotificationKind.IMPORT_FAILED,
        title=title,
        message=error,
        data={"error": error},
        link=link,
    )


def export_ready(*, user: User, title: Text, link: str, data: dict[str, Any] | None = None) -> None:
    notify(
        user_ids=[user.pk],
        kind=NotificationKind.EXPORT_READY,
        title=title,
        message=gettext_lazy("Your file is ready to download."),
        data={"download_url": link, **(data or {})},
        link=link,
    )
