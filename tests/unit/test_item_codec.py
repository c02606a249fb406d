"""The item codec gives boto3's TypeSerializer and TypeDeserializer answers (it replaces them so that
no function imports the boto3 package), refuses what they refuse, and round-trips the values the
repositories store."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from connections.adapters.dynamodb.item_codec import deserialize, from_item, serialize, to_attribute, to_item

VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -17,
    10**37,
    Decimal("2.5"),
    Decimal("1E-130"),
    Decimal("-0.000001"),
    "",
    "text with ünïcode",
    b"\x00\x01binary",
    bytearray(b"mutable"),
    {"a": 1, "b": [1, "two", {"c": None}], "d": {"e": Decimal("3.25")}},
    [],
    {},
    ["x", 2, True, None],
    ("tuple", 1),
    {"one", "two"},
    {Decimal("1.5"), 3},
    {b"a", b"b"},
]


def sets_as_sorted(value: Any) -> Any:
    # Sets serialise in iteration order; compare their members, not their order.
    if isinstance(value, dict):
        return {
            key: sorted(item, key=repr) if key in ("SS", "NS", "BS") else sets_as_sorted(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [sets_as_sorted(item) for item in value]
    return value


@pytest.mark.parametrize("value", VALUES, ids=lambda value: type(value).__name__)
def test_serialises_as_boto3_does(value: Any) -> None:
    assert sets_as_sorted(serialize(value)) == sets_as_sorted(TypeSerializer().serialize(value))


def boto3_plain(value: Any) -> Any:
    """boto3's deserialised value with Binary as bytes (the codec answers bytes)."""
    if isinstance(value, Binary):
        return bytes(value.value)
    if isinstance(value, dict):
        return {key: boto3_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [boto3_plain(item) for item in value]
    if isinstance(value, set):
        return {boto3_plain(item) for item in value}
    return value


@pytest.mark.parametrize("value", VALUES, ids=lambda value: type(value).__name__)
def test_deserialises_as_boto3_does(value: Any) -> None:
    attribute = TypeSerializer().serialize(value)
    decoded = deserialize(attribute)
    assert decoded == boto3_plain(TypeDeserializer().deserialize(attribute))
    assert type(decoded) is type(boto3_plain(TypeDeserializer().deserialize(attribute)))


@pytest.mark.parametrize(
    "value",
    [
        1.5,
        Decimal("1E-200"),
        Decimal("1E+130"),
        Decimal("1" * 39),
        Decimal("Infinity"),
        Decimal("NaN"),
        frozenset({1, "mixed"}),
        {"a": [2.0]},
    ],
    ids=lambda value: type(value).__name__,
)
def test_refuses_what_boto3_refuses(value: Any) -> None:
    with pytest.raises(Exception) as boto3_error:
        TypeSerializer().serialize(value)
    with pytest.raises(type(boto3_error.value)):
        serialize(value)


@pytest.mark.parametrize("attribute", [{}, {"X": "?"}])
def test_refuses_unknown_attribute_values(attribute: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        deserialize(attribute)


def test_items_round_trip_with_the_numbers_users_wrote() -> None:
    values = {
        "name": "Partner API",
        "cpm": 2.5,
        "count": 3,
        "config": {"page_size": 100, "ratio": 0.1, "tags": ["a", "b"], "nested": {"flag": True}},
        "ciphertext": b"\x01\x02",
        "gone": None,
    }
    item = to_item(values)
    assert "gone" not in item
    assert item["cpm"] == {"N": "2.5"}
    assert item["ciphertext"] == {"B": b"\x01\x02"}
    assert from_item(item) == {key: value for key, value in values.items() if value is not None}
    assert to_attribute(0.1) == {"N": "0.1"}
