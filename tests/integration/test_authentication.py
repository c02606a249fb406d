"""Who may call what (DESIGN.md sections 4-5), through the real authorizer and the route table."""

from __future__ import annotations

from typing import Any

import pytest

from local.dev_keys import SigningKey
from tests.integration.conftest import ApiClient, inbound_connection


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


def test_session_cookie_is_accepted(api: ApiClient, token_issuer: SigningKey) -> None:
    cookie = f"theme=dark; __session={token_issuer.token('org_a')}"

    response = api.get("/api/connections", headers={"Cookie": cookie}, anonymous=True)

    assert response.status == 200
    assert response.json() == []


def test_session_token_checks(api: ApiClient, token_issuer: SigningKey) -> None:
    other_key = SigningKey.generate()
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


def test_v1_claims_are_read(api: ApiClient, token_issuer: SigningKey) -> None:
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


def test_viewers_may_only_read(api: ApiClient, token_issuer: SigningKey) -> None:
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


def test_another_organisations_connection_is_404(api: ApiClient, token_issuer: SigningKey, issue_api_key) -> None:
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


# Organisation roles, through the real authorizer: every published spelling, in v2 (`o.rol`) and v1
# (`org_role`) tokens, on a read and a write route.
WRITING_ROLES = ["org:owner", "owner", "org:admin", "admin", "org:member", "member", "basic_member"]
READING_ROLES = ["org:viewer", "viewer"]
UNKNOWN_ROLES = [None, "", "Admin", "ORG:MEMBER", "org:billing", "guest", 7]


def session_token(issuer: SigningKey, role: object, version: int) -> str:
    """A session in org_a whose role claim is ``role`` (None: no role claim at all)."""
    if version == 1:
        role_claim: dict[str, Any] = {} if role is None else {"org_role": role}
        return issuer.token(None, org_id="org_a", v=1, **role_claim)
    organisation = {"id": "org_a", "slg": "org-a"} | ({} if role is None else {"rol": role})
    return issuer.token(None, o=organisation)


@pytest.mark.parametrize("version", [2, 1])
@pytest.mark.parametrize("role", [*WRITING_ROLES, *READING_ROLES, *UNKNOWN_ROLES], ids=repr)
def test_role_matrix(api: ApiClient, token_issuer: SigningKey, role: object, version: int) -> None:
    token = session_token(token_issuer, role, version)
    name = f"Role check {role!r} v{version}"

    read = api.get("/api/topics", token=token)
    write = api.post("/api/topics", {"topic_name": name}, token=token)

    assert read.status == 200, read.text
    if role in WRITING_ROLES:
        assert write.status == 201, write.text
    else:
        assert write.status == 403, write.text
        expected = "read-only" if role in READING_ROLES else "not recognised"
        assert expected in write.json()["error"]
    names = [topic["name"] for topic in api.get("/api/topics", query={"pageSize": "100"}).json()["topics"]]
    assert names.count(name) == (1 if role in WRITING_ROLES else 0)


@pytest.mark.parametrize("role", [None, "org:billing", "Admin"], ids=repr)
def test_unknown_roles_only_read(api: ApiClient, token_issuer: SigningKey, role: object) -> None:
    connection_id = api.post("/api/connections", inbound_connection()).json()["id"]
    token = session_token(token_issuer, role, 2)

    reads = [api.get("/api/connections", token=token), api.get(f"/api/connections/{connection_id}", token=token)]
    writes = [
        api.post("/api/connections", inbound_connection(name="Another"), token=token),
        api.patch(f"/api/connections/{connection_id}", {"name": "renamed"}, token=token),
        api.post(f"/api/connections/{connection_id}/test", token=token),
        api.post(f"/api/connections/{connection_id}/sync/run", token=token),
        api.delete(f"/api/connections/{connection_id}", token=token),
    ]

    assert [response.status for response in reads] == [200, 200]
    assert [response.status for response in writes] == [403] * len(writes)
    assert all(set(response.json()) == {"error"} for response in writes)
    assert [connection["name"] for connection in api.get("/api/connections").json()] == ["My Custom API"]


@pytest.mark.parametrize("role", ["org:member", "member", "basic_member"])
def test_members_run_syncs_but_do_not_manage_connections(api: ApiClient, token_issuer: SigningKey, role: str) -> None:
    connection_id = api.post("/api/connections", inbound_connection()).json()["id"]
    member = token_issuer.token("org_a", user_id="user_member", role=role)

    management = [
        api.post("/api/connections", inbound_connection(name="Another"), token=member),
        api.patch(f"/api/connections/{connection_id}", {"name": "renamed"}, token=member),
        api.post(f"/api/connections/{connection_id}/test", token=member),
        api.delete(f"/api/connections/{connection_id}", token=member),
    ]

    assert [response.status for response in management] == [403] * len(management)
    assert management[0].json() == {"error": "Your organisation role (member) may not manage connections"}
    assert api.get(f"/api/connections/{connection_id}", token=member).json()["name"] == "My Custom API"
    # Runs are open to members: the request passes the role check and reaches the sync service (its
    # answer here is the platform's, not a 403).
    assert api.post(f"/api/connections/{connection_id}/sync/run", token=member).status != 403
