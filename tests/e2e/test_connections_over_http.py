"""The connection endpoints over real HTTP on the local server (moto server behind it)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import httpx
import pytest

from tests.e2e.local_stack import LocalStack, bearer, unique_org

SECRET = "e2e-S3CRET-credential-value-9f8e7d"
ROTATED_SECRET = "e2e-ROTATED-secret-value-1a2b3c"


def connection_body(name: str = "Partner feed", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "platform": "custom_api",
        "direction": "inbound",
        "config": {
            "base_url": "https://api.example.com/segments",
            "items_path": "data.segments",
            "auth_type": "bearer",
        },
        "credentials": {"api_key": SECRET},
    }
    body.update(overrides)
    return body


class Recorder:
    """An httpx client that keeps every response, so the leak check can read them all."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=30)
        self.responses: list[httpx.Response] = []

    def __call__(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, path, **kwargs)
        self.responses.append(response)
        return response


@pytest.fixture
def http(local_stack: LocalStack) -> Recorder:
    return Recorder(local_stack.base_url)


def stored_count(local_stack: LocalStack, org_id: str) -> int:
    client = boto3.client(
        "dynamodb",
        endpoint_url=local_stack.moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    item = client.get_item(
        TableName="connections-local", Key={"pk": {"S": f"ORG#{org_id}"}, "sk": {"S": "META"}}, ConsistentRead=True
    ).get("Item", {})
    return int(item.get("connectionCount", {}).get("N", 0))


def test_crud_with_filters_over_http(local_stack: LocalStack, http: Recorder) -> None:
    org = unique_org()
    session = bearer(local_stack.session_token(org))
    reader = bearer(local_stack.api_key(org, "sync"))

    inbound = http("POST", "/api/connections", json=connection_body(), headers=session)
    outbound = http(
        "POST",
        "/api/connections",
        json=connection_body(
            "LiveRamp Production",
            platform="liveramp",
            direction="outbound",
            config={"api_base_url": "https://api.liveramp.com", "default_cpm": 2.5, "currency": "USD"},
            credentials={"client_id": "lr_client", "client_secret": SECRET, "org_id": "lr_org"},
        ),
        headers=session,
    )
    assert (inbound.status_code, outbound.status_code) == (201, 201)
    inbound_id, outbound_id = inbound.json()["id"], outbound.json()["id"]

    listed = http("GET", "/api/connections", headers=reader)
    assert [record["id"] for record in listed.json()] == [inbound_id, outbound_id]
    filtered = http("GET", "/api/connections", params={"direction": "outbound"}, headers=reader)
    assert [record["id"] for record in filtered.json()] == [outbound_id]
    assert http("GET", "/api/connections", params={"platform": "custom_api"}, headers=reader).json()[0]["id"] == (
        inbound_id
    )
    assert http("GET", "/api/connections", params={"platform": "nope"}, headers=reader).status_code == 400

    fetched = http("GET", f"/api/connections/{outbound_id}", headers=reader).json()
    assert fetched["config"] == {"api_base_url": "https://api.liveramp.com", "default_cpm": 2.5, "currency": "USD"}

    patched = http(
        "PATCH",
        f"/api/connections/{outbound_id}",
        json={"name": "LiveRamp (Updated)", "config": {"default_cpm": 3.0, "currency": None}},
        headers=session,
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "LiveRamp (Updated)"
    assert patched.json()["config"] == {"api_base_url": "https://api.liveramp.com", "default_cpm": 3.0}
    rotated = http(
        "PATCH",
        f"/api/connections/{inbound_id}",
        json={"credentials": {"token": ROTATED_SECRET}},
        headers=session,
    )
    assert rotated.status_code == 200

    deleted = http("DELETE", f"/api/connections/{inbound_id}", headers=session)
    assert deleted.json() == {"deleted": True}
    assert http("GET", f"/api/connections/{inbound_id}", headers=reader).status_code == 404
    assert stored_count(local_stack, org) == 1


def test_auth_failures_and_cross_org_404_over_http(local_stack: LocalStack, http: Recorder) -> None:
    org, other_org = unique_org(), unique_org()
    session = bearer(local_stack.session_token(org))
    created = http("POST", "/api/connections", json=connection_body(), headers=session).json()["id"]

    assert http("GET", "/api/connections").status_code == 401
    assert http("GET", "/api/connections", headers=bearer("txadv_bogus")).json() == {"error": "Invalid API key"}
    key = bearer(local_stack.api_key(org, "sync"))
    assert http("POST", "/api/connections", json=connection_body(), headers=key).status_code == 403
    no_scope = bearer(local_stack.api_key(org, "topics:read"))
    assert http("GET", "/api/connections", headers=no_scope).status_code == 403
    viewer = bearer(local_stack.session_token(org, role="viewer"))
    assert http("DELETE", f"/api/connections/{created}", headers=viewer).status_code == 403
    cookie_session = http(
        "GET", "/api/connections", headers={"Cookie": f"__session={local_stack.session_token(org)}"}
    ).json()
    assert [record["id"] for record in cookie_session] == [created]

    intruder = bearer(local_stack.session_token(other_org))
    assert http("GET", f"/api/connections/{created}", headers=intruder).status_code == 404
    assert http("PATCH", f"/api/connections/{created}", json={"name": "x"}, headers=intruder).status_code == 404
    assert http("DELETE", f"/api/connections/{created}", headers=intruder).status_code == 404
    assert http("GET", f"/api/connections/{created}", headers=session).json()["name"] == "Partner feed"


def test_forty_concurrent_creates_leave_exactly_twenty(local_stack: LocalStack, http: Recorder) -> None:
    org = unique_org()
    session = bearer(local_stack.session_token(org))

    def create(number: int) -> httpx.Response:
        with httpx.Client(base_url=local_stack.base_url, timeout=60) as client:
            return client.post("/api/connections", json=connection_body(f"Feed {number}"), headers=session)

    with ThreadPoolExecutor(max_workers=40) as pool:
        responses = list(pool.map(create, range(40)))
    http.responses.extend(responses)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 20 + [409] * 20, statuses
    listed = http("GET", "/api/connections", headers=session).json()
    assert len(listed) == 20
    assert len({record["id"] for record in listed}) == 20
    assert stored_count(local_stack, org) == 20

    deleted = http("DELETE", f"/api/connections/{listed[0]['id']}", headers=session)
    assert deleted.status_code == 200
    assert http("POST", "/api/connections", json=connection_body("Refill"), headers=session).status_code == 201
    assert http("POST", "/api/connections", json=connection_body("Overflow"), headers=session).status_code == 409
    assert stored_count(local_stack, org) == 20


def test_no_secret_in_any_response_or_server_log(local_stack: LocalStack, http: Recorder) -> None:
    org = unique_org()
    session = bearer(local_stack.session_token(org))
    created = http("POST", "/api/connections", json=connection_body(), headers=session).json()["id"]
    http("GET", f"/api/connections/{created}", headers=session)
    http("GET", "/api/connections", headers=session)
    http("PATCH", f"/api/connections/{created}", json={"credentials": {"token": ROTATED_SECRET}}, headers=session)
    http("PATCH", f"/api/connections/{created}", json={"credentials": {"wrong": ROTATED_SECRET}}, headers=session)
    http("POST", "/api/connections", json=connection_body(credentials={"api_key": 7, "k": SECRET}), headers=session)
    http("DELETE", f"/api/connections/{created}", headers=session)

    log = local_stack.log_path.read_text(errors="replace")
    assert org in log  # the server logged this test's requests, so the check below reads real lines
    for response in http.responses:
        assert SECRET not in response.text
        assert ROTATED_SECRET not in response.text
        assert "credentialsCiphertext" not in response.text
    assert SECRET not in log
    assert ROTATED_SECRET not in log
