"""Integers as JSON Schema counts them, for the models and for plain domain rules (connection config)
alike; a module without pydantic, so reading a connection does not import it."""

from __future__ import annotations

from typing import Any


def as_integer(value: Any) -> int | None:
    """``value`` as an int when JSON Schema counts it as an integer (3 or 3.0), else None.

    Booleans and strings are never integers; 3.5, NaN and infinities are not either."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None
