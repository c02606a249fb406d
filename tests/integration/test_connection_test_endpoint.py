"""POST /api/connections/{id}/test through the real handler against the fake platforms: always 200,
inside the deadline, with the outcome recorded on the connection and no secret anywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from local.api_gateway import ApiGateway
from tests.fakes.platforms import (
    CUSTOM_SEGMENTS_PATH,
    LIVERAMP_SEGMENTS_PATH,
    LIVERAMP_TOKEN_PATH,
    custom_api_fake,
    indexexchange_fake,
    liveramp_fake,
    tradedesk_fake,
)
from tests.integration.conftest import ApiClient

FAKES: dict[str, Callable[..., Any]] = {
    "liveramp": liveramp_fake,
    "tradedesk": tradedesk_fake,
    "indexexchange": indexexchange_fake,
    "custom_api": custom_api_fake,
}
DISPLAY = {
    "liveramp": "LiveRamp",
    "tradedesk": "The Trade Desk",
    "indexexchange": "Index Exchange",
    "custom_api": "Custom",
}


@pytest.fixture
def test_api(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")  # the fakes listen on 127.0.0.1 over http
    return api


@contextmanager
def connection_to(api: ApiClient, platform: str, direction: str, **options: Any) -> Iterator[tuple[str, Any]]:
    with FAKES[platform](**options) as fake:
        config = {"inbound": fake.inbound_config, "outbound": fake.outbound_config}[direction]()
        if direction == "inbound" and hasattr(fake, "token_url"):
            config["token_url"] = fake.token_url  # the platform's token endpoint serves reads too
        if platform == "custom_api" and direction == "outbound":
            config |= {"auth_type": fake.auth_type}
        body = {
            "name": f"{platform} {direction}",
            "platform": platform,
            "direction": direction,
            "config": config,
            "credentials": fake.credentials,
        }
        response = api.post("/api/connections", body)
        assert response.status == 201, response.text
        yield response.json()["id"], fake


@pytest.mark.parametrize("platform", sorted(FAKES))
def test_outbound_test_succeeds_and_is_recorded(test_api: ApiClient, platform: str) -> None:
    with connection_to(test_api, platform, "outbound") as (connection_id, _fake):
        response = test_api.post(f"/api/connections/{connection_id}/test")

    assert response.status == 200
    # Index Exchange is file-based: its test reaches the connection's taxonomy bucket.
    target = "taxonomy bucket" if platform == "indexexchange" else "API"
    assert response.json() == {"success": True, "message": f"Connected to {DISPLAY[platform]} {target}"}
    record = test_api.get(f"/api/connections/{connection_id}").json()
    assert record["status"] == "active"
    assert record["lastTestedAt"] is not None
    assert record["updatedAt"] == record["lastTestedAt"]


@pytest.mark.parametrize("platform", sorted(FAKES))
def test_inbound_test_fetches_one_item(test_api: ApiClient, platform: str) -> None:
    with connection_to(test_api, platform, "inbound") as (connection_id, _fake):
        response = test_api.post(f"/api/connections/{connection_id}/test")

    body = response.json()
    assert response.status == 200
    assert body["success"] is True, body
    assert body["itemCount"] == 1
    assert isinstance(body["sampleItem"], dict)
    assert body["mappedItem"].get("topic_name")


def test_failures_are_200_with_a_clear_error_and_status_error(test_api: ApiClient) -> None:
    with connection_to(test_api, "liveramp", "outbound") as (connection_id, fake):
        fake.server.faults("POST", LIVERAMP_TOKEN_PATH).status(401, body={"error": "invalid_grant"})
        response = test_api.post(f"/api/connections/{connection_id}/test")

    assert response.status == 200
    assert response.json() == {"success": False, "error": "Authentication failed (401)"}
    assert test_api.get(f"/api/connections/{connection_id}").json()["status"] == "error"


@pytest.mark.parametrize(
    ("fault", "fragment"),
    [
        (lambda queue: queue.status(500).status(500).status(500), "500"),
        (lambda queue: queue.malformed_json(), "JSON"),
        (lambda queue: queue.oversized(8 * 1024 * 1024), "larger than"),
    ],
)
def test_platform_faults(test_api: ApiClient, fault, fragment: str) -> None:
    with connection_to(test_api, "custom_api", "inbound") as (connection_id, fake):
        fault(fake.server.faults("GET", CUSTOM_SEGMENTS_PATH))
        body = test_api.post(f"/api/connections/{connection_id}/test").json()

    assert body["success"] is False
    assert fragment in body["error"]


def test_items_path_not_found(test_api: ApiClient) -> None:
    with connection_to(test_api, "custom_api", "inbound") as (connection_id, _fake):
        test_api.patch(f"/api/connections/{connection_id}", {"config": {"items_path": "data.items"}})
        body = test_api.post(f"/api/connections/{connection_id}/test").json()

    assert body == {"success": False, "error": "items_path 'data.items' not found in response"}


def test_a_platform_that_never_answers_is_cut_at_the_deadline(
    test_api: ApiClient, gateway: ApiGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    import local.api_gateway as emulator

    # A 4-second function timeout instead of 30, so the suite stays fast; the handler takes its
    # deadline from the Lambda context exactly as in production.
    monkeypatch.setattr(emulator, "function_timeout", lambda function_id: 4.0)
    with connection_to(test_api, "liveramp", "outbound") as (connection_id, fake):
        fake.server.faults("GET", LIVERAMP_SEGMENTS_PATH).hang(60)
        body = test_api.post(f"/api/connections/{connection_id}/test").json()

    assert body["success"] is False
    assert body["error"].startswith("Connection timed out after")


def test_private_targets_are_refused_without_the_local_switch(api: ApiClient) -> None:
    body = {
        "name": "Metadata",
        "platform": "custom_api",
        "direction": "inbound",
        "config": {"base_url": "https://169.254.169.254/latest/meta-data", "auth_type": "none"},
    }
    connection_id = api.post("/api/connections", body).json()["id"]

    result = api.post(f"/api/connections/{connection_id}/test").json()

    assert result["success"] is False
    assert "not allowed" in result["error"]


def test_session_only(test_api: ApiClient, issue_api_key) -> None:
    with connection_to(test_api, "custom_api", "inbound") as (connection_id, _fake):
        key = issue_api_key("org_a", "sync,activations,topics:read,topics:write")
        refused = test_api.post(f"/api/connections/{connection_id}/test", token=key)

    assert refused.status == 403


def test_no_secret_in_results_or_logs(test_api: ApiClient, captured_logs) -> None:
    secrets: list[str] = []
    for platform in sorted(FAKES):
        with connection_to(test_api, platform, "outbound") as (connection_id, fake):
            secrets += [value for value in fake.credentials.values() if len(value) > 6]
            test_api.post(f"/api/connections/{connection_id}/test")
            fake.server.faults("GET", CUSTOM_SEGMENTS_PATH).status(401)
            test_api.post(f"/api/connections/{connection_id}/test")

    text = "\n".join(response.text for response in test_api.responses) + captured_logs.getvalue()
    assert "Connection tested" in captured_logs.getvalue()
    for secret in secrets:
        assert secret not in text
