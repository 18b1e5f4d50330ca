"""The school days the demo data falls on: the current school year up to yesterday.

The year starts on 1 September. Weekends, the Christmas break, public holidays and the
summer (after 15 June) are not school days. Early in September there are too few days
for meaningful records, so the previous school year is used instead.
"""

import datetime as dt
from dataclasses import dataclass

FIXED_HOLIDAYS = {(10, 28), (11, 17), (1, 30), (3, 25), (5, 1)}
MIN_SCHOOL_DAYS = 40


@dataclass(frozen=True)
class Term:
    today: dt.date
    start: dt.date
    days: tuple[dt.date, ...]  # school days, oldest first, all before today

    @property
    def academic_year(self) -> str:
        return f"{self.start.year}-{self.start.year + 1}"

    def day_at(self, position: float) -> dt.date:
        """The school day at a fraction of the term so far (0 first, 1 last)."""
        position = min(max(position, 0.0), 1.0)
        return self.days[round(position * (len(self.days) - 1))]


def school_year_start(day: dt.date) -> dt.date:
    return dt.date(day.year if day.month >= 9 else day.year - 1, 9, 1)


def is_school_day(day: dt.date) -> bool:
    if day.weekday() >= 5 or (day.month, day.day) in FIXED_HOLIDAYS:
        return False
    if (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day <= 6):
        return False
    return not (day.month in (7, 8) or (day.month == 6 and day.day > 15))


def school_days(start: dt.date, end: dt.date) -> tuple[dt.date, ...]:
    """School days from start to end, both included."""
    count = (end - start).days + 1
    days = (start + dt.timedelta(days=offset) for offset in range(max(count, 0)))
    return tuple(day for day in days if is_school_day(day))


def build_term(today: dt.date) -> Term:
    start = school_year_start(today)
    yesterday = today - dt.timedelta(days=1)
    days = school_days(start, yesterday)
    if len(days) < MIN_SCHOOL_DAYS:
        start = dt.date(start.year - 1, 9, 1)
        days = school_days(start, yesterday)
    return Term(today=today, start=start, days=days)
