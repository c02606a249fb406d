"""A method an API path does not have is 405 with Allow (the paths' ANY routes), whoever calls; OPTIONS
stays the CORS preflight, with the gateway's configured headers."""

from __future__ import annotations

import http.client
import json
from typing import Any

import httpx
import pytest

from tests.e2e.local_stack import LocalStack, bearer, unique_org

pytestmark = pytest.mark.e2e

ALLOWED_ORIGIN = "http://localhost:3000"  # the local server's CORS origin


def raw_request(local_stack: LocalStack, method: str, path: str, headers: dict[str, str]) -> tuple[int, Any, bytes]:
    """Status, headers and body of one request with any method (http.client sends whatever it is given)."""
    connection = http.client.HTTPConnection("127.0.0.1", local_stack.api_port, timeout=10)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("TRACE", "/api/connections", "GET, POST"),
        ("PUT", "/api/connections", "GET, POST"),
        ("PROPFIND", "/api/connections", "GET, POST"),
        ("PUT", "/api/connections/conn_01KJA3VF80DCCVQYCP1GDKMM0B", "DELETE, GET, PATCH"),
        (
            "GET",
            "/api/connections/conn_01KJA3VF80DCCVQYCP1GDKMM0B/sync/run/run_01KJA3VF80DCCVQYCP1GDKMM0C/page",
            "POST",
        ),
        ("DELETE", "/api/topics", "GET, POST"),
        ("POST", "/api/activations", "GET"),
        ("GET", "/api/activations/bulk", "POST"),
    ],
)
def test_a_method_the_path_lacks_is_405_with_allow(local_stack: LocalStack, method: str, path: str, allow: str) -> None:
    status, headers, body = raw_request(local_stack, method, path, bearer(local_stack.session_token(unique_org())))

    assert status == 405
    assert headers["allow"] == allow
    assert headers["content-type"] == "application/json"
    route = path if "conn_" not in path else path.replace("conn_01KJA3VF80DCCVQYCP1GDKMM0B", "{id}")
    route = route.replace("run_01KJA3VF80DCCVQYCP1GDKMM0C", "{runId}")
    assert json.loads(body) == {"error": f"Method {method} is not allowed on {route}"}


def test_405_needs_no_credentials_and_reveals_nothing_else(local_stack: LocalStack) -> None:
    status, headers, _ = raw_request(local_stack, "PUT", "/api/connections", {})
    declared = httpx.get(f"{local_stack.base_url}/api/connections")

    assert status == 405
    assert headers["allow"] == "GET, POST"
    # The path's own methods still authenticate as before.
    assert declared.status_code == 401


def test_a_declared_method_still_reaches_its_function(local_stack: LocalStack) -> None:
    response = httpx.get(f"{local_stack.base_url}/api/connections", headers=bearer(local_stack.dev_api_key))

    assert response.status_code == 200
    assert isinstance(response.json(), list)


def test_preflight_on_an_api_path_is_unchanged(local_stack: LocalStack) -> None:
    preflight = httpx.options(
        f"{local_stack.base_url}/api/connections/conn_01KJA3VF80DCCVQYCP1GDKMM0B",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    foreign = httpx.options(
        f"{local_stack.base_url}/api/connections",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"},
    )

    assert preflight.status_code == 204
    assert preflight.content == b""
    assert preflight.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert {"GET", "POST", "PATCH", "DELETE", "OPTIONS"} <= set(
        preflight.headers["access-control-allow-methods"].split(",")
    )
    assert {"authorization", "content-type", "idempotency-key"} <= set(
        preflight.headers["access-control-allow-headers"].split(",")
    )
    assert preflight.headers["access-control-max-age"] == "600"
    assert foreign.status_code == 204
    assert not [name for name in foreign.headers if name.startswith("access-control-")]


def test_plain_options_lists_the_paths_methods(local_stack: LocalStack) -> None:
    response = httpx.options(f"{local_stack.base_url}/api/connections/conn_01KJA3VF80DCCVQYCP1GDKMM0B")

    assert response.status_code == 204
    assert response.headers["allow"] == "DELETE, GET, PATCH"
