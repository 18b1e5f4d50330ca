"""Emails for notifications: immediate ones, quiet-hours deferrals, digests and escalations
(Celery beat). Each email is written in its recipient's language; urgent kinds
(``URGENT_KINDS``) are not held back by quiet hours."""

from __future__ import annotations

from collections import defaultdict

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.notifications import escalation
from apps.notifications.models import URGENT_KINDS, EmailDigest, EmailState, Notification
from apps.notifications.services import _preferences_by_user, digest_due

BATCH = 1000


def _pending_by_user() -> dict[int, list[Notification]]:
    pending = (
        Notification.objects.filter(email_state=EmailState.PENDING)
        .select_related("recipient")
        .order_by("id")[:BATCH]
    )
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for notification in pending:
        by_user[notification.recipient_id].append(notification)
    return by_user


def _message(
    user, notifications: list[Notification], *, digest: str | None, connection, language: str
) -> EmailMessage:
    # In the recipient's language, like the stored notification texts the email quotes.
    with translation.override(language):
        return _compose(user, notifications, digest=digest, connection=connection)


def _compose(
    user, notifications: list[Notification], *, digest: str | None, connection
) -> EmailMessage:
    if digest:
        subject = _("Your %(period)s notification digest (%(count)d)") % {
            "period": _("daily") if digest == EmailDigest.DAILY else _("weekly"),
            "count": len(notifications),
        }
    else:
        subject = (
            notifications[0].title
            if len(notifications) == 1
            else _("%(count)d new notifications") % {"count": len(notifications)}
        )
    body = render_to_string(
        "notifications/email.txt",
        {"user": user, "notifications": notifications, "site_url": settings.SMS_SITE_URL},
    )
    return EmailMessage(subject=subject, body=body, to=[user.email], connection=connection)


def _send(
    user, notifications: list[Notification], *, digest: str | None, connection, language: str
) -> None:
    _message(user, notifications, digest=digest, connection=connection, language=language).send()
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
        email_state=EmailState.SENT
    )


@shared_task(name="notifications.send_due_emails", acks_late=True, max_retries=3)
def send_due_emails() -> int:
    """Email what is pending for users without a digest who are outside their quiet hours.

    Idempotent: a row leaves ``pending`` only once its email went out.
    """
    by_user = _pending_by_user()
    preferences = _preferences_by_user(list(by_user))
    now_local = timezone.localtime().time()
    sent = 0
    with get_connection() as connection:
        for user_id, notifications in by_user.items():
            preference = preferences[user_id]
            if preference.email_digest != EmailDigest.NEVER:
                continue
            if preference.in_quiet_hours(now_local):
                # Urgent kinds go now; the rest waits for the end of the quiet hours.
                notifications = [n for n in notifications if n.kind in URGENT_KINDS]
                if not notifications:
                    continue
            _send(
                notifications[0].recipient,
                notifications,
                digest=None,
                connection=connection,
                language=preference.email_language,
            )
            sent += len(notifications)
    return sent


@shared_task(name="notifications.send_email_digests", acks_late=True, max_retries=3)
def send_email_digests() -> int:
    """One email per user whose daily/weekly digest is due, outside their quiet hours."""
    by_user = _pending_by_user()
    preferences = _preferences_by_user(list(by_user))
    now = timezone.now()
    now_local = timezone.localtime(now).time()
    sent = 0
    with get_connection() as connection:
        for user_id, notifications in by_user.items():
            preference = preferences[user_id]
            if not digest_due(preference, now) or preference.in_quiet_hours(now_local):
                continue
            _send(
                notifications[0].recipient,
                notifications,
                digest=preference.email_digest,
                connection=connection,
                language=preference.email_language,
            )
            preference.last_digest_at = now
            if preference.pk:
                preference.save(update_fields=["last_digest_at"])
            sent += 1
    return sent


@shared_task(name="notifications.escalate_unread", acks_late=True, max_retries=3)
def escalate_unread() -> int:
    """Every minute (beat): unread notifications past their user's delay become one email
    per user (``apps.notifications.escalation``); each row is claimed before it is sent."""
    return escalation.escalate_due()
