"""Plain Python values <-> DynamoDB attribute values, keeping the numbers users wrote (2.5 stays 2.5).

The conversion is boto3's TypeSerializer and TypeDeserializer (same types, same decimal context), written
here because importing ``boto3.dynamodb.types`` imports the whole boto3 package (s3transfer,
multiprocessing, the resource layer), 30 to 40 ms of every cold start; the functions use botocore's
clients directly (adapters/aws_clients.py). tests/unit/test_item_codec.py holds the two to the same
answers. One difference: binary attributes come back as ``bytes`` at any depth, not boto3's ``Binary``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Set
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

# DynamoDB's number limits: 38 significant digits, exponents -128..126; anything else is refused,
# never rounded.
DYNAMODB_CONTEXT = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])


def _number(value: int | Decimal) -> str:
    number = str(DYNAMODB_CONTEXT.create_decimal(value))
    if number in ("Infinity", "NaN"):
        raise TypeError("Infinity and NaN not supported")
    return number


def _is_number(value: Any) -> bool:
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def _is_binary(value: Any) -> bool:
    return isinstance(value, (bytes, bytearray))


def serialize(value: Any) -> dict[str, Any]:
    """One Python value as a DynamoDB attribute value (boto3's TypeSerializer.serialize)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if _is_number(value):
        return {"N": _number(value)}
    if isinstance(value, str):
        return {"S": value}
    if _is_binary(value):
        return {"B": value}
    if isinstance(value, Set):
        if all(_is_number(item) for item in value):
            return {"NS": [_number(item) for item in value]}
        if all(isinstance(item, str) for item in value):
            return {"SS": list(value)}
        if all(_is_binary(item) for item in value):
            return {"BS": list(value)}
    if isinstance(value, Mapping):
        return {"M": {key: serialize(item) for key, item in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [serialize(item) for item in value]}
    raise TypeError(f'Unsupported type "{type(value)}" for value "{value}"')


def deserialize(attribute: Mapping[str, Any]) -> Any:
    """One DynamoDB attribute value as a Python value (boto3's TypeDeserializer.deserialize)."""
    if not attribute:
        raise TypeError("Value must be a nonempty dictionary whose key is a valid dynamodb type.")
    kind, value = next(iter(attribute.items()))
    if kind == "S" or kind == "BOOL":
        return value
    if kind == "N":
        return DYNAMODB_CONTEXT.create_decimal(value)
    if kind == "B":
        return bytes(value)
    if kind == "NULL":
        return None
    if kind == "M":
        return {key: deserialize(item) for key, item in value.items()}
    if kind == "L":
        return [deserialize(item) for item in value]
    if kind == "SS":
        return set(value)
    if kind == "NS":
        return {DYNAMODB_CONTEXT.create_decimal(item) for item in value}
    if kind == "BS":
        return {bytes(item) for item in value}
    raise TypeError(f"Dynamodb type {kind} is not supported")


def _to_dynamo_numbers(value: Any) -> Any:
    # DynamoDB numbers must be Decimal; going through JSON keeps the shortest float spelling.
    return json.loads(json.dumps(value), parse_float=Decimal)


def _from_dynamo_numbers(value: Any) -> Any:
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)
    if isinstance(value, dict):
        return {key: _from_dynamo_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_from_dynamo_numbers(item) for item in value]
    return value


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """Serialise a dict into a DynamoDB item; None values are left out."""
    return {
        key: serialize(value if isinstance(value, bytes) else _to_dynamo_numbers(value))
        for key, value in values.items()
        if value is not None
    }


def to_attribute(value: Any) -> Any:
    """Serialise one value."""
    return serialize(value if isinstance(value, bytes) else _to_dynamo_numbers(value))


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """Deserialise a DynamoDB item into plain Python values (binary as bytes)."""
    return _from_dynamo_numbers({key: deserialize(attribute) for key, attribute in item.items()})
