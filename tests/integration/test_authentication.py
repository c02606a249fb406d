"""Who may call what (DESIGN.md sections 4-5), through the real authorizer and the route table."""

from __future__ import annotations

import pytest

from tests.integration.conftest import ApiClient, inbound_connection
from tests.support.session_tokens import SessionTokenIssuer


def test_no_credentials_is_401_in_the_api_error_format(api: ApiClient) -> None:
    response = api.get("/api/connections", anonymous=True)

    assert response.status == 401
    assert response.json() == {"error": "Missing credentials: send an API key or a session token"}
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer txadv_not-a-real-key", "Bearer not.a.jwt", "Token abc"],
)
def test_invalid_credentials_are_401(api: ApiClient, authorization: str) -> None:
    response = api.get("/api/connections", headers={"Authorization": authorization})

    assert response.status == 401
    assert set(response.json()) == {"error"}


def test_session_cookie_is_accepted(api: ApiClient, token_issuer: SessionTokenIssuer) -> None:
    cookie = f"theme=dark; __session={token_issuer.token('org_a')}"

    response = api.get("/api/connections", headers={"Cookie": cookie}, anonymous=True)

    assert response.status == 200
    assert response.json() == []


def test_session_token_checks(api: ApiClient, token_issuer: SessionTokenIssuer) -> None:
    other_key = SessionTokenIssuer()
    cases = {
        "expired": (token_issuer.token("org_a", ttl_seconds=-60), 401, "Session token has expired"),
        "foreign signature": (other_key.token("org_a"), 401, "Invalid session token"),
        "unknown azp": (token_issuer.token("org_a", azp="https://evil.example"), 401, "unknown party"),
        "not yet valid": (token_issuer.token("org_a", nbf=9_999_999_999), 401, "Invalid session token"),
        "no organisation": (token_issuer.token(None), 403, "no active organisation"),
    }
    for name, (token, status, fragment) in cases.items():
        response = api.get("/api/connections", token=token)
        assert response.status == status, name
        assert fragment in response.json()["error"], name


def test_v1_claims_are_read(api: ApiClient, token_issuer: SessionTokenIssuer) -> None:
    token = token_issuer.token(None, org_id="org_a", org_role="org:admin")

    created = api.post("/api/connections", inbound_connection(), token=token)

    assert created.status == 201


def test_session_only_routes_refuse_api_keys(api: ApiClient, issue_api_key) -> None:
    key = issue_api_key("org_a", "sync,activations,topics:read,topics:write")
    connection_id = api.post("/api/connections", inbound_connection()).json()["id"]

    responses = [
        api.post("/api/connections", inbound_connection(), token=key),
        api.patch(f"/api/connections/{connection_id}", {"name": "renamed"}, token=key),
        api.delete(f"/api/connections/{connection_id}", token=key),
    ]

    assert [response.status for response in responses] == [403, 403, 403]
    assert all("session" in response.json()["error"] for response in responses)
    assert api.get(f"/api/connections/{connection_id}").json()["name"] == "My Custom API"


def test_reads_need_the_sync_scope(api: ApiClient, issue_api_key) -> None:
    connection_id = api.post("/api/connections", inbound_connection()).json()["id"]
    with_sync = issue_api_key("org_a", "sync")
    without_sync = issue_api_key("org_a", "activations,topics:read")

    assert api.get("/api/connections", token=with_sync).status == 200
    assert api.get(f"/api/connections/{connection_id}", token=with_sync).json()["id"] == connection_id
    refused = api.get("/api/connections", token=without_sync)
    assert refused.status == 403
    assert refused.json() == {"error": "API key lacks the 'sync' scope"}


def test_expired_and_revoked_keys_are_401(api: ApiClient, issue_api_key) -> None:
    from connections.domain.api_key_service import ApiKeyService
    from connections.domain.api_keys import api_key_digest
    from connections.wiring import api_key_repository

    expired = issue_api_key("org_a", "sync", expires_at="2020-01-01T00:00:00.000Z")
    revoked = issue_api_key("org_a", "sync")
    record = api_key_repository().find_by_digest(api_key_digest(revoked))
    assert record is not None
    assert api.get("/api/connections", token=revoked).status == 200
    ApiKeyService(api_key_repository()).revoke("org_a", record.key_id)

    assert api.get("/api/connections", token=expired).json() == {"error": "API key has expired"}
    assert api.get("/api/connections", token=revoked).json() == {"error": "API key has been revoked"}


def test_api_keys_are_stored_only_as_digests(api: ApiClient, issue_api_key, aws) -> None:
    import boto3

    key = issue_api_key("org_a", "sync")

    items = boto3.client("dynamodb").scan(TableName=aws.table_name)["Items"]
    assert key not in str(items)
    assert key.removeprefix("txadv_") not in str(items)
    assert len(key.removeprefix("txadv_")) >= 43  # 32 random bytes, base64url


def test_viewers_may_only_read(api: ApiClient, token_issuer: SessionTokenIssuer) -> None:
    connection_id = api.post("/api/connections", inbound_connection()).json()["id"]
    viewer = token_issuer.token("org_a", user_id="user_viewer", role="viewer")

    assert api.get("/api/connections", token=viewer).status == 200
    assert api.get(f"/api/connections/{connection_id}", token=viewer).status == 200
    writes = [
        api.post("/api/connections", inbound_connection(), token=viewer),
        api.patch(f"/api/connections/{connection_id}", {"name": "x"}, token=viewer),
        api.delete(f"/api/connections/{connection_id}", token=viewer),
    ]
    assert [response.status for response in writes] == [403, 403, 403]
    assert writes[0].json() == {"error": "Your organisation role is read-only"}


def test_another_organisations_connection_is_404(
    api: ApiClient, token_issuer: SessionTokenIssuer, issue_api_key
) -> None:
    mine = api.post("/api/connections", inbound_connection()).json()["id"]
    other_session = token_issuer.token("org_b", user_id="user_b")
    other_key = issue_api_key("org_b", "sync")

    for token in (other_session, other_key):
        assert api.get(f"/api/connections/{mine}", token=token).status == 404
        assert api.get("/api/connections", token=token).json() == []
    assert api.patch(f"/api/connections/{mine}", {"name": "stolen"}, token=other_session).status == 404
    assert api.delete(f"/api/connections/{mine}", token=other_session).status == 404
    assert api.get(f"/api/connections/{mine}").json()["name"] == "My Custom API"


def test_org_id_comes_only_from_the_authorizer(api: ApiClient) -> None:
    created = api.post(
        "/api/connections",
        inbound_connection(),
        query={"orgId": "org_b"},
        headers={"X-Org-Id": "org_b"},
    )
    listed_as_a = api.get("/api/connections").json()

    assert created.status == 201
    assert [record["id"] for record in listed_as_a] == [created.json()["id"]]
