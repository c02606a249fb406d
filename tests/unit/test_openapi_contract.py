"""The response checker the integration and e2e clients use: what it reports, and that openapi.yaml's
own examples pass it."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, cast

import pytest

from tests.support.openapi_contract import ContractViolation, ResponseContract, contract, outside_contract

JSON = {"content-type": "application/json"}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/things/{id}": {
            "get": {
                "operationId": "getThing",
                "responses": {
                    "200": {
                        "description": "the thing",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
                    },
                    "404": {"$ref": "#/components/responses/NotFound"},
                    "503": {"$ref": "#/components/responses/Busy"},
                },
            },
            "delete": {"operationId": "deleteThing", "responses": {"204": {"description": "gone"}}},
        },
        "/things/special": {
            "get": {
                "operationId": "getSpecial",
                "responses": {"200": {"description": "text", "content": {"text/plain": {}}}},
            }
        },
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "required": ["id", "tags"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^t_"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "note": {"type": ["string", "null"]},
                },
            },
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
        },
        "responses": {
            "NotFound": {
                "description": "no such thing",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
            "Busy": {
                "description": "try later",
                "headers": {"Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 1}}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        },
    },
}


@pytest.fixture(scope="module")
def things() -> ResponseContract:
    return ResponseContract(DOCUMENT)


def test_a_conforming_response_has_no_violations(things: ResponseContract) -> None:
    body = json.dumps({"id": "t_1", "tags": ["a"], "note": None})

    assert things.violations("GET", "/things/t_1", 200, JSON, body) == []
    assert things.violations("GET", "/things/t_1", 404, JSON, b'{"error": "Thing not found"}') == []
    assert things.violations("DELETE", "/things/t_1", 204, {}, b"") == []


def test_a_body_that_breaks_the_schema_is_reported_with_operation_status_and_pointer(
    things: ResponseContract,
) -> None:
    body = json.dumps({"id": "x_1", "tags": ["a", 7], "extra": True})

    problems = things.violations("GET", "/things/t_1", 200, JSON, body)

    assert len(problems) == 3
    assert all(problem.startswith("getThing (GET /things/{id}) 200: body at ") for problem in problems)
    assert any("body at /tags/1: 7 is not of type 'string'" in problem for problem in problems)
    assert any("body at /id: 'x_1' does not match '^t_'" in problem for problem in problems)
    assert any("body at (root): Additional properties are not allowed ('extra'" in problem for problem in problems)


def test_a_missing_required_property_is_reported(things: ResponseContract) -> None:
    problems = things.violations("GET", "/things/t_1", 200, JSON, '{"id": "t_1"}')

    assert problems == [
        "getThing (GET /things/{id}) 200: body at (root): 'tags' is a required property (keyword required)"
    ]


def test_an_undocumented_status_is_reported(things: ResponseContract) -> None:
    problems = things.violations("GET", "/things/t_1", 500, JSON, '{"error": "boom"}')

    assert problems == ["getThing (GET /things/{id}): status 500 is not documented (documented: 200, 404, 503)"]


def test_check_raises_with_every_problem(things: ResponseContract) -> None:
    with pytest.raises(ContractViolation, match=r"(?s)outside openapi\.yaml.*getThing .* status 418"):
        things.check("GET", "/things/t_1", 418, JSON, "{}")


def test_a_required_header_must_be_present_and_valid(things: ResponseContract) -> None:
    busy = '{"error": "busy"}'

    assert things.violations("GET", "/things/t_1", 503, JSON | {"Retry-After": "2"}, busy) == []
    assert things.violations("GET", "/things/t_1", 503, JSON, busy) == [
        "getThing (GET /things/{id}) 503: required header Retry-After is missing"
    ]
    assert things.violations("GET", "/things/t_1", 503, JSON | {"retry-after": "0"}, busy) == [
        "getThing (GET /things/{id}) 503: header Retry-After: '0': 0 is less than the minimum of 1"
    ]


def test_bodies_the_document_does_not_describe_are_reported(things: ResponseContract) -> None:
    assert things.violations("GET", "/things/t_1", 200, JSON, "not json") == [
        "getThing (GET /things/{id}) 200: the body is not JSON: 'not json'"
    ]
    assert things.violations("GET", "/things/t_1", 200, {"content-type": "text/html"}, "<p>") == [
        "getThing (GET /things/{id}) 200: content type 'text/html' is not documented (documented: application/json)"
    ]
    assert things.violations("DELETE", "/things/t_1", 204, JSON, "{}") == [
        "deleteThing (DELETE /things/{id}) 204: the document describes no body, got '{}'"
    ]


def test_literal_paths_win_over_templates_and_unknown_routes_are_not_checked(things: ResponseContract) -> None:
    special = things.operation("GET", "/things/special")

    assert special is not None and special.operation_id == "getSpecial"
    assert things.violations("GET", "/things/special", 200, {"content-type": "text/plain"}, "hi") == []
    assert things.operation("POST", "/things/t_1") is None
    assert things.violations("GET", "/nothing-here", 404, JSON, '{"message": "Not Found"}') == []
    assert things.violations("POST", "/things/t_1", 405, JSON, "{}") == []


def test_only_openapi_3_versions_it_knows_are_accepted() -> None:
    with pytest.raises(ValueError, match=r"unsupported OpenAPI version '2\.0'"):
        ResponseContract(DOCUMENT | {"openapi": "2.0"})


def _documented_examples() -> list[tuple[str, str, str, Any]]:
    document = contract().document
    found = []
    for template, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, response in operation["responses"].items():
                if "$ref" in response:
                    name = response["$ref"].rsplit("/", 1)[-1]
                    response = document["components"]["responses"][name]
                media = response.get("content", {}).get("application/json", {})
                if "example" in media:
                    found.append((method, template, status, media["example"]))
    return found


@pytest.mark.parametrize(("method", "template", "status", "example"), _documented_examples())
def test_openapi_yaml_examples_conform_to_their_own_schemas(
    method: str, template: str, status: str, example: Any
) -> None:
    path = template.replace("{", "x_").replace("}", "")
    headers = JSON | ({"Retry-After": "2"} if status == "503" else {})

    assert contract().violations(method, path, int(status), headers, json.dumps(example)) == []


class _Node:
    def __init__(self, marker: pytest.Mark | None) -> None:
        self.marker = marker
        self.nodeid = "tests/x.py::test_x"

    def get_closest_marker(self, name: str) -> pytest.Mark | None:
        return self.marker if self.marker and self.marker.name == name else None


@pytest.mark.parametrize(
    ("marker", "opted_out"),
    [(None, False), (pytest.mark.outside_contract("a raw 502 from a broken proxy").mark, True)],
)
def test_the_opt_out_marker_is_read_from_the_test(marker: pytest.Mark | None, opted_out: bool) -> None:
    request = SimpleNamespace(node=_Node(marker))

    assert outside_contract(cast(pytest.FixtureRequest, request)) is opted_out


def test_the_opt_out_marker_needs_a_reason() -> None:
    request = SimpleNamespace(node=_Node(pytest.mark.outside_contract().mark))

    with pytest.raises(pytest.UsageError, match="needs a reason"):
        outside_contract(cast(pytest.FixtureRequest, request))
