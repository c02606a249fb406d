"""Plain Python values <-> DynamoDB attribute values, keeping the numbers users wrote (2.5 stays 2.5)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


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
        key: _serializer.serialize(value if isinstance(value, bytes) else _to_dynamo_numbers(value))
        for key, value in values.items()
        if value is not None
    }


def to_attribute(value: Any) -> Any:
    """Serialise one value."""
    return _serializer.serialize(value if isinstance(value, bytes) else _to_dynamo_numbers(value))


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """Deserialise a DynamoDB item into plain Python values (binary as bytes)."""
    values = {}
    for key, attribute in item.items():
        value = _deserializer.deserialize(attribute)
        values[key] = bytes(value) if hasattr(value, "value") and isinstance(value.value, bytes) else value
    return _from_dynamo_numbers(values)
