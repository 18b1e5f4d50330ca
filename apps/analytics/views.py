"""Analytics pages (HTMX): the dashboard and a student drill-down.

One view serves the page and, for HTMX requests, the fragment that the filters swap in;
both read the same cached reports as the API.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from apps.academics import scoping
from apps.academics.filtering import BadQuery, RecordFilters, parse_query
from apps.accounts.models import Role
from apps.analytics.digest import digest_for, digest_teacher, teachers_with_courses
from apps.analytics.reports import report_payload
from apps.analytics.selectors import RISK_LEVELS_FLAGGED, order_students
from apps.analytics.selectors.bands import (
    RISK_REASON_CODES,
    StudentListFilters,
    parse_list_filters,
)
from apps.analytics.selectors.period_comparison import COMPARED_FIGURES, cached_comparison
from sms.api import MAX_DB_ID

AT_RISK_SHOWN = 12
AT_RISK_CARD = "analytics-at-risk-card"
AT_RISK_FILTER_LABELS = {"risk_level": _("Risk level"), "risk_reason": _("Risk reason")}
RISK_REASON_LABELS = {
    "average_below_50": _("Average below 50"),
    "average_below_65": _("Average below 65"),
    "average_below_75": _("Average below 75"),
    "attendance_below_70": _("Attendance below 70%"),
    "attendance_below_80": _("Attendance below 80%"),
    "trend_declining": _("Grades declining"),
    "trend_improving": _("Grades improving"),
}
WEEKDAYS = range(1, 6)
WEEKDAY_LABELS = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))


FILTER_LABELS = {
    "date_from": _("From"),
    "date_to": _("To"),
    "course": _("Course"),
    "student": _("Student"),
    "class_division": _("Class division"),
    "study_year": _("Study year"),
    "semester": _("Semester"),
    "threshold": _("Attendance threshold"),
    "consecutive": _("Consecutive absences"),
}


def _filters(request) -> tuple[RecordFilters, dict]:
    """The filters, or the defaults plus ``{label: [messages]}`` to show above the page."""
    try:
        return parse_query(request.GET), {}
    except ValidationError as error:
        return RecordFilters(), {
            FILTER_LABELS.get(name, name): [str(message) for message in messages]
            for name, messages in error.detail.items()
        }


def _status(request, errors: dict) -> int:
    """Filters that cannot be read: the page shows why, as a 400. An HTMX swap stays a
    200, because htmx swaps in no error response and the message would never be seen."""
    return 400 if errors and not request.htmx else 200


def _filter_options(user) -> dict:
    courses = scoping.courses_for(user).order_by("course_code")
    students = scoping.students_for(user)
    return {
        "courses": list(courses.values("id", "course_code", "course_name")),
        "semesters": sorted({s for s in courses.values_list("semester", flat=True) if s}),
        "divisions": sorted(
            {d for d in students.values_list("class_division", flat=True).distinct() if d}
        ),
        "study_years": [1, 2, 3, 4],
    }


def _heatmap(attendance: dict) -> dict:
    cells = {(cell["weekday"], cell["period"]): cell for cell in attendance["heatmap"]}
    periods = sorted({period for _day, period in cells} or {1})
    days = sorted({day for day, _period in cells} | set(WEEKDAYS))
    return {
        "periods": periods,
        "rows": [
            {
                "weekday": day,
                "name": WEEKDAY_LABELS[day - 1],
                "cells": [cells.get((day, period)) for period in periods],
            }
            for day in days
        ],
    }


def _query_string(request) -> str:
    pairs = [(key, value) for key in request.GET for value in request.GET.getlist(key) if value]
    return urlencode(pairs)


def _at_risk_filters(request) -> tuple[StudentListFilters, dict]:
    """The at-risk card's risk level and reason (flagged levels only), or none plus
    ``{label: [messages]}`` as ``_filters`` gives them."""
    try:
        return parse_list_filters(request.GET, levels=RISK_LEVELS_FLAGGED), {}
    except ValidationError as error:
        return StudentListFilters(), {
            AT_RISK_FILTER_LABELS.get(name, name): [str(message) for message in messages]
            for name, messages in error.detail.items()
        }


def _at_risk(request, user, filters: RecordFilters, chosen: StudentListFilters) -> dict:
    """The at-risk card: flagged students of the page's filters narrowed by the card's own
    risk level and reason, with each one's percentile band in the page's cohort."""
    students = report_payload("students", user, filters)["results"]
    levels = chosen.risk_levels or RISK_LEVELS_FLAGGED
    flagged = [row for row in chosen.apply(students) if row["risk_level"] in levels]
    # "All (XLSX)" lists the same students: the flagged levels unless some were chosen.
    export = _query_string(request)
    if not chosen.risk_levels:
        levels_query = urlencode({"risk_level": ",".join(RISK_LEVELS_FLAGGED)})
        export = f"{export}&{levels_query}" if export else levels_query
    return {
        "at_risk": order_students(flagged, "-risk_score")[:AT_RISK_SHOWN],
        "at_risk_total": len(flagged),
        "at_risk_filters": chosen,
        "at_risk_export_query": export,
        "risk_levels": RISK_LEVELS_FLAGGED,
        "risk_reasons": [(code, RISK_REASON_LABELS[code]) for code in RISK_REASON_CODES],
    }


@login_required
def dashboard(request):
    user = request.user
    if scoping.role_of(user) == Role.STUDENT:
        profile = getattr(user, "student_profile", None)
        if profile is None:
            raise PermissionDenied
        return redirect("analytics:student", pk=profile.pk)
    filters, errors = _filters(request)
    chosen, at_risk_errors = _at_risk_filters(request)
    context = {
        "errors": errors,
        "at_risk_errors": at_risk_errors,
        "query": _query_string(request),
        "api_base": reverse("analytics-api:dashboard").rsplit("dashboard/", 1)[0],
        **_at_risk(request, user, filters, chosen),
    }
    if request.htmx and request.htmx.target == AT_RISK_CARD:
        # The card's own filters swap only the card: the other figures are unchanged.
        return render(request, "analytics/_at_risk_card.html", context)
    attendance = report_payload("attendance", user, filters)
    context |= {
        "filters": filters,
        "options": _filter_options(user),
        "dashboard": report_payload("dashboard", user, filters),
        "grades": report_payload("grades", user, filters),
        "attendance": attendance,
        "heatmap": _heatmap(attendance),
        "courses": report_payload("courses", user, filters)["results"],
    }
    context["as_of"] = parse_datetime(context["dashboard"]["generated_at"])
    template = "analytics/_dashboard_body.html" if request.htmx else "analytics/dashboard.html"
    status = _status(request, {**errors, **at_risk_errors})
    return render(request, template, context, status=status)


def _direction(change) -> str | None:
    if change is None:
        return None
    return "up" if change > 0 else "down" if change < 0 else "same"


def _delta(name: str, figure: dict) -> dict:
    """One card's "vs previous period" line: direction and size of the change."""
    change = figure["change"]
    return {
        "name": name,
        "direction": _direction(change),
        "size": abs(change) if change is not None else None,
        "previous": figure["previous"],
        "points": name in ("pass_rate", "attendance_rate"),
    }


@login_required
def comparison(request):
    """The dashboard cards' "vs previous period" lines, loaded after the page (HTMX) so
    the page's own cold time never includes the second period. Scoped as the dashboard:
    a student has no dashboard (403), bad filters are a 400."""
    user = request.user
    if scoping.role_of(user) == Role.STUDENT:
        raise PermissionDenied
    try:
        found = cached_comparison(user, parse_query(request.GET))
    except ValidationError as error:
        raise BadQuery(str(error.detail)) from None
    context = {
        "comparison": found,
        "current": [dt.date.fromisoformat(day) for day in found["current"].values()],
        "previous": [dt.date.fromisoformat(day) for day in found["previous"].values()],
        "deltas": [_delta(name, found["figures"][name]) for name in COMPARED_FIGURES],
    }
    return render(request, "analytics/_comparison.html", context)


@login_required
def student(request, pk: int):
    if pk > MAX_DB_ID:
        raise Http404  # no database key holds it: nobody, not an overflow in the driver
    filters, errors = _filters(request)
    report = report_payload("student", request.user, filters, pk)
    context = {
        "report": report,
        "filters": filters,
        "errors": errors,
        "query": _query_string(request),
        "api_url": reverse("analytics-api:student-detail", args=[pk]),
        "as_of": parse_datetime(report["generated_at"]),
        "privacy_min_group": settings.SMS_PRIVACY_MIN_GROUP,
    }
    return render(request, "analytics/student.html", context, status=_status(request, errors))


def _teacher_param(request) -> int | None:
    """``?teacher=<id>``: None when absent; anything that names no user is a 404."""
    value = request.GET.get("teacher", "")
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or int(value) > MAX_DB_ID:
        raise Http404
    return int(value)


@login_required
def digest(request):
    """The teachers' weekly "what changed" digest: a teacher's own, or (admins) the
    digest of the teacher chosen with ``?teacher=<id>``."""
    teacher_pk = _teacher_param(request)
    is_admin = scoping.role_of(request.user) == Role.ADMIN
    try:
        teacher = digest_teacher(request.user, teacher_pk)
    except PermissionError:
        raise PermissionDenied from None
    except LookupError:
        if not (is_admin and teacher_pk is None):
            raise Http404 from None
        teacher = None  # an admin who has not chosen a teacher yet
    context = {
        "digest": digest_for(teacher) if teacher is not None else None,
        "teacher": teacher,
        "teachers": list(teachers_with_courses().only("pk", "username", "first_name", "last_name"))
        if is_admin
        else [],
    }
    template = "analytics/_digest_body.html" if request.htmx else "analytics/digest.html"
    return render(request, template, context)
