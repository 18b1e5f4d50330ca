"""Emailing the teachers' weekly digest (``apps.analytics.digest``): one email per teacher
and week, in the teacher's language, never two for the same week.

The week is recorded on the teacher's ``NotificationPreference`` (``teacher_digest_week``,
the Monday of the week) by a conditional update before the email goes out, so two runs
at once (a retried task, a second beat, an admin's command) cannot both send it; a
failed send gives the week back for the retry.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.analytics import stats
from apps.analytics.digest import TeacherDigest, digest_for, teachers_with_courses
from apps.notifications.models import NotificationPreference

logger = logging.getLogger(__name__)

SENT = "sent"
PREVIEW = "preview"
OPTED_OUT = "opted_out"
ALREADY_SENT = "already_sent"
NOTHING_TO_REPORT = "nothing_to_report"
NO_ADDRESS = "no_address"


@dataclass(frozen=True)
class Outcome:
    username: str
    status: str
    message: EmailMultiAlternatives | None = None


@dataclass
class DigestRun:
    outcomes: list[Outcome] = field(default_factory=list)

    def with_status(self, status: str) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status == status]


def compose(digest: TeacherDigest, teacher: User) -> EmailMultiAlternatives:
    """The email (text and HTML) of a digest, in the active language."""
    subject = _("Weekly digest of your courses, week of %(date)s") % {
        "date": formats.date_format(digest.week_start, "SHORT_DATE_FORMAT")
    }
    context = {
        "digest": digest,
        "teacher": teacher,
        "site_url": settings.SMS_SITE_URL.rstrip("/"),
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("analytics/digest_email.txt", context),
        to=[teacher.email],
    )
    html = render_to_string("analytics/digest_email.html", context)
    message.attach_alternative(html, "text/html")
    return message


def send_teacher_digest(
    teacher: User, *, today: dt.date | None = None, dry_run: bool = False
) -> Outcome:
    """Email this teacher's digest for the week of ``today``, unless they opted out, it
    was sent already, or there is nothing to report. ``dry_run`` composes it only."""
    today = today or timezone.localdate()
    week = stats.week_start(today)
    preference = NotificationPreference.objects.filter(user=teacher).first()
    if preference is None:
        preference = NotificationPreference(user=teacher)
    if not preference.teacher_digest:
        return Outcome(teacher.username, OPTED_OUT)
    if preference.teacher_digest_week == week and not dry_run:
        return Outcome(teacher.username, ALREADY_SENT)
    if not teacher.email:
        return Outcome(teacher.username, NO_ADDRESS)
    with translation.override(preference.email_language):
        digest = digest_for(teacher, today=today)
        if not digest.has_news:
            return Outcome(teacher.username, NOTHING_TO_REPORT)
        message = compose(digest, teacher)
    if dry_run:
        return Outcome(teacher.username, PREVIEW, message)
    if not _claim_week(teacher, week):
        return Outcome(teacher.username, ALREADY_SENT)
    try:
        message.send()
    except Exception:
        _release_week(teacher, week, preference.teacher_digest_week)
        raise
    return Outcome(teacher.username, SENT, message)


def _claim_week(teacher: User, week: dt.date) -> bool:
    """Record the week as sent, unless someone recorded it first (one UPDATE decides)."""
    NotificationPreference.objects.get_or_create(user=teacher)
    claimed = (
        NotificationPreference.objects.filter(user=teacher, teacher_digest=True)
        .exclude(teacher_digest_week=week)
        .update(teacher_digest_week=week)
    )
    return claimed == 1


def _release_week(teacher: User, week: dt.date, previous: dt.date | None) -> None:
    NotificationPreference.objects.filter(user=teacher, teacher_digest_week=week).update(
        teacher_digest_week=previous
    )


def send_teacher_digests(
    *, today: dt.date | None = None, usernames: list[str] | None = None, dry_run: bool = False
) -> DigestRun:
    """Every active teacher with courses (or the named ones), one after the other."""
    teachers = teachers_with_courses()
    if usernames:
        teachers = teachers.filter(username__in=usernames)
    run = DigestRun()
    for teacher in teachers:
        run.outcomes.append(send_teacher_digest(teacher, today=today, dry_run=dry_run))
    return run
