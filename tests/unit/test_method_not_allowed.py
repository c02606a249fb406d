"""The ANY routes' answer: 405 with Allow from the route table, OPTIONS 204, odd methods not echoed."""

from __future__ import annotations

import json
from typing import Any

from connections.http.method_not_allowed import method_not_allowed


def event(method: str, route_key: str = "ANY /api/connections") -> dict[str, Any]:
    return {"routeKey": route_key, "requestContext": {"http": {"method": method}}}


def test_405_names_the_method_and_the_route_path() -> None:
    response = method_not_allowed(event("TRACE", "ANY /api/connections/{id}/sync/run/{runId}/page"))

    assert response["statusCode"] == 405
    assert response["headers"] == {"Content-Type": "application/json", "Allow": "POST"}
    assert json.loads(response["body"]) == {
        "error": "Method TRACE is not allowed on /api/connections/{id}/sync/run/{runId}/page"
    }


def test_options_is_204_with_allow_and_no_body() -> None:
    response = method_not_allowed(event("OPTIONS", "ANY /api/connections/{id}"))

    assert response == {"statusCode": 204, "headers": {"Allow": "DELETE, GET, PATCH"}, "body": ""}


def test_a_method_that_is_no_http_token_is_not_repeated() -> None:
    for method in ("<script>", "X" * 33, "GET\r\nX-Injected: 1", ""):
        body = json.loads(method_not_allowed(event(method))["body"])

        assert body == {"error": "This method is not allowed on /api/connections"}


def test_a_catch_all_on_a_path_the_api_does_not_serve_is_404() -> None:
    response = method_not_allowed(event("PUT", "ANY /api/elsewhere"))

    assert response["statusCode"] == 404
    assert "Allow" not in response["headers"]
