"""Values between the database, JSON (change records, API) and spreadsheet cells."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

# Export neutralisation lives in sms.spreadsheets; re-exported for apps.bulkio.resources.
from sms.spreadsheets import safe_cell  # noqa: F401


def to_json(value):
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def unescape_formula(text: str) -> str:
    """Exports prefix formula-like cells with an apostrophe; take it off again on import."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text
