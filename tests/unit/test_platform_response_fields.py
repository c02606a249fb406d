"""Values read from a platform's answer on the push side: segment ids and token lifetimes are bounded."""

from __future__ import annotations

from typing import Any

import pytest

from connections.adapters.outbound.safe_client import decode_json
from connections.adapters.platforms.response_fields import MAX_PLATFORM_ID_BYTES, platform_id
from connections.adapters.platforms.token_requests import MAX_TOKEN_LIFETIME_SECONDS, seconds
from connections.domain.outbound_errors import MalformedResponse


@pytest.mark.parametrize("value", ["inf", "Infinity", "nan", "-5", 1e300 * 1e300, -1, 10**400, True, None, [3600]])
def test_a_token_lifetime_that_is_no_lifetime_falls_back_to_the_default(value: Any) -> None:
    assert seconds(value, 600.0) == 600.0


@pytest.mark.parametrize(
    ("value", "expected"), [(3600, 3600.0), ("86400", 86400.0), (1e12, MAX_TOKEN_LIFETIME_SECONDS)]
)
def test_a_token_lifetime_is_kept_at_most_a_day(value: Any, expected: float) -> None:
    assert seconds(value, 600.0) == expected


@pytest.mark.parametrize(
    "value", ["", True, 1.5, None, {"id": 1}, "x" * (MAX_PLATFORM_ID_BYTES + 1), "\U0001f600" * 400, 10**2000]
)
def test_a_value_that_cannot_be_a_platform_id_is_none(value: Any) -> None:
    assert platform_id(value) is None


@pytest.mark.parametrize(
    ("value", "expected"), [(4711, "4711"), ("seg-1", "seg-1"), ("e" * MAX_PLATFORM_ID_BYTES, "e" * 512)]
)
def test_a_platform_id_is_read_as_text(value: Any, expected: str) -> None:
    assert platform_id(value) == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"total": Infinity}', "Platform returned Infinity, which is not a JSON number"),
        (b"[-Infinity]", "Platform returned -Infinity, which is not a JSON number"),
        (b'{"a": NaN}', "Platform returned NaN, which is not a JSON number"),
        (b"[" * 5000 + b"]" * 5000, "Platform returned JSON nested more than 100 levels deep"),
        (b"[" * 101 + b"]" * 101, "Platform returned JSON nested more than 100 levels deep"),
        (b'{"a": ' * 200_000, "Platform returned JSON nested more than 100 levels deep"),
    ],
)
def test_strict_json_refuses_non_numbers_and_deep_nesting(body: bytes, message: str) -> None:
    with pytest.raises(MalformedResponse) as raised:
        decode_json(body)
    assert raised.value.message == message


def test_json_at_the_depth_limit_and_1e999_still_parse() -> None:
    assert decode_json(b"[" * 100 + b"]" * 100) is not None
    assert decode_json(b'{"size": 1e999}') == {"size": float("inf")}  # a number JSON allows: bounded per item
