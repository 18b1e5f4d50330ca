"""Decimal conversion and rounding shared by every figure the engine produces.

Sums computed by the database arrive as floats, so every rounded figure is first settled
to 9 decimals and then rounded half up to 2 decimals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_SETTLE = Decimal("1e-9")


def to_decimal(value: Any) -> Decimal:
    """Decimal from a database or JSON value; floats go through their shortest repr."""
    if isinstance(value, Decimal):
        return value
    if value is None:
        return ZERO
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value).replace(",", "."))


def round2(value: Decimal | None) -> Decimal | None:
    """Round half up to 2 decimals after settling float noise at 9 decimals."""
    if value is None:
        return None
    return value.quantize(_SETTLE, ROUND_HALF_UP).quantize(_CENT, ROUND_HALF_UP)
