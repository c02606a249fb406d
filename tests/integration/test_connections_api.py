"""The five connection endpoints through the real handlers, authorizer first, against moto."""

from __future__ import annotations

import re

import pytest

from tests.integration.conftest import ApiClient, inbound_connection, outbound_liveramp

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
FULL_RECORD_KEYS = {
    "id",
    "name",
    "platform",
    "direction",
    "config",
    "status",
    "lastTestedAt",
    "createdAt",
    "updatedAt",
}


def create(api: ApiClient, body: dict | None = None) -> dict:
    response = api.post("/api/connections", body or inbound_connection())
    assert response.status == 201, response.text
    return response.json()


def test_create_returns_the_seed_shape(api: ApiClient) -> None:
    response = api.post("/api/connections", outbound_liveramp())

    assert response.status == 201
    body = response.json()
    assert set(body) == {"id", "name", "platform", "direction", "status", "createdAt"}
    assert re.match(r"^conn_[0-9A-HJKMNP-TV-Z]{26}$", body["id"])
    assert body["name"] == "LiveRamp Production"
    assert (body["platform"], body["direction"], body["status"]) == ("liveramp", "outbound", "active")
    assert TIMESTAMP.match(body["createdAt"])
    assert response.headers["content-type"] == "application/json"


def test_get_returns_full_record_with_config_as_written(api: ApiClient) -> None:
    created = create(api, outbound_liveramp())

    response = api.get(f"/api/connections/{created['id']}")

    assert response.status == 200
    record = response.json()
    assert set(record) == FULL_RECORD_KEYS
    assert record["config"] == outbound_liveramp()["config"]
    assert record["config"]["default_cpm"] == 2.5
    assert record["lastTestedAt"] is None
    assert record["createdAt"] == record["updatedAt"] == created["createdAt"]


def test_list_returns_records_and_filters(api: ApiClient) -> None:
    inbound = create(api, inbound_connection())
    outbound = create(api, outbound_liveramp())
    both = create(
        api,
        inbound_connection(
            name="Both ways",
            direction="bidirectional",
            config={"base_url": "https://x.example.com", "auth_type": "bearer", "currency": "EUR"},
        ),
    )

    everything = api.get("/api/connections").json()
    assert [record["id"] for record in everything] == [inbound["id"], outbound["id"], both["id"]]
    assert all(set(record) == FULL_RECORD_KEYS for record in everything)

    outbound_only = api.get("/api/connections", query={"direction": "outbound"}).json()
    assert [record["id"] for record in outbound_only] == [outbound["id"]]
    custom = api.get("/api/connections", query={"platform": "custom_api"}).json()
    assert {record["id"] for record in custom} == {inbound["id"], both["id"]}
    combined = api.get("/api/connections", query={"platform": "custom_api", "direction": "bidirectional"}).json()
    assert [record["id"] for record in combined] == [both["id"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"direction": "sideways"}, "direction"), ({"platform": "facebook"}, "platform"), ({"sort": "name"}, "sort")],
)
def test_list_rejects_bad_filters(api: ApiClient, query: dict, field: str) -> None:
    response = api.get("/api/connections", query=query)

    assert response.status == 400
    body = response.json()
    assert body["error"] == "Invalid query parameters"
    assert [detail["field"] for detail in body["details"]] == [field]


def test_patch_changes_only_given_fields_and_merges_config(api: ApiClient) -> None:
    created = create(api, outbound_liveramp())
    before = api.get(f"/api/connections/{created['id']}").json()

    response = api.patch(
        f"/api/connections/{created['id']}",
        {"name": "LiveRamp Production (Updated)", "config": {"default_cpm": 3.00, "currency": None}},
    )

    assert response.status == 200, response.text
    after = response.json()
    assert after["name"] == "LiveRamp Production (Updated)"
    expected_config = dict(before["config"], default_cpm=3.0)
    del expected_config["currency"]
    assert after["config"] == expected_config
    assert (after["platform"], after["direction"], after["createdAt"]) == (
        before["platform"],
        before["direction"],
        before["createdAt"],
    )
    assert after["updatedAt"] >= before["updatedAt"]
    assert api.get(f"/api/connections/{created['id']}").json() == after


def test_patch_validates_the_merged_result(api: ApiClient) -> None:
    created = create(api, inbound_connection())

    removed_base_url = api.patch(f"/api/connections/{created['id']}", {"config": {"base_url": None}})
    platform_change = api.patch(f"/api/connections/{created['id']}", {"platform": "liveramp"})
    to_outbound = api.patch(f"/api/connections/{created['id']}", {"direction": "outbound"})
    null_name = api.patch(f"/api/connections/{created['id']}", {"name": None})
    empty = api.patch(f"/api/connections/{created['id']}", {})

    assert removed_base_url.status == 400
    assert {"field": "config.base_url", "message": "is required for inbound and bidirectional connections"} in (
        removed_base_url.json()["details"]
    )
    assert platform_change.status == 400
    assert platform_change.json()["details"][0]["field"] == "platform"
    # Inbound keys on an outbound connection are refused by name.
    assert to_outbound.status == 400
    assert "config.base_url" in {detail["field"] for detail in to_outbound.json()["details"]}
    assert null_name.status == 400
    assert empty.status == 400
    assert api.get(f"/api/connections/{created['id']}").json()["config"] == inbound_connection()["config"]


def test_patch_can_change_direction_when_config_fits(api: ApiClient) -> None:
    created = create(api, inbound_connection())

    response = api.patch(
        f"/api/connections/{created['id']}", {"direction": "bidirectional", "config": {"default_cpm": 1.25}}
    )

    assert response.status == 200, response.text
    assert response.json()["direction"] == "bidirectional"
    assert response.json()["config"]["default_cpm"] == 1.25


def test_delete_removes_and_frees_the_slot(api: ApiClient) -> None:
    created = create(api)

    response = api.delete(f"/api/connections/{created['id']}")

    assert response.status == 200
    assert response.json() == {"deleted": True}
    assert api.get(f"/api/connections/{created['id']}").status == 404
    assert api.delete(f"/api/connections/{created['id']}").status == 404
    assert api.get("/api/connections").json() == []
    from connections.wiring import connection_repository

    assert connection_repository().connection_count("org_a") == 0


@pytest.mark.parametrize("path", ["/api/connections/conn_nope", "/api/connections/conn_01HZZZZZZZZZZZZZZZZZZZZZZZ"])
def test_unknown_ids_are_404(api: ApiClient, path: str) -> None:
    for response in (api.get(path), api.patch(path, {"name": "x"}), api.delete(path)):
        assert response.status == 404
        assert response.json() == {"error": "Connection not found"}
