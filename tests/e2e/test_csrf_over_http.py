"""The CSRF rule over real HTTP on the local server: what a cross-site page could make a signed-in
browser send with its ``__session`` cookie is refused before any route code runs; JSON from the
allowed front end works; bearer callers are unaffected."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from local import dev_keys
from tests.e2e.local_stack import LocalStack, bearer, unique_org
from tests.e2e.test_connections_over_http import connection_body, stored_count

ALLOWED_ORIGIN = dev_keys.AUTHORIZED_PARTY  # the local stack's default ALLOWED_ORIGINS
FOREIGN_ORIGIN = "https://evil.example"
JSON = "application/json"


@pytest.fixture
def client(local_stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local_stack.base_url, timeout=30) as http:
        yield http


def cookie_request(
    client: httpx.Client,
    token: str,
    method: str,
    path: str,
    body: Any = None,
    content_type: str | None = None,
    origin: str | None = None,
) -> httpx.Response:
    """A request signed in only by the session cookie, as a browser sends it."""
    headers = {"Cookie": f"theme=dark; __session={token}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if origin is not None:
        headers["Origin"] = origin
    content = json.dumps(body).encode() if body is not None else None
    return client.request(method, path, content=content, headers=headers)


def connection_names(client: httpx.Client, token: str) -> list[str]:
    return [connection["name"] for connection in client.get("/api/connections", headers=bearer(token)).json()]


def assert_refused(response: httpx.Response, fragment: str) -> None:
    assert response.status_code == 403, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert fragment in body["error"]


def test_cross_site_text_plain_is_refused_and_creates_nothing(local_stack: LocalStack, client: httpx.Client) -> None:
    org = unique_org()
    token = local_stack.session_token(org)

    # What an HTML form or a no-cors fetch on another site can send without a preflight.
    attempts = [
        cookie_request(client, token, "POST", "/api/connections", connection_body(), "text/plain", FOREIGN_ORIGIN),
        cookie_request(client, token, "POST", "/api/connections", connection_body(), "text/plain;charset=UTF-8"),
        cookie_request(
            client, token, "POST", "/api/connections", connection_body(), "application/x-www-form-urlencoded"
        ),
        cookie_request(client, token, "POST", "/api/connections", connection_body()),
        cookie_request(client, token, "POST", "/api/topics", {"topic_name": "Planted"}, "text/plain", FOREIGN_ORIGIN),
    ]

    for response in attempts:
        assert_refused(response, "Content-Type: application/json")
    assert stored_count(local_stack, org) == 0
    assert connection_names(client, token) == []
    topics = client.get("/api/topics", headers=bearer(token)).json()
    assert topics["total"] == 0


def test_json_from_a_foreign_origin_is_refused(local_stack: LocalStack, client: httpx.Client) -> None:
    org = unique_org()
    token = local_stack.session_token(org)

    for origin in (FOREIGN_ORIGIN, "null", f"{ALLOWED_ORIGIN}.evil.example"):
        response = cookie_request(client, token, "POST", "/api/connections", connection_body(), JSON, origin)
        assert_refused(response, "origin")
    assert stored_count(local_stack, org) == 0


def test_json_from_the_allowed_origin_works_for_every_unsafe_method(
    local_stack: LocalStack, client: httpx.Client
) -> None:
    org = unique_org()
    token = local_stack.session_token(org)

    created = cookie_request(
        client, token, "POST", "/api/connections", connection_body(), f"{JSON}; charset=utf-8", ALLOWED_ORIGIN
    )
    assert created.status_code == 201, created.text
    connection_id = created.json()["id"]
    # A caller that is not a browser sends no Origin: the content type is enough.
    without_origin = cookie_request(client, token, "POST", "/api/connections", connection_body("Second"), JSON)
    assert without_origin.status_code == 201, without_origin.text
    path = f"/api/connections/{connection_id}"
    patched = cookie_request(client, token, "PATCH", path, {"name": "Renamed"}, JSON, ALLOWED_ORIGIN)
    assert patched.status_code == 200, patched.text

    # Bodiless unsafe requests need the JSON content type too.
    assert_refused(cookie_request(client, token, "DELETE", path, origin=ALLOWED_ORIGIN), "Content-Type")
    assert_refused(cookie_request(client, token, "POST", f"{path}/sync/run", origin=FOREIGN_ORIGIN), "Content-Type")
    assert sorted(connection_names(client, token)) == ["Renamed", "Second"]

    deleted = cookie_request(client, token, "DELETE", path, content_type=JSON, origin=ALLOWED_ORIGIN)
    assert deleted.status_code == 200, deleted.text
    assert connection_names(client, token) == ["Second"]


def test_reads_with_the_cookie_are_not_checked(local_stack: LocalStack, client: httpx.Client) -> None:
    token = local_stack.session_token(unique_org())

    response = cookie_request(
        client, token, "GET", "/api/connections", content_type="text/plain", origin=FOREIGN_ORIGIN
    )

    assert response.status_code == 200
    assert response.json() == []


def test_bearer_callers_are_unaffected(local_stack: LocalStack, client: httpx.Client) -> None:
    """Today's behaviour for Authorization-header callers stays: the content type is not checked."""
    org = unique_org()
    session = bearer(local_stack.session_token(org))
    api_key = bearer(local_stack.api_key(org, "topics:write,topics:read"))
    plain = {"Content-Type": "text/plain", "Origin": FOREIGN_ORIGIN}

    created = client.post("/api/connections", content=json.dumps(connection_body()), headers=session | plain)
    topic = client.post("/api/topics", content=json.dumps({"topic_name": "Keyed"}), headers=api_key | plain)

    assert created.status_code == 201, created.text
    assert topic.status_code == 201, topic.text
    assert stored_count(local_stack, org) == 1


def test_the_credential_used_decides_when_both_are_sent(local_stack: LocalStack, client: httpx.Client) -> None:
    org = unique_org()
    header_token = local_stack.session_token(org, user_id="user_header")
    cookie_token = local_stack.session_token(org, user_id="user_cookie")
    both = {"Authorization": f"Bearer {header_token}", "Cookie": f"__session={cookie_token}"}
    plain = {"Content-Type": "text/plain", "Origin": FOREIGN_ORIGIN}

    # The header is the credential used, so the cookie's rule does not apply...
    created = client.post("/api/connections", content=json.dumps(connection_body()), headers=both | plain)
    assert created.status_code == 201, created.text
    # ...and a broken header is not rescued by the cookie.
    broken = {"Authorization": "Bearer not.a.jwt", "Cookie": f"__session={cookie_token}"}
    refused = client.post("/api/connections", content=json.dumps(connection_body()), headers=broken | plain)
    assert refused.status_code == 401
    assert stored_count(local_stack, org) == 1
