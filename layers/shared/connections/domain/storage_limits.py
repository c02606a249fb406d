"""The sizes DynamoDB allows, and item sizes computed in bytes the way DynamoDB counts them.

A record that would break a limit is refused as invalid input (or as an item error in a sync) before
any write, instead of failing the write with a ValidationException (a 500). Sizes follow
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html and
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html:
strings and attribute names are their UTF-8 length; a number is about one byte per two significant
digits plus one; binary is its length; null and booleans one byte; a list or map costs 3 bytes plus one
byte per element, and a map's element also its key.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

MAX_ITEM_BYTES = 400 * 1024
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024
# DynamoDB numbers keep 38 significant digits between 1e-130 and 1e126; larger magnitudes are refused.
MAX_NUMBER_MAGNITUDE = Decimal("9.9999999999999999999999999999999999999E+125")
MIN_NUMBER_MAGNITUDE = Decimal("1E-130")  # of a non-zero number


def text_bytes(text: str) -> int:
    """The UTF-8 length DynamoDB counts for a string or an attribute name."""
    return len(text.encode("utf-8", "surrogatepass"))


def _number_bytes(value: int | float | Decimal) -> int:
    # Significant digits only: leading and trailing zeros cost nothing (1000000 is one digit).
    digits = "".join(map(str, Decimal(str(value)).as_tuple().digits)).strip("0") or "0"
    return min(21, (len(digits) + 1) // 2 + 1)


def value_bytes(value: Any) -> int:
    """The size of one attribute value (without its name)."""
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return text_bytes(value)
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, int | float | Decimal):
        return _number_bytes(value)
    if isinstance(value, Mapping):
        return 3 + sum(1 + text_bytes(str(key)) + value_bytes(item) for key, item in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return 3 + sum(1 + value_bytes(item) for item in value)
    return text_bytes(str(value))


def item_bytes(values: Mapping[str, Any]) -> int:
    """The size of an item: every attribute's name plus its value (None attributes are not stored)."""
    return sum(text_bytes(name) + value_bytes(value) for name, value in values.items() if value is not None)


# What the writer accepts (boto3's DYNAMODB_CONTEXT): 38 significant digits, exponents that keep
# non-zero magnitudes within 1e-130..1e126; any rounding, underflow or overflow is refused there.
_DYNAMODB_NUMBERS = Context(
    prec=38, rounding=ROUND_HALF_EVEN, Emin=-128, Emax=126, traps=[Clamped, Overflow, Inexact, Rounded, Underflow]
)


def number_fits(value: int | float | Decimal) -> bool:
    """Whether DynamoDB can store the number exactly (finite, within its magnitude and its 38 digits)."""
    try:
        number = _DYNAMODB_NUMBERS.create_decimal(str(value))
    except ArithmeticError:  # includes the trapped Rounded/Underflow/Overflow signals
        return False
    return number.is_finite() and (not number or MIN_NUMBER_MAGNITUDE <= abs(number) <= MAX_NUMBER_MAGNITUDE)
