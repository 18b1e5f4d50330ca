"""Domain events that become notifications; the rules of who hears what live here.

The academics services call these through ``transaction.on_commit`` with ids, so a
notification is only ever about data that was committed. Import/export functions take
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

from apps.academics.models import Attendance, Grade
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


def _threshold() -> float:
    return float(getattr(settings, "SMS_NOTIFY_ATTENDANCE_THRESHOLD", 75))


def _consecutive() -> int:
    return int(getattr(settings, "SMS_NOTIFY_CONSECUTIVE_ABSENCES", 3))


# --- Grades ----------------------------------------------------------------------------------
@_in_site_language
def grade_posted(grade_id: int, *, updated: bool = False) -> None:
    """The student hears about a new (or changed) grade in their course."""
    grade = Grade.objects.select_related("student", "course").filter(pk=grade_id).first()
    if grade is None or grade.student.user_id is None:
        return
    params = {
        "course": grade.course.course_code,
        "assignment": grade.assignment_name,
        "grade": f"{grade.grade.normalize():f}",
        "max": f"{grade.max_grade.normalize():f}",
    }
    title = (
        _("Grade updated in %(course)s: %(assignment)s %(grade)s/%(max)s")
        if updated
        else _("New grade in %(course)s: %(assignment)s %(grade)s/%(max)s")
    ) % params
    notify(
        recipients=[grade.student.user],
        kind=NotificationKind.GRADE_POSTED,
        title=title,
        message=grade.course.course_name,
        data={
            "grade_id": grade.pk,
            "course_id": grade.course_id,
            "course_code": grade.course.course_code,
            "assignment_name": grade.assignment_name,
            "category": grade.category,
            "grade": params["grade"],
            "max_grade": params["max"],
            "updated": updated,
        },
        student=grade.student,
        course=grade.course,
    )


# --- Attendance ------------------------------------------------------------------------------
@_in_site_language
def attendance_recorded(attendance_id: int, *, previous_status: str | None = None) -> None:
    """An absence tells the student; crossing the threshold or N in a row tells the teachers too.

    ``previous_status`` is the record's status before an update: a record that was already
    absent (only its note or period changed, or it was saved again) raises nothing new.
    """
    if previous_status == "absent":
        return
    record = Attendance.objects.select_related("student", "course").filter(pk=attendance_id).first()
    if record is None or record.status != "absent":
        return
    # The state as this record was written (ids up to its own), so a batch of marks
    # committed together raises each alert once, at the record that crossed the line.
    history = list(
        Attendance.objects.filter(
            student_id=record.student_id, course_id=record.course_id, pk__lte=record.pk
        )
        .order_by("date", "period_number", "id")
        .values_list("id", "status")
    )
    rate_now = _rate([status for _pk, status in history])
    rate_before = _rate([status for pk, status in history if pk != record.pk])
    run = _run_containing(history, record.pk)
    threshold, consecutive = _threshold(), _consecutive()
    crossed = (
        rate_now is not None
        and rate_now < threshold
        and (rate_before is None or rate_before >= threshold)
    )
    reached = run == consecutive
    student, course = record.student, record.course
    data = {
        "attendance_id": record.pk,
        "course_id": course.pk,
        "course_code": course.course_code,
        "student_id": student.pk,
        "date": record.date.isoformat(),
        "period_number": record.period_number,
        "attendance_rate": None if rate_now is None else round(rate_now, 1),
        "consecutive_absences": run,
    }
    if student.user_id is not None:
        notify(
            recipients=[student.user],
            kind=NotificationKind.ATTENDANCE_ALERT,
            title=_("Absence recorded in %(course)s on %(date)s")
            % {"course": course.course_code, "date": record.date.isoformat()},
            message=_alert_message(rate_now, run, crossed, reached),
            data=data,
            student=student,
            course=course,
        )
    if crossed or reached:
        notify(
            recipients=list(course.teachers.all()),
            kind=NotificationKind.ATTENDANCE_ALERT,
            title=_("Attendance alert: %(name)s in %(course)s")
            % {"name": f"{student.last_name} {student.first_name}", "course": course.course_code},
            message=_alert_message(rate_now, run, crossed, reached),
            data={**data, "below_threshold": crossed, "threshold": threshold},
            course=course,
            student=student,
        )


def _rate(statuses: list[str]) -> float | None:
    countable = [s for s in statuses if s != "excused"]
    if not countable:
        return None
    return sum(1 for s in countable if s in ("present", "late")) / len(countable) * 100


def _run_containing(history: list[tuple[int, str]], record_id: int) -> int:
    """Length of the run of consecutive absences that contains this record."""
    index = next(i for i, (pk, _status) in enumerate(history) if pk == record_id)
    start = index
    while start > 0 and history[start - 1][1] == "absent":
        start -= 1
    end = index
    while end + 1 < len(history) and history[end + 1][1] == "absent":
        end += 1
    return end - start + 1


def _alert_message(rate: float | None, run: int, crossed: bool, reached: bool) -> str:
    parts = []
    if rate is not None:
        parts.append(_("Attendance rate %(rate).1f%%.") % {"rate": rate})
    if crossed:
        parts.append(_("Below the %(threshold)s%% threshold.") % {"threshold": f"{_threshold():g}"})
    if reached:
        parts.append(_("%(count)d consecutive absences.") % {"count": run})
    return " ".join(parts)


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
        recipients=[user],
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
        recipients=[user],
        kind=NotificationKind.IMPORT_FAILED,
        title=title,
        message=error,
        data={"error": error},
        link=link,
    )


@_in_site_language
def export_ready(*, user: User, title: str, link: str, data: dict[str, Any] | None = None) -> None:
    notify(
        recipients=[user],
        kind=NotificationKind.EXPORT_READY,
        title=title,
        message=_("Your file is ready to download."),
        data={"download_url": link, **(data or {})},
        link=link,
    )
