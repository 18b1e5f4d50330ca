"""Stored notifications and each user's delivery preferences.

The table is the truth: every notification is a row before it is pushed, so a client
that missed a push (offline, Redis down) catches up by asking for ids after its last one.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.notifications.links import LINK_MAX_LENGTH, validate_link


class NotificationKind(models.TextChoices):
    SYSTEM = "system", _("System")
    MESSAGE = "message", _("Message")
    ALERT = "alert", _("Alert")
    GRADE_POSTED = "grade_posted", _("Grade posted")
    ATTENDANCE_ALERT = "attendance_alert", _("Attendance alert")
    IMPORT_FINISHED = "import_finished", _("Import finished")
    IMPORT_FAILED = "import_failed", _("Import failed")
    EXPORT_READY = "export_ready", _("Export ready")
    BROADCAST = "broadcast", _("Broadcast")


class EmailState(models.TextChoices):
    NONE = "", _("No email")
    PENDING = "pending", _("Waiting to be emailed")
    SENT = "sent", _("Emailed")


# Kinds that cannot wait: their emails (per-kind and escalation) ignore quiet hours.
URGENT_KINDS = frozenset({NotificationKind.ATTENDANCE_ALERT})


class EmailDigest(models.TextChoices):
    NEVER = "never", _("Never (send each email at once)")
    DAILY = "daily", _("Daily digest")
    WEEKLY = "weekly", _("Weekly digest")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=200)
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    # Checked by the one link rule (apps.notifications.links) in the admin and the API;
    # notify() refuses an unsafe one outright, and pages never render one as a link.
    link = models.CharField(
        _("link"), max_length=LINK_MAX_LENGTH, blank=True, validators=[validate_link]
    )
    # What raised it (``import:12``), so that undoing the cause withdraws what is unread.
    origin = models.CharField(_("origin"), max_length=64, blank=True, default="")
    # One timestamp per notify() call (set there), so a broadcast's rows are identical but
    # for recipient and id and can be pushed as one message.
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, editable=False, db_index=False
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_state = models.CharField(
        _("email state"), max_length=8, choices=EmailState.choices, default="", blank=True
    )
    # When an unread row of a kind its recipient escalates becomes one email (set by
    # notify(), cleared when read or emailed): the escalation task reads only these rows.
    escalate_at = models.DateTimeField(_("escalate at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        indexes = [
            # "my unread, newest first" and the unread count: recipient + read_at, id desc.
            models.Index(fields=["recipient", "read_at", "-id"], name="notif_recipient_unread_idx"),
            # the centre and resume: recipient, id range.
            models.Index(fields=["recipient", "-id"], name="notif_recipient_id_idx"),
            models.Index(fields=["recipient", "kind", "-id"], name="notif_recipient_kind_idx"),
            # withdrawing what an import raised, when it is rolled back.
            models.Index(
                fields=["origin"], name="notif_origin_idx", condition=~models.Q(origin="")
            ),
            models.Index(
                fields=["email_state"],
                name="notif_email_pending_idx",
                condition=models.Q(email_state="pending"),
            ),
            # The escalation task's "due now": only rows waiting to escalate are indexed.
            models.Index(
                fields=["escalate_at"],
                name="notif_escalate_due_idx",
                condition=models.Q(escalate_at__isnull=False),
            ),
            # The broadcast page's "recent broadcasts": the latest send times, then their
            # rows counted from the index alone, without reading the rest of the table.
            models.Index(
                fields=["-created_at", "id"],
                name="notif_broadcast_idx",
                condition=models.Q(kind="broadcast"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


ESCALATE_MAX_MINUTES = 7 * 24 * 60


def validate_kind_list(value) -> None:
    if not isinstance(value, list) or not all(isinstance(kind, str) for kind in value):
        raise ValidationError(_("Give a list of notification kinds."))
    unknown = sorted(set(value) - set(NotificationKind.values))
    if unknown:
        raise ValidationError(_("Unknown kinds: %(kinds)s") % {"kinds": ", ".join(unknown)})


class NotificationPreference(models.Model):
    """One row per user; a kind missing from ``kinds`` uses the defaults (web on, email off)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    kinds = models.JSONField(_("per-kind channels"), default=dict, blank=True)
    quiet_hours_start = models.TimeField(_("quiet hours start"), null=True, blank=True)
    quiet_hours_end = models.TimeField(_("quiet hours end"), null=True, blank=True)
    email_digest = models.CharField(
        _("email digest"), max_length=8, choices=EmailDigest.choices, default=EmailDigest.NEVER
    )
    last_digest_at = models.DateTimeField(_("last digest sent"), null=True, blank=True)
    # Unread in-app notifications of these kinds become one email after this many minutes
    # (null: never).
    escalate_after_minutes = models.PositiveIntegerField(
        _("email unread notifications after (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(ESCALATE_MAX_MINUTES)],
    )
    escalate_kinds = models.JSONField(
        _("kinds that escalate to email"),
        default=list,
        blank=True,
        validators=[validate_kind_list],
    )
    # Notifications and emails are written in this language; blank: the site language.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True, default=""
    )
    # Teachers: the weekly "what changed" email of their courses (apps.analytics.digest),
    # and the Monday of the last week it was sent, so a week never gets two.
    teacher_digest = models.BooleanField(_("weekly digest of my courses"), default=True)
    teacher_digest_week = models.DateField(
        _("weekly digest last sent for the week of"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user}"

    DEFAULT_WEB = True
    DEFAULT_EMAIL = False

    def wants(self, kind: str, channel: str) -> bool:
        default = self.DEFAULT_WEB if channel == "web" else self.DEFAULT_EMAIL
        return bool(self.kinds.get(kind, {}).get(channel, default))

    @property
    def email_language(self) -> str:
        """The language this user's notifications and emails are written in."""
        return self.language or settings.LANGUAGE_CODE

    def escalates(self, kind: str) -> bool:
        return self.escalate_after_minutes is not None and kind in self.escalate_kinds

    def in_quiet_hours(self, moment: dt.time) -> bool:
        """Quiet hours may wrap midnight (22:00–07:00)."""
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if start is None or end is None or start == end:
            return False
        if start < end:
            return start <= moment < end
        return moment >= start or moment < end
