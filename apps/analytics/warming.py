"""Compute the figures most people open first, before they open them.

After a rebuild or a deploy every cached figure is gone, and the first visitors would
each pay for a cold computation. Warming fills the cache for the whole-school view and
each teacher's default view (the dashboard page's five reports, unfiltered, and the
cards' comparison of this month with the last, which the page loads right after it),
most recently active teachers first. Single flight (``caching.single_flight``) means a user
who arrives while their view is being warmed waits for it instead of computing it again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F

from apps.academics.filtering import RecordFilters
from apps.accounts.models import Role, User
from apps.analytics.reports import report_payload
from apps.analytics.selectors.period_comparison import cached_comparison

# The reports the dashboard page shows, which the API's cards and lists share.
DEFAULT_VIEW_REPORTS = ("dashboard", "students", "attendance", "grades", "courses")


@dataclass(frozen=True)
class WarmReport:
    views: int
    seconds: float


def users_to_warm(limit: int) -> list[User]:
    """One administrator (all of them share the whole-school view) and active teachers."""
    active = User.objects.filter(is_active=True)
    admin = active.filter(role=Role.ADMIN).order_by("pk").first()
    teachers = active.filter(role=Role.TEACHER).order_by(
        F("last_login").desc(nulls_last=True), "pk"
    )[: max(0, limit - 1)]
    return ([admin] if admin else []) + list(teachers)


def warm_common_figures(limit: int | None = None) -> WarmReport:
    started = time.perf_counter()
    limit = settings.SMS_ANALYTICS_WARM_USERS if limit is None else limit
    users = users_to_warm(limit)
    for user in users:
        for report in DEFAULT_VIEW_REPORTS:
            report_payload(report, user, RecordFilters())
        # Two dated dashboards: the whole school's cost seconds each when cold.
        cached_comparison(user, RecordFilters())
    return WarmReport(views=len(users), seconds=time.perf_counter() - started)
