"""Escalation: unread in-app notifications of the kinds a user chose become one email.

``notify()`` stamps ``escalate_at`` (creation + the user's delay) on the rows of kinds the
user escalates, when the web channel is on and the per-kind email is off (that one is
already emailed). Reading a row clears its stamp. Every minute ``escalate_due`` finds the
due rows of all users in one indexed query (``notif_escalate_due_idx``), claims them in
the same transaction (``escalate_at`` cleared, ``email_state`` sent: a second worker skips
locked rows and finds nothing left, a restart never sends again) and, once committed,
sends each recipient one email listing theirs, in their language. Quiet hours hold back
the rows of everyone inside them, except urgent kinds (``URGENT_KINDS``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.notifications.models import (
    URGENT_KINDS,
    EmailState,
    Notification,
    NotificationPreference,
)

logger = logging.getLogger(__name__)

BATCH = 500
MAX_BATCHES = 20  # per run: 10,000 rows a minute; more waits for the next run


def outside_quiet_hours(moment: dt.time, prefix: str = "") -> Q:
    """``NotificationPreference.in_quiet_hours`` negated, as SQL over the preference's
    columns (reached through ``prefix``), so a query can leave out everyone in theirs."""
    start, end = f"{prefix}quiet_hours_start", f"{prefix}quiet_hours_end"
    starts_later = Q(**{f"{start}__gt": moment})
    ended = Q(**{f"{end}__lte": moment})
    return (
        Q(**{f"{start}__isnull": True})
        | Q(**{f"{end}__isnull": True})
        | Q(**{start: F(end)})
        | (Q(**{f"{start}__lt": F(end)}) & (starts_later | ended))  # 13:00–15:00
        | (Q(**{f"{start}__gt": F(end)}) & starts_later & ended)  # 22:00–07:00
    )


def due(now: dt.datetime):
    """Unread rows whose escalation time has come, of users outside their quiet hours
    (urgent kinds whatever the hour)."""
    awake = outside_quiet_hours(
        timezone.localtime(now).time(), prefix="recipient__notification_preference__"
    )
    return Notification.objects.filter(
        Q(kind__in=URGENT_KINDS) | awake, escalate_at__lte=now, read_at__isnull=True
    )


def escalate_due(*, now: dt.datetime | None = None, batch: int = BATCH) -> int:
    """Email what is due, a batch at a time; returns the number of emails sent."""
    now = now or timezone.now()
    # Rows read by a path that did not clear their stamp leave the index here.
    Notification.objects.filter(escalate_at__lte=now, read_at__isnull=False).update(
        escalate_at=None
    )
    sent = 0
    for _round in range(MAX_BATCHES):
        claimed = _claim(now, batch)
        if not claimed:
            break
        sent += _send(claimed, now)
        if len(claimed) < batch:
            break
    return sent


def _claim(now: dt.datetime, batch: int) -> list[Notification]:
    """Take up to ``batch`` due rows for this worker: locked (others skip them), then
    marked in one UPDATE before the transaction ends, so each is emailed at most once."""
    with transaction.atomic():
        rows = list(
            due(now)
            .select_related("recipient", "recipient__notification_preference")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("recipient_id", "id")[:batch]
        )
        mailed = [row.pk for row in rows if _reachable(row.recipient)]
        Notification.objects.filter(pk__in=mailed).update(
            escalate_at=None, email_state=EmailState.SENT
        )
        unmailed = [row.pk for row in rows if not _reachable(row.recipient)]
        if unmailed:  # no address (or no longer active): nothing to send, ever
            Notification.objects.filter(pk__in=unmailed).update(escalate_at=None)
    return [row for row in rows if _reachable(row.recipient)]


def _reachable(user) -> bool:
    return bool(user.is_active and user.email)


def _send(rows: list[Notification], now: dt.datetime) -> int:
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for row in rows:
        by_user[row.recipient_id].append(row)
    sent = 0
    with get_connection() as connection:
        for notifications in by_user.values():
            try:
                escalation_email(notifications, connection=connection).send()
            except Exception:  # the mail server refused or is away: retry next run
                logger.warning("Escalation email failed", exc_info=True)
                Notification.objects.filter(
                    pk__in=[n.pk for n in notifications], read_at__isnull=True
                ).update(escalate_at=now, email_state=EmailState.NONE)
                continue
            sent += 1
    return sent


def escalation_email(notifications: list[Notification], *, connection=None) -> EmailMessage:
    """One email listing a user's unread notifications, in their language."""
    user = notifications[0].recipient
    preference = _preference(user)
    with translation.override(preference.email_language):
        count = len(notifications)
        subject = ngettext(
            "You have %(count)d unread notification",
            "You have %(count)d unread notifications",
            count,
        ) % {"count": count}
        if count == 1:
            subject = f"{subject}: {notifications[0].title}"
        body = render_to_string(
            "notifications/email.txt",
            {
                "user": user,
                "notifications": notifications,
                "site_url": settings.SMS_SITE_URL,
                "intro": _("These notifications are still unread:"),
            },
        )
    return EmailMessage(subject=subject, body=body, to=[user.email], connection=connection)


def _preference(user) -> NotificationPreference:
    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)
