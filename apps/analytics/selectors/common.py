"""Helpers every figure family shares: reading engine results, JSON values, risk text."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from apps.analytics import stats

RISK_LEVELS_FLAGGED = ("high", "medium")


def field(obj, name, default=None):
    """Read an attribute of an engine result whether it is an object or a mapping."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def plain(value):
    """Engine values → JSON-friendly values (Decimals to floats, dataclasses to dicts)."""
    if isinstance(value, Decimal):
        return stats.num(value)
    if isinstance(value, float):
        return round(value, 2)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def reason_text(reason) -> str:
    """One risk reason as a sentence for pages and files."""
    if isinstance(reason, str):
        return reason
    for name in ("label", "message", "text", "reason", "code"):
        text = field(reason, name)
        if text:
            points = field(reason, "points")
            return f"{text} ({int(points):+d})" if points not in (None, "") else str(text)
    return str(reason)


def _final_grades(results) -> list[float]:
    return [float(r.final_grade) for r in results if field(r, "final_grade") is not None]


def _letter_counts(results) -> list[tuple[str, int]]:
    counts: dict[str, int] = defaultdict(int)
    for result in results:
        if field(result, "final_grade") is not None:
            counts[result.letter_grade] += 1
    return list(counts.items())
