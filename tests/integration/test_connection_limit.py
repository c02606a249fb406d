"""At most 20 connections per organisation, counted in the same transaction as the write."""

from __future__ import annotations

from tests.integration.conftest import ApiClient, inbound_connection


def count(org_id: str) -> int:
    from connections.wiring import connection_repository

    return connection_repository().connection_count(org_id)


def test_twenty_first_create_is_409_and_deletes_free_slots(api: ApiClient, token_issuer) -> None:
    ids = []
    for number in range(20):
        response = api.post("/api/connections", inbound_connection(name=f"Source {number}"))
        assert response.status == 201, response.text
        ids.append(response.json()["id"])

    refused = api.post("/api/connections", inbound_connection(name="One too many"))

    assert refused.status == 409
    assert refused.json() == {"error": "Connection limit reached: an organisation can have at most 20 connections"}
    assert count("org_a") == 20
    assert len(api.get("/api/connections").json()) == 20
    # Another organisation has its own limit.
    other = api.post("/api/connections", inbound_connection(), token=token_issuer.token("org_b"))
    assert other.status == 201

    assert api.delete(f"/api/connections/{ids[0]}").status == 200
    assert count("org_a") == 19
    assert api.post("/api/connections", inbound_connection(name="Replacement")).status == 201
    assert count("org_a") == 20
    assert api.post("/api/connections", inbound_connection(name="Again too many")).status == 409


def test_idempotency_key_returns_the_first_connection(api: ApiClient) -> None:
    headers = {"Idempotency-Key": "create-source-0001"}

    first = api.post("/api/connections", inbound_connection(), headers=headers)
    retry = api.post("/api/connections", inbound_connection(), headers=headers)
    other_body = api.post("/api/connections", inbound_connection(name="Different"), headers=headers)
    bad_key = api.post("/api/connections", inbound_connection(), headers={"Idempotency-Key": "short"})

    assert first.status == retry.status == 201
    assert retry.json() == first.json()
    assert other_body.status == 409
    assert "Idempotency-Key" in other_body.json()["error"]
    assert bad_key.status == 400
    assert count("org_a") == 1
    assert len(api.get("/api/connections").json()) == 1


def test_idempotent_retry_at_the_limit_still_returns_the_first(api: ApiClient) -> None:
    for number in range(19):
        api.post("/api/connections", inbound_connection(name=f"Source {number}"))
    headers = {"Idempotency-Key": "last-slot-create-1"}

    first = api.post("/api/connections", inbound_connection(name="Last"), headers=headers)
    retry = api.post("/api/connections", inbound_connection(name="Last"), headers=headers)

    assert first.status == 201
    assert retry.status == 201
    assert retry.json()["id"] == first.json()["id"]
    assert count("org_a") == 20
