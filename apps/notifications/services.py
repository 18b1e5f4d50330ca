"""Writes for notifications: create (preference-aware), push after commit, mark, delete.

``notify`` / ``notify_many`` are the single entry point for every sender; they take user
ids and know no school rule (``apps.academics.notices`` decides who hears what). They
store the rows in one ``bulk_create``; only once the transaction commits do they push
them through the channel layer: to ``user.<id>`` groups for a few recipients, and as one
fan-out message per ``role.<name>`` group (carrying each recipient's notification id and
unread count) when many share a role. Lazy texts are rendered once per recipients'
language (``in_each_language``), and rows of kinds a user escalates are stamped with
their ``escalate_at`` (``apps.notifications.escalation``).
A channel-layer failure (Redis down) is logged and swallowed: the rows are the truth and
clients catch up with ``resume`` / the unread-count endpoint.
"""

from __future__ import annotations

import array
import asyncio
import bisect
import datetime as dt
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone, translation
from django.utils.functional import Promise, lazy

from apps.accounts.models import Role, User
from apps.notifications.links import is_safe_link, shown_link
from apps.notifications.models import (
    EmailDigest,
    EmailState,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from sms.observability import metrics

logger = logging.getLogger(__name__)

EVENT_CREATED = "notification.created"
EVENT_FANOUT = "notification.fanout"
EVENT_UNREAD = "notification.unread"
SEND_CONCURRENCY = 200
# From this many recipients of one role, one message to ``role.<name>`` replaces one
# message per recipient (docs/benchmarks.md, "Notifications").
FANOUT_MIN_RECIPIENTS = 20


def group_for(user_id: int) -> str:
    return f"user.{user_id}"


def role_group(role: str) -> str:
    return f"role.{role}"


def serialize(notification: Notification) -> dict[str, Any]:
    """The payload of SPEC §4.2, shared by the WebSocket, the API and resume."""
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "message": notification.message,
        "data": notification.data,
        "link": shown_link(notification.link),
        "created_at": notification.created_at.isoformat(),
        "is_read": notification.read_at is not None,
    }


# --- Preferences -----------------------------------------------------------------------------
def preferences_for(user: User) -> NotificationPreference:
    preference, _created = NotificationPreference.objects.get_or_create(user=user)
    return preference


def _preferences_by_user(user_ids: Sequence[int]) -> dict[int, NotificationPreference]:
    found = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=user_ids)}
    return {pk: found.get(pk) or NotificationPreference(user_id=pk) for pk in user_ids}


# Leaves a preference as it is (``None`` is a value: "never escalate").
UNCHANGED: Any = object()


@transaction.atomic
def preferences_update(
    *,
    user: User,
    kinds: dict[str, dict[str, bool]] | None = None,
    quiet_hours_start=None,
    quiet_hours_end=None,
    email_digest: str | None = None,
    escalate_after_minutes: int | None = UNCHANGED,
    escalate_kinds: Sequence[str] | None = None,
    language: str | None = None,
    teacher_digest: bool | None = None,
) -> NotificationPreference:
    preference = preferences_for(user)
    escalation_before = (preference.escalate_after_minutes, list(preference.escalate_kinds))
    if kinds is not None:
        merged = dict(preference.kinds)
        for kind, channels in kinds.items():
            if kind in NotificationKind.values:
                current = merged.get(kind, {})
                merged[kind] = {
                    channel: bool(
                        channels.get(channel, current.get(channel, preference.wants(kind, channel)))
                    )
                    for channel in ("web", "email")
                }
        preference.kinds = merged
    preference.quiet_hours_start = quiet_hours_start
    preference.quiet_hours_end = quiet_hours_end
    if email_digest is not None:
        preference.email_digest = email_digest
    if escalate_after_minutes is not UNCHANGED:
        preference.escalate_after_minutes = escalate_after_minutes
    if escalate_kinds is not None:
        preference.escalate_kinds = [k for k in NotificationKind.values if k in escalate_kinds]
    if language is not None:
        preference.language = language
    if teacher_digest is not None:
        preference.teacher_digest = teacher_digest
    preference.full_clean()
    preference.save()
    if (preference.escalate_after_minutes, preference.escalate_kinds) != escalation_before:
        _retime_escalations(preference)
    return preference


def _retime_escalations(preference: NotificationPreference) -> None:
    """Notifications waiting to escalate follow a changed setting: a kind taken out (or
    escalation turned off) stops waiting, a new delay counts from their creation. Turning
    escalation on applies to notifications from then on, not to a backlog of old ones."""
    waiting = Notification.objects.filter(
        recipient_id=preference.user_id, escalate_at__isnull=False
    )
    minutes = preference.escalate_after_minutes
    if minutes is None:
        waiting.update(escalate_at=None)
        return
    waiting.exclude(kind__in=preference.escalate_kinds).update(escalate_at=None)
    waiting.filter(kind__in=preference.escalate_kinds).update(
        escalate_at=F("created_at") + dt.timedelta(minutes=minutes)
    )


# --- Create and push -------------------------------------------------------------------------
# A notification text: a plain string is stored as it is for everyone (a broadcast's
# typed title); a lazy one (``gettext_lazy``, ``in_each_language``) is rendered once per
# recipients' language.
Text = str | Promise


def in_each_language(render: Callable[[], str]) -> Promise:
    """A text composed again in each recipient's language: ``render`` runs under
    ``translation.override`` once per language among the recipients, e.g.
    ``in_each_language(lambda: _("New grade in %(course)s") % params)``."""
    return lazy(render, str)()


@dataclass(frozen=True)
class Notice:
    """One message for some users: what ``notify_many`` stores, one row per recipient.

    ``origin`` names what caused it (``import:12``) so that it can be withdrawn with it.
    """

    user_ids: Sequence[int]
    kind: str
    title: Text
    message: Text = ""
    data: dict[str, Any] = field(default_factory=dict)
    link: str = ""
    origin: str = ""


def notify(
    *,
    user_ids: Iterable[int],
    kind: str,
    title: Text,
    message: Text = "",
    data: dict[str, Any] | None = None,
    link: str = "",
    origin: str = "",
) -> list[Notification]:
    """Store one notification per active recipient and push them once committed.

    Delivery only: callers decide who may hear (``apps.academics.notices`` for the
    school's rules). A recipient who turned both web and email off for this kind gets
    nothing; one with web off but email on gets a row that is already read (no badge, no
    push) for the mail.
    """
    return notify_many([Notice(list(user_ids), kind, title, message, data or {}, link, origin)])


def notify_many(notices: Sequence[Notice]) -> list[Notification]:
    """``notify`` for many messages at once: one insert, one push after commit.

    An unknown kind or an unsafe link (``apps.notifications.links``) is a programming
    error and raises ``ValueError`` before anything is stored: senders build links with
    ``reverse()``, and links people type (broadcasts, the admin) are refused at the form
    or serializer with a message. Dropping the link silently would hide the bug.
    """
    for notice in notices:
        if notice.kind not in NotificationKind.values:
            raise ValueError(f"Unknown notification kind: {notice.kind}")
        if not is_safe_link(notice.link):
            raise ValueError(f"Unsafe notification link: {notice.link!r}")
    wanted = {pk for notice in notices for pk in notice.user_ids}
    users = {user.pk: user for user in User.objects.filter(pk__in=wanted, is_active=True)}
    preferences = _preferences_by_user(list(users))
    now = timezone.now()  # one event, one timestamp: the fan-out push relies on it
    rows, groups = [], []
    for notice in notices:
        # Rows with the same text form one push group (a fan-out shares one payload).
        by_text: dict[tuple[str, str], list[Notification]] = {}
        texts = _Texts(notice)
        for user_id in dict.fromkeys(notice.user_ids):
            user = users.get(user_id)
            if user is None:
                continue
            row = _row(notice, user, preferences[user_id], texts, now)
            if row is not None:
                rows.append(row)
                by_text.setdefault((row.title, row.message), []).append(row)
        groups.extend(by_text.values())
    with transaction.atomic():
        # SQLite and PostgreSQL both return the new ids from a bulk insert.
        created = Notification.objects.bulk_create(rows, batch_size=500)
        to_push = [[row for row in group if row.read_at is None] for group in groups]
        transaction.on_commit(lambda: push_groups(to_push), robust=True)
        if any(row.email_state == EmailState.PENDING for row in created):
            transaction.on_commit(_queue_immediate_emails, robust=True)
    return created


class _Texts:
    """A notice's title and message in each language, rendered once per language."""

    def __init__(self, notice: Notice):
        self.notice = notice
        self.lazy = isinstance(notice.title, Promise) or isinstance(notice.message, Promise)
        self.rendered: dict[str, tuple[str, str]] = {}

    def in_language(self, language: str) -> tuple[str, str]:
        if not self.lazy:
            language = ""  # the same plain strings for everyone
        if language not in self.rendered:
            with translation.override(language or settings.LANGUAGE_CODE):
                title, message = str(self.notice.title), str(self.notice.message)
            self.rendered[language] = (title[:200], message)
        return self.rendered[language]


def _row(
    notice: Notice, user: User, preference: NotificationPreference, texts: _Texts, now
) -> Notification | None:
    """The row ``user`` gets for ``notice`` under their preference, or None."""
    web, email = preference.wants(notice.kind, "web"), preference.wants(notice.kind, "email")
    if not web and not email:
        return None
    title, message = texts.in_language(preference.email_language)
    escalates = web and not email and user.email and preference.escalates(notice.kind)
    return Notification(
        recipient=user,
        kind=notice.kind,
        title=title,
        message=message,
        data=notice.data,
        link=notice.link,
        origin=notice.origin[:64],
        created_at=now,
        read_at=None if web else now,
        email_state=EmailState.PENDING if email and user.email else EmailState.NONE,
        escalate_at=(
            now + dt.timedelta(minutes=preference.escalate_after_minutes) if escalates else None
        ),
    )


def withdraw_unread(*, origin: str) -> int:
    """Remove the unread notifications ``origin`` raised (an import rolled back); read ones
    stay, since their reader has seen them. The recipients' counts are pushed on commit."""
    if not origin:
        return 0
    unread = Notification.objects.filter(origin=origin, read_at__isnull=True)
    user_ids = set(unread.values_list("recipient_id", flat=True))
    removed, _detail = unread.delete()
    if user_ids:
        transaction.on_commit(lambda: _push_unread_counts(user_ids), robust=True)
    return removed


def _queue_immediate_emails() -> None:
    from apps.notifications.tasks import send_due_emails

    send_due_emails.delay()


def unread_counts(user_ids: Iterable[int]) -> dict[int, int]:
    user_ids = list(set(user_ids))
    counts = dict.fromkeys(user_ids, 0)
    rows = (
        Notification.objects.filter(recipient_id__in=user_ids, read_at__isnull=True)
        .values("recipient_id")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[row["recipient_id"]] = row["n"]
    return counts


def push_notifications(notifications: Sequence[Notification]) -> bool:
    """Push the rows of one notice (same content, one row per recipient)."""
    return push_groups([notifications])


def push_groups(groups: Sequence[Sequence[Notification]]) -> bool:
    """Push the rows of several notices; each group holds one notice's rows.

    Recipients of a role with at least ``fanout_min_recipients()`` rows of one notice get
    one ``notification.fanout`` message on ``role.<name>``; every consumer of that role
    looks itself up in it and relays only its own row. Everyone else gets a message on
    their ``user.<id>`` group. Either way each client receives its row with its own unread
    count (counted once for all groups).
    """
    groups = [group for group in groups if group]
    if not groups:
        return True
    counts = unread_counts(n.recipient_id for group in groups for n in group)
    messages = []
    for notifications in groups:
        by_role: dict[str, list[Notification]] = {}
        for row in notifications:
            by_role.setdefault(row.recipient.effective_role, []).append(row)
        for role, rows in by_role.items():
            if len(rows) >= fanout_min_recipients():
                messages.append((role_group(role), fanout_event(rows, counts)))
                continue
            messages.extend(
                (
                    group_for(n.recipient_id),
                    {
                        "type": EVENT_CREATED,
                        "notification": serialize(n),
                        "unread_count": counts[n.recipient_id],
                    },
                )
                for n in rows
            )
    pushed = _send(messages)
    metrics.notifications_pushed(groups, pushed=pushed)
    return pushed


def fanout_min_recipients() -> int:
    return int(getattr(settings, "SMS_NOTIFY_FANOUT_MIN", FANOUT_MIN_RECIPIENTS))


def fanout_event(rows: Sequence[Notification], counts: dict[int, int]) -> dict[str, Any]:
    """One message for many recipients: the shared payload plus, as packed int64 arrays
    sorted by user id, each recipient's notification id and unread count. A consumer finds
    itself by binary search without decoding a per-user map (cheap at 5,000 recipients)."""
    ordered = sorted(rows, key=lambda row: row.recipient_id)
    shared = serialize(ordered[0])
    shared["id"] = None
    return {
        "type": EVENT_FANOUT,
        "notification": shared,
        "users": _pack(row.recipient_id for row in ordered),
        "ids": _pack(row.pk for row in ordered),
        "unread": _pack(counts[row.recipient_id] for row in ordered),
    }


def fanout_entry(event: dict[str, Any], user_id: int) -> tuple[dict[str, Any], int] | None:
    """This user's (notification, unread_count) in a fan-out message, or None."""
    users = _unpack(event["users"])
    index = bisect.bisect_left(users, user_id)
    if index == len(users) or users[index] != user_id:
        return None
    notification = {**event["notification"], "id": _unpack(event["ids"])[index]}
    return notification, _unpack(event["unread"])[index]


def _pack(values: Iterable[int]) -> bytes:
    packed = array.array("q", values)
    if sys.byteorder == "big":  # little-endian on the wire, whichever host sent it
        packed.byteswap()
    return packed.tobytes()


def _unpack(data: bytes):
    if sys.byteorder == "little":
        return memoryview(data).cast("q")  # no copy
    values = array.array("q", data)
    values.byteswap()
    return values


def push_unread_count(user_id: int) -> bool:
    return _push_unread_counts([user_id])


def _push_unread_counts(user_ids: Iterable[int]) -> bool:
    counts = unread_counts(user_ids)
    return _send(
        [
            (group_for(user_id), {"type": EVENT_UNREAD, "unread_count": count})
            for user_id, count in counts.items()
        ]
    )


def _send(messages: list[tuple[str, dict[str, Any]]]) -> bool:
    """Push through the channel layer; an outage is logged and swallowed."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(_send_all)(layer, messages)
    except Exception:  # Redis down or slow: stored rows are the truth, clients resume.
        logger.warning("Notification push failed for %d message(s)", len(messages), exc_info=True)
        return False
    return True


async def _send_all(layer, messages: list[tuple[str, dict[str, Any]]]) -> None:
    timeout = getattr(settings, "SMS_NOTIFY_PUSH_TIMEOUT", 5)
    for start in range(0, len(messages), SEND_CONCURRENCY):
        chunk = messages[start : start + SEND_CONCURRENCY]
        sends = [layer.group_send(group, message) for group, message in chunk]
        await asyncio.wait_for(asyncio.gather(*sends), timeout=timeout)


# --- Reading state ---------------------------------------------------------------------------
def _own(user: User, notification_id: int) -> Notification:
    """Someone else's notification does not exist (404), it is never forbidden."""
    return Notification.objects.get(pk=notification_id, recipient=user)


def mark_read(*, user: User, notification_id: int) -> Notification:
    notification = _own(user, notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.escalate_at = None  # read: nothing left to escalate
        notification.save(update_fields=["read_at", "escalate_at"])
        transaction.on_commit(lambda: push_unread_count(user.pk), robust=True)
    return notification


def mark_unread(*, user: User, notification_id: int) -> Notification:
    notification = _own(user, notification_id)
    if notification.read_at is not None:
        notification.read_at = None
        notification.save(update_fields=["read_at"])
        transaction.on_commit(lambda: push_unread_count(user.pk), robust=True)
    return notification


def mark_all_read(*, user: User, kind: str | None = None) -> int:
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if kind:
        unread = unread.filter(kind=kind)
    marked = unread.update(read_at=timezone.now(), escalate_at=None)
    if marked:
        transaction.on_commit(lambda: push_unread_count(user.pk), robust=True)
    return marked


def notification_delete(*, user: User, notification_id: int) -> None:
    notification = _own(user, notification_id)
    was_unread = notification.read_at is None
    notification.delete()
    if was_unread:
        transaction.on_commit(lambda: push_unread_count(user.pk), robust=True)


# --- Broadcast -------------------------------------------------------------------------------
def broadcast_audience(*, roles: Iterable[str] = (), user_ids: Iterable[int] = ()) -> list[int]:
    """The active users of these roles (superusers count as admins) and these users."""
    roles, user_ids = list(roles), list(user_ids)
    query = Q(pk__in=user_ids)
    if roles:
        query |= Q(role__in=roles)
        if Role.ADMIN in roles:
            query |= Q(is_superuser=True)
    return list(User.objects.filter(query, is_active=True).values_list("pk", flat=True))


def broadcast(
    *,
    actor: User,
    title: str,
    message: str = "",
    roles: Iterable[str] = (),
    user_ids: Iterable[int] = (),
    link: str = "",
) -> list[Notification]:
    """An admin's announcement to roles and/or chosen users (a course's people are
    resolved to user ids by the caller, ``apps.academics.notices.course_audience_ids``)."""
    return notify(
        user_ids=broadcast_audience(roles=roles, user_ids=user_ids),
        kind=NotificationKind.BROADCAST,
        title=title,
        message=message,
        data={"from": actor.get_full_name() or actor.username},
        link=link,
    )


def digest_due(preference: NotificationPreference, now) -> bool:
    """Has a digest period passed since this user's last digest?"""
    if preference.email_digest == EmailDigest.NEVER:
        return False
    period = 1 if preference.email_digest == EmailDigest.DAILY else 7
    last = preference.last_digest_at
    return last is None or (now - last).total_seconds() >= period * 86400 - 3600
