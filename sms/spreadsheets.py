"""Cells written to files a spreadsheet program opens: the one rule every export follows.

A text cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which
some programs skip before looking) would be run as a formula, so it is written with a
leading apostrophe. The importer takes the apostrophe off again, so an export re-imports
unchanged. Used by the record exports (``apps.bulkio``) and the analytics files alike.
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in FORMULA_PREFIXES:
        return "'" + value
    return value
