"""Item sizes counted in bytes the way DynamoDB counts them, and the numbers it can store."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connections.domain.storage_limits import item_bytes, number_fits, text_bytes, value_bytes


def test_strings_and_names_count_utf8_bytes_not_characters() -> None:
    assert text_bytes("abc") == 3
    assert text_bytes("é") == 2
    assert text_bytes("€") == 3
    assert text_bytes("😀") == 4
    assert item_bytes({"név": "€"}) == 4 + 3


def test_numbers_count_about_one_byte_per_two_significant_digits() -> None:
    assert value_bytes(1) == 2
    assert value_bytes(12) == 2
    assert value_bytes(123) == 3
    assert value_bytes(1000000) == 2  # one significant digit
    assert value_bytes(Decimal("1.23456789012345678901234567890123456789")) == 21  # capped like DynamoDB


def test_lists_and_maps_add_overhead_per_element() -> None:
    assert value_bytes([]) == 3
    assert value_bytes(["ab", "c"]) == 3 + (1 + 2) + (1 + 1)
    assert value_bytes({"k": "vv"}) == 3 + 1 + 1 + 2
    assert value_bytes({"k": {"n": True}}) == 3 + 1 + 1 + (3 + 1 + 1 + 1)


def test_none_attributes_are_not_stored() -> None:
    assert item_bytes({"a": None, "b": "x"}) == 2


@pytest.mark.parametrize(
    "value",
    [
        float("inf"),
        float("-inf"),
        float("nan"),
        1e300,
        Decimal("1e126"),
        10**200,
        # boto3's serializer refuses these (Rounded, Underflow) and DynamoDB stores nothing below 1e-130
        10**38,
        1e-300,
        Decimal("1e-131"),
        Decimal("1.00000000000000000000000000000000000001"),
    ],
)
def test_numbers_dynamodb_refuses_do_not_fit(value: object) -> None:
    assert not number_fits(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, 0.0, 1, -5, 2.5, 38643802, 10**20, 10**37, 1e38, 1e-130, Decimal("9.9e125")])
def test_ordinary_numbers_fit(value: object) -> None:
    assert number_fits(value)  # type: ignore[arg-type]
