"""/api/keys through the real authorizer and handlers: create (shown once), list (no secrets), revoke
(at once, retry-safe), the limit of 25 active keys, validation, who may manage keys, and the cost of
lastUsedAt."""

from __future__ import annotations

import boto3
import pytest

from local.dev_keys import SigningKey
from local.provision import LocalResources
from tests.integration.conftest import ApiClient
from tests.support.dynamodb_usage import dynamodb_usage

FUTURE = "2031-06-01T12:00:00.000Z"


def create(api: ApiClient, token: str | None = None, **overrides: object) -> dict:
    body = {"name": "CI pipeline", "scopes": ["sync", "topics:read"]} | overrides
    response = api.post("/api/keys", body, token=token)
    assert response.status == 201, response.text
    return dict(response.json())


def test_create_shows_the_key_once_and_it_works(api: ApiClient, aws: LocalResources) -> None:
    created = create(api, expiresAt="2031-06-01T14:00:00+02:00")
    key = created.pop("key")

    assert key.startswith("txadv_") and len(key) == 49
    assert created["id"].startswith("key_")
    assert created == {
        "id": created["id"],
        "name": "CI pipeline",
        "prefix": key[:10],
        "scopes": ["sync", "topics:read"],
        "createdAt": created["createdAt"],
        "expiresAt": FUTURE,  # stored and answered in UTC
        "lastUsedAt": None,
        "revokedAt": None,
    }
    assert api.get("/api/connections", token=key).status == 200
    assert api.get("/api/topics", token=key).status == 200
    assert api.get("/api/activations", token=key).status == 403  # not one of its scopes
    # Neither the key nor its random part is stored anywhere; only its digest.
    items = str(boto3.client("dynamodb").scan(TableName=aws.table_name)["Items"])
    assert key not in items and key[6:] not in items


def test_list_shows_no_secret_and_the_last_use(api: ApiClient) -> None:
    first = create(api, name="First")
    second = create(api, name="Second", scopes=["activations"])

    before = api.get("/api/keys")
    assert api.get("/api/connections", token=first["key"]).status == 200
    after = api.get("/api/keys")

    assert before.status == after.status == 200
    assert [record["name"] for record in after.json()] == ["Second", "First"]  # newest first
    for key in (first["key"], second["key"]):
        assert key not in after.text and key[6:] not in after.text
        assert "digest" not in after.text
    listed = {record["id"]: record for record in after.json()}
    assert listed[second["id"]] == {name: value for name, value in second.items() if name != "key"}
    assert before.json()[1]["lastUsedAt"] is None
    assert listed[first["id"]]["lastUsedAt"] is not None
    assert listed[first["id"]]["lastUsedAt"] >= first["createdAt"]


def test_list_refuses_query_parameters(api: ApiClient) -> None:
    response = api.get("/api/keys", query={"page": "2"})

    assert response.status == 400
    assert response.json()["details"] == [{"field": "page", "message": "unknown query parameter"}]


def test_revoke_is_immediate_and_a_retry_answers_the_same_record(api: ApiClient) -> None:
    created = create(api)
    key = created["key"]
    assert api.get("/api/connections", token=key).status == 200

    revoked = api.delete(f"/api/keys/{created['id']}")
    next_request = api.get("/api/connections", token=key)
    again = api.delete(f"/api/keys/{created['id']}")

    assert revoked.status == 200
    assert revoked.json()["revokedAt"] is not None
    assert revoked.json()["lastUsedAt"] is not None
    assert next_request.status == 401
    assert next_request.json() == {"error": "API key has been revoked"}
    assert again.status == 200
    assert again.json() == revoked.json()
    assert [record["revokedAt"] for record in api.get("/api/keys").json()] == [revoked.json()["revokedAt"]]


def test_another_organisations_key_is_404(api: ApiClient, token_issuer: SigningKey) -> None:
    created = create(api)
    other_org = token_issuer.token("org_b")

    responses = [
        api.delete(f"/api/keys/{created['id']}", token=other_org),
        api.delete("/api/keys/key_01KJA3VF80DCCVQYCP1GDKMM09"),
        api.delete("/api/keys/not-a-key-id"),
    ]

    assert [response.status for response in responses] == [404, 404, 404]
    assert responses[0].json() == {"error": "API key not found"}
    assert api.get("/api/keys", token=other_org).json() == []
    assert api.get("/api/connections", token=created["key"]).status == 200


def test_at_most_25_active_keys_and_revoking_frees_a_slot(api: ApiClient, token_issuer: SigningKey) -> None:
    ids = [create(api, name=f"Key {number}")["id"] for number in range(25)]

    refused = api.post("/api/keys", {"name": "One too many", "scopes": ["sync"]})

    assert refused.status == 409
    assert refused.json() == {
        "error": "API key limit reached: at most 25 active keys per organisation; revoke one first"
    }
    assert len(api.get("/api/keys").json()) == 25
    assert (
        api.post("/api/keys", {"name": "Other org", "scopes": ["sync"]}, token=token_issuer.token("org_b")).status
        == 201
    )

    api.delete(f"/api/keys/{ids[0]}")
    api.delete(f"/api/keys/{ids[0]}")  # a retried revoke frees no second slot
    assert create(api, name="Replacement")["name"] == "Replacement"
    assert api.post("/api/keys", {"name": "Again too many", "scopes": ["sync"]}).status == 409
    assert len(api.get("/api/keys").json()) == 26  # the revoked one stays listed


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "scopes": ["admin"]}, "scopes.0"),
        ({"name": "x", "scopes": ["sync", "topics"]}, "scopes.1"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": "sync"}, "scopes"),
        ({"name": "x"}, "scopes"),
        ({"name": "", "scopes": ["sync"]}, "name"),
        ({"name": "   ", "scopes": ["sync"]}, "name"),
        ({"name": "x" * 101, "scopes": ["sync"]}, "name"),
        ({"scopes": ["sync"]}, "name"),
        ({"name": "x", "scopes": ["sync"], "expiresAt": "2020-01-01T00:00:00.000Z"}, "expiresAt"),
        ({"name": "x", "scopes": ["sync"], "expiresAt": "2031-06-01T12:00:00"}, "expiresAt"),
        ({"name": "x", "scopes": ["sync"], "expiresAt": "next year"}, "expiresAt"),
        ({"name": "x", "scopes": ["sync"], "expiresAt": 1893456000}, "expiresAt"),
        ({"name": "x", "scopes": ["sync"], "orgId": "org_b"}, "orgId"),
    ],
)
def test_invalid_bodies_are_400_naming_the_field(api: ApiClient, body: dict, field: str) -> None:
    response = api.post("/api/keys", body)

    assert response.status == 400, response.text
    assert field in [problem["field"] for problem in response.json()["details"]]
    assert api.get("/api/keys").json() == []


def test_a_name_of_100_characters_is_kept_trimmed(api: ApiClient) -> None:
    assert create(api, name=f"  {'n' * 100}  ")["name"] == "n" * 100


@pytest.mark.parametrize("role", ["owner", "org:owner", "admin", "org:admin"])
def test_owners_and_admins_manage_keys(api: ApiClient, token_issuer: SigningKey, role: str) -> None:
    token = token_issuer.token("org_a", role=role)

    created = create(api, token=token)

    assert [record["id"] for record in api.get("/api/keys", token=token).json()] == [created["id"]]
    assert api.delete(f"/api/keys/{created['id']}", token=token).status == 200


@pytest.mark.parametrize("role", ["member", "org:member", "basic_member", "viewer", "org:viewer", "org:billing", None])
def test_other_roles_may_not_manage_keys(api: ApiClient, token_issuer: SigningKey, role: str | None) -> None:
    created = create(api)
    token = token_issuer.token("org_a", role=role) if role else token_issuer.token(None, o={"id": "org_a"})

    responses = [
        api.post("/api/keys", {"name": "Mine", "scopes": ["sync"]}, token=token),
        api.get("/api/keys", token=token),
        api.delete(f"/api/keys/{created['id']}", token=token),
    ]

    assert [response.status for response in responses] == [403, 403, 403]
    assert "organisation role" in responses[0].json()["error"]
    assert [record["revokedAt"] for record in api.get("/api/keys").json()] == [None]


def test_api_keys_never_manage_keys(api: ApiClient) -> None:
    key = create(api, scopes=["sync", "activations", "topics:read", "topics:write"])

    responses = [
        api.post("/api/keys", {"name": "Escalation", "scopes": ["sync"]}, token=key["key"]),
        api.get("/api/keys", token=key["key"]),
        api.delete(f"/api/keys/{key['id']}", token=key["key"]),
    ]

    assert [response.status for response in responses] == [403, 403, 403]
    assert "signed-in session" in responses[0].json()["error"]
    assert len(api.get("/api/keys").json()) == 1


def test_ten_requests_within_a_minute_cost_one_write(api: ApiClient, aws: LocalResources) -> None:
    key = create(api)["key"]

    with dynamodb_usage(aws.table_name) as usage:
        statuses = [api.get("/api/connections", token=key).status for _ in range(10)]

    assert statuses == [200] * 10
    assert usage.calls["UpdateItem"] == 1
    assert [write.key["pk"]["S"][:7] for write in usage.writes] == ["APIKEY#"]
