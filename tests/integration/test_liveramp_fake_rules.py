"""The strict LiveRamp fake refuses every request that breaks a documented rule (one case per rule),
so an adapter cannot pass against it by sending what the fake happens to take."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.liveramp import LIVERAMP_SEGMENTS_PATH, LiveRampFake
from tests.fakes.platforms import liveramp_fake

VALID: dict[str, Any] = {
    "activationSegmentId": "lr-0001",
    "name": "Auto Intenders",
    "segmentType": "SYNDICATED",
    "description": "People shopping for a car",
    "dataSourceLocation": "US",
    "restrictions": {"permittedUseCases": ["TARGETING"]},
    "pricing": {"currency": "USD", "cpm": 2.5},
}


@pytest.fixture
def fake() -> Iterator[LiveRampFake]:
    with liveramp_fake() as running:
        yield running


def token(fake: LiveRampFake) -> str:
    form = {"grant_type": "password", "client_id": "liveramp-api", "scope": "openid", "response_type": "token"}
    form |= {"username": fake.credentials["username"], "password": fake.credentials["password"]}
    return str(httpx.post(fake.token_url, data=form).json()["access_token"])


def headers(fake: LiveRampFake, **changes: str | None) -> dict[str, str]:
    made = {"Authorization": f"Bearer {token(fake)}", "LR-Org-Id": fake.org_id}
    for name, value in changes.items():
        made.pop(name.replace("_", "-"), None)
        if value is not None:
            made[name.replace("_", "-")] = value
    return made


def create(fake: LiveRampFake, body: Any, **header_changes: str | None) -> httpx.Response:
    return httpx.post(fake.server.url + LIVERAMP_SEGMENTS_PATH, json=body, headers=headers(fake, **header_changes))


def update(fake: LiveRampFake, segment_id: str, body: Any) -> httpx.Response:
    url = f"{fake.server.url}{LIVERAMP_SEGMENTS_PATH}/{segment_id}"
    return httpx.patch(url, json=body, headers=headers(fake))


def refused(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert words in response.json()["errors"][0]["message"]


def test_a_valid_create_is_accepted(fake: LiveRampFake) -> None:
    response = create(fake, VALID)
    assert response.status_code == 201
    assert fake.segments[str(response.json()["segmentId"])]["activationSegmentId"] == "lr-0001"


@pytest.mark.parametrize(
    ("header_changes", "status", "words"),
    [
        ({"Authorization": None}, 401, ""),
        ({"Authorization": "Bearer not-a-token"}, 401, ""),
        ({"LR-Org-Id": None}, 403, "LR-Org-Id"),
        ({"LR-Org-Id": "org-other"}, 403, "LR-Org-Id"),
    ],
)
def test_auth_headers_are_required(fake: LiveRampFake, header_changes: dict, status: int, words: str) -> None:
    response = create(fake, VALID, **header_changes)
    assert response.status_code == status
    if words:
        assert words in response.json()["errors"][0]["message"]
    assert fake.segments == {}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"name": None}, "name is required"),
        ({"segmentType": None}, "segmentType is required"),
        ({"activationSegmentId": None}, "activationSegmentId is required"),
        ({"restrictions": None}, "restrictions.permittedUseCases is required"),
        ({"restrictions": {}}, "restrictions.permittedUseCases is required"),
        ({"restrictions": {"permittedUseCases": []}}, "at least one use case"),
        ({"pricing": None}, "pricing is required"),
        ({"pricing": {"currency": "USD", "cpm": -1}}, "pricing.cpm"),
        ({"pricing": {"currency": "USD", "cpm": "2.5"}}, "pricing.cpm"),
        ({"pricing": {"currency": "usd", "cpm": 2.5}}, "pricing.currency"),
        ({"name": ""}, "name must be a non-empty string"),
        ({"name": 7}, "name must be a non-empty string"),
        ({"segmentType": "PUBLIC"}, "segmentType must be one of"),
        ({"description": 5}, "description must be a string"),
        ({"allowedPlatforms": ["THE_TRADE_DESK"]}, "must not be used for SYNDICATED"),
        ({"segmentType": "CUSTOM"}, "required for CUSTOM and DIRECT"),
        ({"segmentType": "DIRECT", "allowedPlatforms": []}, "non-empty list"),
        ({"activationSegmentId": "lr-9999"}, "not a first-party segment"),
        ({"status": "ACTIVE"}, "Unknown field status"),
    ],
)
def test_a_create_breaking_a_rule_is_refused(fake: LiveRampFake, change: dict[str, Any], words: str) -> None:
    body = {key: value for key, value in (VALID | change).items() if value is not None}
    refused(create(fake, body), 400, words)
    assert fake.segments == {}


def test_a_create_that_is_not_a_json_object_is_refused(fake: LiveRampFake) -> None:
    refused(create(fake, [VALID]), 400, "segment object")
    sent = httpx.post(fake.server.url + LIVERAMP_SEGMENTS_PATH, content=b"name=x", headers=headers(fake))
    refused(sent, 415, "application/json")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"activationSegmentId": "lr-0002"}, "activationSegmentId cannot be updated"),
        ({"segmentId": 1002}, "segmentId cannot be updated"),
        ({"segmentType": "CUSTOM"}, "required for CUSTOM and DIRECT"),
        ({"name": ""}, "non-empty string"),
        ({"colour": "blue"}, "Unknown field colour"),
    ],
)
def test_an_update_breaking_a_rule_is_refused(fake: LiveRampFake, change: dict[str, Any], words: str) -> None:
    segment_id = str(create(fake, VALID).json()["segmentId"])
    before = dict(fake.segments[segment_id])
    refused(update(fake, segment_id, change), 400, words)
    assert fake.segments[segment_id] == before


def test_pricing_is_fixed_once_a_segment_is_distributed(fake: LiveRampFake) -> None:
    segment_id = str(create(fake, VALID).json()["segmentId"])
    new_price = {"pricing": {"currency": "USD", "cpm": 3.0}}
    assert update(fake, segment_id, new_price).status_code == 200  # not distributed yet

    fake.distribute(segment_id)

    refused(update(fake, segment_id, {"pricing": {"currency": "EUR", "cpm": 3.0}}), 400, "distributed")
    assert fake.segments[segment_id]["pricing"] == {"currency": "USD", "cpm": 3.0}
    assert update(fake, segment_id, {"name": "Auto Intenders (renamed)"}).status_code == 200


def test_an_update_needs_an_existing_int32_segment_id(fake: LiveRampFake) -> None:
    refused(update(fake, "4711", {"name": "x"}), 404, "not found")
    refused(update(fake, "abc", {"name": "x"}), 400, "int32")
    refused(update(fake, str(2**31), {"name": "x"}), 400, "int32")
