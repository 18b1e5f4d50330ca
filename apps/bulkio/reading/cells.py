"""Spreadsheet values as the text a person sees in the cell."""

from __future__ import annotations

import datetime as dt


def cell_text(value) -> str:
    """Whole numbers without `.0`, ISO dates, booleans as true/false, text trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
