"""The local server as a client sees it: documents it serves, gateway behaviour (404, CORS, 413),
the printed credentials, and the connections-dev subcommands against the running stack."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from typing import Any

import httpx
import jwt
import pytest

from tests.e2e.local_stack import PROJECT_ROOT, LocalStack, bearer, unique_org

pytestmark = pytest.mark.e2e

NEW_CONNECTION: dict[str, Any] = json.loads(
    json.loads((PROJECT_ROOT / "events/create_connection.json").read_text())["body"]
)


def run_cli(local_stack: LocalStack, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local.cli", *arguments],
        cwd=PROJECT_ROOT,
        env=local_stack.cli_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_openapi_document_is_served_as_json(base_url: str) -> None:
    response = httpx.get(f"{base_url}/openapi.json")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/connections" in document["paths"]


def test_unknown_route_is_the_gateways_404(base_url: str, local_stack: LocalStack) -> None:
    response = httpx.get(f"{base_url}/api/nothing-here", headers=bearer(local_stack.dev_api_key))

    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_route_without_credentials_is_the_apis_401(base_url: str) -> None:
    response = httpx.get(f"{base_url}/api/connections")

    assert response.status_code == 401
    assert "error" in response.json()


def test_jwks_publishes_the_key_that_signs_the_printed_token(base_url: str, local_stack: LocalStack) -> None:
    keys = httpx.get(f"{base_url}/.well-known/jwks.json").json()["keys"]
    kid = jwt.get_unverified_header(local_stack.dev_session_token)["kid"]

    assert [key["kid"] for key in keys] == [kid]
    claims = jwt.decode(
        local_stack.dev_session_token, jwt.PyJWK(keys[0]).key, algorithms=["RS256"], options={"verify_aud": False}
    )
    assert claims["o"] == {"id": "org_dev", "rol": "admin", "slg": "org-dev"}
    assert claims["sub"] == "user_dev"
    assert claims["exp"] - claims["iat"] == 24 * 3600


def test_create_get_and_list_with_the_printed_session_token(base_url: str, local_stack: LocalStack) -> None:
    headers = bearer(local_stack.dev_session_token)

    created = httpx.post(f"{base_url}/api/connections", json=NEW_CONNECTION, headers=headers)
    assert created.status_code == 201, created.text
    connection_id = created.json()["id"]

    fetched = httpx.get(f"{base_url}/api/connections/{connection_id}", headers=headers)
    assert fetched.status_code == 200
    assert fetched.json()["id"] == connection_id
    assert fetched.json()["name"] == NEW_CONNECTION["name"]
    assert "credentials" not in fetched.json()

    listed = httpx.get(f"{base_url}/api/connections", headers=bearer(local_stack.dev_api_key))
    assert listed.status_code == 200
    assert connection_id in [connection["id"] for connection in listed.json()]


def test_session_cookie_is_accepted(base_url: str, local_stack: LocalStack) -> None:
    org_id = unique_org()
    cookie = {"Cookie": f"__session={local_stack.session_token(org_id)}"}

    response = httpx.get(f"{base_url}/api/connections", headers=cookie)

    assert response.status_code == 200
    assert response.json() == []


def test_issued_credentials_see_only_their_own_organisation(base_url: str, local_stack: LocalStack) -> None:
    owner, stranger = unique_org(), unique_org()
    created = httpx.post(
        f"{base_url}/api/connections", json=NEW_CONNECTION, headers=bearer(local_stack.session_token(owner))
    )
    assert created.status_code == 201, created.text
    connection_id = created.json()["id"]

    as_owner_key = httpx.get(f"{base_url}/api/connections", headers=bearer(local_stack.api_key(owner, "sync")))
    as_stranger = httpx.get(
        f"{base_url}/api/connections/{connection_id}", headers=bearer(local_stack.session_token(stranger))
    )

    assert [connection["id"] for connection in as_owner_key.json()] == [connection_id]
    assert as_stranger.status_code == 404


def test_preflight_is_answered_by_the_gateway(base_url: str) -> None:
    allowed = httpx.options(
        f"{base_url}/api/connections/anything",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "PATCH"},
    )
    foreign = httpx.options(
        f"{base_url}/api/connections",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"},
    )

    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "PATCH" in allowed.headers["access-control-allow-methods"].split(",")
    assert "idempotency-key" in allowed.headers["access-control-allow-headers"].split(",")
    assert foreign.status_code == 204
    assert "access-control-allow-origin" not in foreign.headers


def test_responses_carry_cors_headers_for_allowed_origins(base_url: str, local_stack: LocalStack) -> None:
    response = httpx.get(
        f"{base_url}/api/connections",
        headers=bearer(local_stack.dev_api_key) | {"Origin": "http://localhost:3000"},
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert response.headers["access-control-expose-headers"] == "retry-after,link"


def test_body_over_ten_megabytes_is_refused_before_it_is_read(local_stack: LocalStack) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", local_stack.api_port, timeout=10)
    try:
        connection.putrequest("POST", "/api/connections")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(10 * 1024 * 1024 + 1))
        connection.endheaders()
        response = connection.getresponse()
        status, body = response.status, json.loads(response.read())
    finally:
        connection.close()

    assert status == 413
    assert body == {"message": "Request Entity Too Large"}


def test_cli_api_key_prints_a_working_key(base_url: str, local_stack: LocalStack) -> None:
    org_id = unique_org()

    result = run_cli(local_stack, "api-key", "--org", org_id, "--scopes", "sync,activations", "--name", "cli")

    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert key.startswith("txadv_")
    assert "\n" not in key
    assert httpx.get(f"{base_url}/api/connections", headers=bearer(key)).status_code == 200
    # Created through POST /api/keys with an owner session of the organisation: the org lists it.
    owner = bearer(local_stack.session_token(org_id, role="owner"))
    listed = httpx.get(f"{base_url}/api/keys", headers=owner).json()
    assert [(record["name"], record["prefix"], record["scopes"]) for record in listed] == [
        ("cli", key[:10], ["activations", "sync"])
    ]


def test_cli_api_key_refuses_unknown_scopes(local_stack: LocalStack) -> None:
    result = run_cli(local_stack, "api-key", "--org", unique_org(), "--scopes", "everything")

    assert result.returncode != 0
    assert result.stdout == ""
    assert "everything" in result.stderr


def test_cli_session_token_is_accepted(base_url: str, local_stack: LocalStack) -> None:
    result = run_cli(local_stack, "session-token", "--org", unique_org(), "--role", "viewer", "--ttl-minutes", "5")

    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    listed = httpx.get(f"{base_url}/api/connections", headers=bearer(token))
    refused = httpx.post(f"{base_url}/api/connections", json=NEW_CONNECTION, headers=bearer(token))
    assert listed.status_code == 200
    assert refused.status_code == 403


def test_cli_invoke_runs_the_authorizer_on_its_sample_event(local_stack: LocalStack) -> None:
    result = run_cli(local_stack, "invoke", "AuthorizerFunction", "-e", "events/authorizer.json")

    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["isAuthorized"] is True
    # The sample's key was never issued, so the context says the caller is not authenticated.
    assert decision["context"]["authenticated"] is False


def test_cli_invoke_accepts_a_folder_name(local_stack: LocalStack) -> None:
    result = run_cli(local_stack, "invoke", "get_connection", "-e", "events/get_connection.json")

    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["statusCode"] == 404
    assert "error" in json.loads(response["body"])


def test_chunked_request_body_reaches_the_function(base_url: str, local_stack: LocalStack) -> None:
    payload = json.dumps(NEW_CONNECTION).encode()
    chunks = iter([payload[:100], payload[100:]])

    response = httpx.post(
        f"{base_url}/api/connections",
        content=chunks,
        headers=bearer(local_stack.session_token(unique_org())) | {"Content-Type": "application/json"},
    )

    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert response.status_code == 201, response.text
    assert response.json()["name"] == NEW_CONNECTION["name"]


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("TRACE", "/api/nothing-here"),
        ("CONNECT", "127.0.0.1:443"),
        ("PROPFIND", "/api/nothing-here"),
        ("PUT", "/api/nothing-here"),
    ],
)
def test_unmatched_methods_are_the_gateways_json_404(local_stack: LocalStack, method: str, target: str) -> None:
    # API Gateway's HTTP API answers a request no route takes with its JSON 404, never an HTML 501
    # (a method an API path lacks is the API's 405: tests/e2e/test_methods_over_http.py).
    connection = http.client.HTTPConnection("127.0.0.1", local_stack.api_port, timeout=10)
    try:
        connection.request(method, target, headers=bearer(local_stack.dev_api_key))
        response = connection.getresponse()
        status, content_type, body = response.status, response.getheader("content-type"), response.read()
    finally:
        connection.close()

    assert status == 404
    assert content_type == "application/json"
    assert json.loads(body) == {"message": "Not Found"}
