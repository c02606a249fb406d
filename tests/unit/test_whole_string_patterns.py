"""Names and paths checked against the whole string: "$" also matches before a trailing newline, so a
check written with it let "api_key\\n" and "/api/connections\\n" through."""

from __future__ import annotations

from pathlib import Path

import pytest

from connections.domain.credential_shapes import validate_credentials
from connections.domain.platforms import Platform
from local.api_gateway import ApiGateway
from local.sam_template import HttpRoute


@pytest.mark.parametrize("key", ["api_key\n", "api_key\n\n", "\napi_key", "api key", "Api_key", "a" * 65])
def test_a_credential_name_must_be_a_name_throughout(key: str) -> None:
    problems = validate_credentials({key: "a-long-secret-value"}, Platform.CUSTOM_API, "api_key")

    assert [(problem.field, problem.message) for problem in problems][:1] == [
        ("credentials", f"'{key[:64]}' is not a valid credential name")
    ]


def test_a_well_formed_credential_name_is_accepted() -> None:
    assert validate_credentials({"api_key": "a-long-secret-value"}, Platform.CUSTOM_API, "api_key") == []


def gateway() -> ApiGateway:
    routes = [
        HttpRoute("GET", "/api/connections", "ListConnectionsFunction", Path("."), "app.handler"),
        HttpRoute("GET", "/api/connections/{id}", "GetConnectionFunction", Path("."), "app.handler"),
        HttpRoute("POST", "/api/connections/{id}/test", "TestConnectionFunction", Path("."), "app.handler"),
    ]
    return ApiGateway(routes)


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/api/connections\n"), ("POST", "/api/connections/conn_1/test\n")]
)
def test_a_path_with_a_trailing_newline_selects_no_route(method: str, path: str) -> None:
    # (A path parameter may hold any character but "/", as API Gateway's do: "/api/connections/a\n" is
    # the get route with id "a\n", which the function answers 404.)
    assert gateway().match(method, path) is None


def test_routes_still_match_their_paths() -> None:
    matched = gateway().match("GET", "/api/connections/conn_1")

    assert matched is not None
    route, parameters = matched
    assert (route.function_id, parameters) == ("GetConnectionFunction", {"id": "conn_1"})
    assert gateway().match("GET", "/api/connections") is not None
