"""Plain number helpers for the analytics: statistics over already-read numbers.

The school's rules (the pass mark, the attendance rate, letters) are the grade engine's
(``apps.academics.grading``); the helpers here only count with them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from decimal import Decimal

from apps.academics import grading

LETTER_LABELS = ("A+", "A", "A-", "B+", "B", "B-", "C+", "C", "D", "F")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def num(value, places: int = 2) -> float | None:
    """Decimal/float → float rounded for JSON, keeping None."""
    if value is None:
        return None
    return round(float(value), places)


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def quantile(distribution: list[tuple[float, int]], q: float) -> float | None:
    """Linear-interpolated quantile (the 'inclusive' method) over sorted (value, count) pairs."""
    total = sum(count for _, count in distribution)
    if total == 0:
        return None
    position = (total - 1) * q
    lower_index, upper_index = math.floor(position), math.ceil(position)
    lower = upper = None
    seen = 0
    for value, count in distribution:
        if lower is None and lower_index < seen + count:
            lower = value
        if upper_index < seen + count:
            upper = value
            break
        seen += count
    return lower + (upper - lower) * (position - lower_index)


def summarise(distribution: list[tuple[float, int]]) -> dict:
    """count, mean, median, population stdev, min, max, p25, p75 of (value, count) pairs."""
    distribution = sorted((float(value), count) for value, count in distribution if count)
    count = sum(n for _, n in distribution)
    if not count:
        return dict.fromkeys(("mean", "median", "stdev", "min", "max", "p25", "p75"), None) | {
            "count": 0
        }
    mean = sum(value * n for value, n in distribution) / count
    variance = sum(n * (value - mean) ** 2 for value, n in distribution) / count
    return {
        "count": count,
        "mean": num(mean),
        "median": num(quantile(distribution, 0.5)),
        "stdev": num(math.sqrt(variance)),
        "min": num(distribution[0][0]),
        "max": num(distribution[-1][0]),
        "p25": num(quantile(distribution, 0.25)),
        "p75": num(quantile(distribution, 0.75)),
    }


def summarise_values(values: Iterable[float | Decimal]) -> dict:
    """``summarise`` of values that count once each, without the pairs: the same sums in
    the same (sorted) order, so the same floats, in a fifth of the time (a whole school's
    300 courses: ~85,000 finals)."""
    ordered = sorted(float(value) for value in values)
    count = len(ordered)
    if not count:
        return summarise([])
    mean = sum(ordered) / count
    variance = sum((value - mean) ** 2 for value in ordered) / count
    return {
        "count": count,
        "mean": num(mean),
        "median": num(_sorted_quantile(ordered, 0.5)),
        "stdev": num(math.sqrt(variance)),
        "min": num(ordered[0]),
        "max": num(ordered[-1]),
        "p25": num(_sorted_quantile(ordered, 0.25)),
        "p75": num(_sorted_quantile(ordered, 0.75)),
    }


def _sorted_quantile(ordered: list[float], q: float) -> float:
    """``quantile`` over sorted values that count once each."""
    position = (len(ordered) - 1) * q
    lower_index, upper_index = math.floor(position), math.ceil(position)
    lower, upper = ordered[lower_index], ordered[upper_index]
    return lower + (upper - lower) * (position - lower_index)


def histogram(distribution: Iterable[tuple[float, int]]) -> list[dict]:
    """Ten-point bins of percentages: [0,10), [10,20) … [90,100]; 100 falls in the last."""
    counts = [0] * 10
    for value, count in distribution:
        counts[min(int(float(value) // 10), 9) if float(value) >= 0 else 0] += count
    return [{"from": low * 10, "to": low * 10 + 10, "count": counts[low]} for low in range(10)]


def letter_buckets(letters: Iterable[tuple[str, int]]) -> list[dict]:
    counts = dict.fromkeys(LETTER_LABELS, 0)
    for label, count in letters:
        counts[label] = counts.get(label, 0) + count
    total = sum(counts.values())
    return [
        {
            "label": label,
            "count": count,
            "percent": round(count / total * 100, 2) if total else 0.0,
        }
        for label, count in counts.items()
    ]


def pass_rate(values: Iterable[float | Decimal | None]) -> float | None:
    return pass_rate_of_distribution((value, 1) for value in values if value is not None)


def pass_rate_of_distribution(distribution: Iterable[tuple[float, int]]) -> float | None:
    """Percentage of the (value, count) pairs at or above the engine's pass mark."""
    mark = float(grading.pass_mark())
    total = passed = 0
    for value, count in distribution:
        total += count
        passed += count if float(value) >= mark else 0
    return round(passed / total * 100, 2) if total else None
