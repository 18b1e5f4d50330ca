"""The student list's percentile bands and its own filters (risk level, reason, band).

The cohort of a student list is every student the list holds before these filters: the
user's scope narrowed by the shared record filters (course, class, year, semester, dates).
Each row's ``percentile`` is the percentile rank of its ``average_grade`` in that cohort,
computed from counts: 100 × (students whose average is at or below this one) / (students
with an average). The bands use nearest-rank percentiles of the same averages: P(p) is the
average at ascending rank ⌈p × N / 100⌉, ``bottom`` is an average ≤ P(15) and ``top`` an
average ≥ P(85) (so ``top`` is exactly ``percentile`` ≥ 85). A student who would be in
both (their average is P(15) and P(85) at once: the cohort does not separate them) and a
student without an average are in no band.

``risk_level``, ``risk_reason`` and ``band`` then narrow the rows without changing the
cohort: a student's percentile and band stay the same whatever the list shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.academics import grading

BOTTOM_PERCENTILE = 15
TOP_PERCENTILE = 85
BANDS = ("bottom", "top")
# The codes ``grading.risk_assessment`` gives its reasons (one band per group).
RISK_REASON_CODES = (
    "average_below_50",
    "average_below_65",
    "average_below_75",
    "attendance_below_70",
    "attendance_below_80",
    "trend_declining",
    "trend_improving",
)
LIST_FILTER_NAMES = ("risk_level", "risk_reason", "band")


@dataclass(frozen=True)
class StudentListFilters:
    risk_levels: tuple[str, ...] = ()
    risk_reasons: tuple[str, ...] = ()
    bands: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.risk_levels or self.risk_reasons or self.bands)

    def cache_token(self) -> str:
        """A stable text form: same filters in any order give the same token."""
        return "rl={}&rr={}&b={}".format(
            ",".join(self.risk_levels), ",".join(self.risk_reasons), ",".join(self.bands)
        )

    def matches(self, row: dict) -> bool:
        """Each filter that is set must match (any of its values)."""
        if self.risk_levels and row.get("risk_level") not in self.risk_levels:
            return False
        if self.risk_reasons and not any(
            code in self.risk_reasons for code in row.get("risk_reason_codes") or ()
        ):
            return False
        return not self.bands or row.get("band") in self.bands

    def apply(self, rows: Iterable[dict]) -> list[dict]:
        return [row for row in rows if self.matches(row)] if self else list(rows)

    def as_display(self) -> list[tuple[str, str]]:
        """Label/value pairs of the filters that are set, for file headers (the values as
        the rows' columns show them)."""
        shown = [
            (_("Risk level"), self.risk_levels),
            (_("Risk reason"), self.risk_reasons),
            (_("Percentile band"), self.bands),
        ]
        return [(str(label), ", ".join(values)) for label, values in shown if values]


def _values(query, name: str) -> list[str]:
    """A repeatable query value: ``?x=a&x=b`` or ``?x=a,b``, trimmed, lower case."""
    return [
        part.strip().lower()
        for value in query.getlist(name)
        for part in value.split(",")
        if part.strip()
    ]


def _choices(query, name: str, allowed: Sequence[str], errors: dict) -> tuple[str, ...]:
    values = _values(query, name)
    if any(value not in allowed for value in values):
        errors[name] = [_("Choose from: %(choices)s.") % {"choices": ", ".join(allowed)}]
        return ()
    # Kept in the order of ``allowed``, so the cache token does not depend on the query's.
    return tuple(choice for choice in allowed if choice in values)


def parse_list_filters(query, *, levels: Sequence[str] = grading.RISK_LEVELS) -> StudentListFilters:
    """The student list's own filters from a ``QueryDict``; an unknown value raises DRF's
    ``ValidationError`` ``{filter: [message naming the allowed values]}``."""
    errors: dict[str, list[str]] = {}
    filters = StudentListFilters(
        risk_levels=_choices(query, "risk_level", levels, errors),
        risk_reasons=_choices(query, "risk_reason", RISK_REASON_CODES, errors),
        bands=_choices(query, "band", BANDS, errors),
    )
    if errors:
        raise ValidationError(errors)
    return filters


def _nearest_rank(ordered: Sequence[float], percent: int):
    """The nearest-rank percentile of ascending values (integer arithmetic: no 0.15 × 20
    that rounds up to the next rank)."""
    rank = max(1, -(-percent * len(ordered) // 100))
    return ordered[rank - 1]


def add_percentiles(rows: list[dict]) -> list[dict]:
    """Set ``percentile`` and ``band`` on each row (in place) from the rows' averages."""
    ordered = sorted(row["average_grade"] for row in rows if row["average_grade"] is not None)
    count = len(ordered)
    low = _nearest_rank(ordered, BOTTOM_PERCENTILE) if ordered else None
    high = _nearest_rank(ordered, TOP_PERCENTILE) if ordered else None
    # Rank of the last equal average = how many are at or below it.
    at_or_below = {average: rank for rank, average in enumerate(ordered, 1)}
    for row in rows:
        average = row["average_grade"]
        if average is None:
            row["percentile"], row["band"] = None, None
            continue
        row["percentile"] = round(100 * at_or_below[average] / count, 2)
        bottom, top = average <= low, average >= high
        row["band"] = None if bottom == top else "bottom" if bottom else "top"
    return rows
