"""Stored credentials stay bound to the hosts they were entered for: a PATCH that changes (or removes)
a URL they are sent to must carry them again, and a refused PATCH changes nothing."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from local.provision import LocalResources
from tests.integration.conftest import ApiClient, inbound_connection, outbound_liveramp

ELSEWHERE = "https://collector.attacker.example/steal"


def bidirectional_liveramp() -> dict[str, Any]:
    body = outbound_liveramp(direction="bidirectional")
    body["config"]["base_url"] = "https://api.liveramp.com/segments"
    return body


def stored_item(aws: LocalResources, org_id: str, connection_id: str) -> dict:
    return boto3.client("dynamodb").get_item(
        TableName=aws.table_name, Key={"pk": {"S": f"ORG#{org_id}"}, "sk": {"S": f"CONN#{connection_id}"}}
    )["Item"]


def create(api: ApiClient, body: dict[str, Any]) -> str:
    response = api.post("/api/connections", body)
    assert response.status == 201, response.text
    return response.json()["id"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("base_url", ELSEWHERE),
        ("token_url", ELSEWHERE),
        ("api_base_url", ELSEWHERE),
        # Removed: the platform's default host would get the credentials (base_url cannot be removed).
        ("token_url", None),
        ("api_base_url", None),
    ],
)
def test_moving_a_credential_url_without_the_credentials_is_400_and_changes_nothing(
    api: ApiClient, aws: LocalResources, key: str, value: str | None
) -> None:
    connection_id = create(api, bidirectional_liveramp())
    before = stored_item(aws, "org_a", connection_id)

    response = api.patch(f"/api/connections/{connection_id}", {"config": {key: value}, "name": "Renamed"})

    assert response.status == 400, response.text
    assert response.json() == {
        "error": f"changing config.{key} requires the credentials again",
        "details": [{"field": f"config.{key}", "message": f"changing config.{key} requires the credentials again"}],
    }
    assert stored_item(aws, "org_a", connection_id) == before


def test_every_moved_url_is_named(api: ApiClient) -> None:
    connection_id = create(api, bidirectional_liveramp())

    response = api.patch(
        f"/api/connections/{connection_id}", {"config": {"token_url": ELSEWHERE, "base_url": ELSEWHERE}}
    )

    assert response.status == 400
    assert [detail["field"] for detail in response.json()["details"]] == ["config.base_url", "config.token_url"]


@pytest.mark.parametrize("key", ["base_url", "token_url", "api_base_url"])
def test_moving_a_credential_url_with_the_credentials_is_200(api: ApiClient, aws: LocalResources, key: str) -> None:
    connection_id = create(api, bidirectional_liveramp())
    credentials = {"client_id": "lr_client_new", "client_secret": "lr_secret_NEW_value_99", "org_id": "lr_org_2"}

    response = api.patch(f"/api/connections/{connection_id}", {"config": {key: ELSEWHERE}, "credentials": credentials})

    assert response.status == 200, response.text
    assert response.json()["config"][key] == ELSEWHERE
    assert "lr_secret_NEW_value_99" not in response.text


def test_the_same_url_again_and_other_keys_need_no_credentials(api: ApiClient) -> None:
    body = bidirectional_liveramp()
    connection_id = create(api, body)
    same = {key: body["config"][key] for key in ("base_url", "token_url", "api_base_url")}

    again = api.patch(f"/api/connections/{connection_id}", {"config": same})
    other = api.patch(
        f"/api/connections/{connection_id}", {"config": {"items_path": "data", "default_cpm": 3}, "name": "New name"}
    )

    assert again.status == 200, again.text
    assert other.status == 200, other.text
    assert other.json()["config"]["items_path"] == "data"


def test_adding_a_url_the_credentials_would_go_to_needs_them(api: ApiClient) -> None:
    connection_id = create(api, outbound_liveramp())

    response = api.patch(
        f"/api/connections/{connection_id}",
        {"direction": "bidirectional", "config": {"base_url": ELSEWHERE}},
    )

    assert response.status == 400
    assert response.json()["details"][0]["field"] == "config.base_url"


def test_a_connection_without_credentials_needs_none(api: ApiClient) -> None:
    body = inbound_connection(credentials=None)
    body.pop("credentials")
    body["config"]["auth_type"] = "none"
    connection_id = create(api, body)

    response = api.patch(f"/api/connections/{connection_id}", {"config": {"base_url": ELSEWHERE}})

    assert response.status == 200, response.text
    assert response.json()["config"]["base_url"] == ELSEWHERE
