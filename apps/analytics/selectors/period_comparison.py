"""The dashboard's headline figures against the previous period (``?compare=previous``).

Both periods are the dashboard itself asked for that date range, with every other filter
and the user's scope unchanged: a dated dashboard reads the daily rollups
(``apps.analytics.ranged``), so a comparison never runs the grade engine over raw rows,
and its figures are the dashboard's own, to the cent. Each period's dashboard is the
cached report (``report_payload``) a user asking for that range would get, and the
comparison is cached on top of them, keyed by the periods it compares.

Periods (``comparison_periods``):

* ``date_from`` and ``date_to``: that range against the range of the same length that
  ends the day before ``date_from``;
* no dates: this calendar month up to today against the whole previous month;
* only ``date_from``: ``date_from`` up to today (or that one day, if it is later), then
  as with both dates;
* only ``date_to``: its month up to ``date_to`` against the whole month before.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.academics.filtering import RecordFilters
from apps.analytics.caching import cached_value, entry_key
from apps.analytics.reports import report_payload
from apps.analytics.results import flush_pending
from apps.analytics.scope import scope_key

COMPARE_CHOICES = ("previous",)
# The dashboard's figures a comparison carries, in the order the cards show them.
COMPARED_FIGURES = ("average_grade", "pass_rate", "attendance_rate", "at_risk")


@dataclasses.dataclass(frozen=True)
class Period:
    date_from: dt.date
    date_to: dt.date

    def as_data(self) -> dict:
        return {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat()}


@dataclasses.dataclass(frozen=True)
class Periods:
    current: Period
    previous: Period

    def cache_token(self) -> str:
        """The resolved dates: a comparison without dates changes with the day."""
        return "|".join(
            day.isoformat()
            for period in (self.current, self.previous)
            for day in (period.date_from, period.date_to)
        )


def parse_compare(query) -> str | None:
    """``?compare=``: None when absent or empty; an unknown value is a 400."""
    value = (query.get("compare") or "").strip().lower()
    if not value:
        return None
    if value not in COMPARE_CHOICES:
        raise ValidationError({"compare": [_("Choose one of: %s.") % ", ".join(COMPARE_CHOICES)]})
    return value


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _before(period_start: dt.date, days: int) -> Period:
    """The ``days`` days that end the day before ``period_start``."""
    try:
        return Period(period_start - dt.timedelta(days=days), period_start - dt.timedelta(days=1))
    except OverflowError:
        raise ValidationError(
            {"date_from": [_("There is no earlier period to compare this one with.")]}
        ) from None


def _month_to_date(day: dt.date) -> Periods:
    """``day``'s month up to ``day`` against the whole month before."""
    start = _month_start(day)
    last_of_previous = _before(start, 1).date_to
    return Periods(Period(start, day), Period(_month_start(last_of_previous), last_of_previous))


def comparison_periods(filters: RecordFilters, today: dt.date | None = None) -> Periods:
    """The current and the previous period for these filters (module docstring)."""
    today = today or timezone.localdate()
    date_from, date_to = filters.date_from, filters.date_to
    if date_from is None:
        return _month_to_date(date_to or today)
    if date_to is None:
        date_to = max(today, date_from)
    days = (date_to - date_from).days + 1
    return Periods(Period(date_from, date_to), _before(date_from, days))


def _change(current, previous):
    if current is None or previous is None:
        return None
    if isinstance(current, int) and isinstance(previous, int):
        return current - previous
    return round(current - previous, 2)


def _figures(dashboard: dict) -> dict:
    at_risk = dashboard["at_risk"]
    return {
        "average_grade": dashboard["average_grade"],
        "pass_rate": dashboard["pass_rate"],
        "attendance_rate": dashboard["attendance_rate"],
        "at_risk": at_risk["high"] + at_risk["medium"],
    }


def period_comparison(user, filters: RecordFilters, periods: Periods) -> dict:
    """``comparison`` of the dashboard: each figure's value in both periods and the change."""
    values = {}
    for name, period in (("current", periods.current), ("previous", periods.previous)):
        dated = dataclasses.replace(filters, date_from=period.date_from, date_to=period.date_to)
        values[name] = _figures(report_payload("dashboard", user, dated))
    return {
        "current": periods.current.as_data(),
        "previous": periods.previous.as_data(),
        "figures": {
            name: {
                "current": values["current"][name],
                "previous": values["previous"][name],
                "change": _change(values["current"][name], values["previous"][name]),
            }
            for name in COMPARED_FIGURES
        },
    }


def cached_comparison(user, filters: RecordFilters, compare: str = "previous") -> dict:
    """``period_comparison`` from the shared cache (one computation per key), keyed by the
    user's scope, the filters and the resolved periods."""
    flush_pending()  # this transaction's own writes first: they may start a new generation
    periods = comparison_periods(filters)
    key = entry_key(
        "comparison", compare, scope_key(user), filters.cache_token(), periods.cache_token()
    )
    return cached_value(key, lambda: period_comparison(user, filters, periods))
