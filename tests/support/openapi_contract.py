"""Responses checked against openapi.yaml: the operation found by method and path template, the
status documented for it, documented headers (present when ``required``, valid when present) and the
JSON body valid against its schema. The integration client and the e2e HTTP calls run every answer
through ``check_response``, so the document and the code cannot drift apart unnoticed.

Validators are compiled once per (operation, status) and kept for the session; ``$ref``s resolve
inside the one document, with the JSON Schema dialect of its OpenAPI version (3.1: Draft 2020-12).

Paths no operation describes (``/openapi.json``, an unknown route's 404, a method a path does not
list) are not checked: there is no contract to hold them to. A test that deliberately provokes an
answer outside the contract opts out with ``@pytest.mark.outside_contract("why")``; only the
responses of that test go unchecked.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

OPENAPI_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
# The URI the document is registered under, so that its "#/components/..." references resolve.
DOCUMENT_URI = "urn:connections:openapi"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Errors listed per violation; the rest are counted.
MAX_ERRORS_SHOWN = 5
OPT_OUT_MARKER = "outside_contract"
OPT_OUT_DOC = (
    f"{OPT_OUT_MARKER}(reason): the test deliberately provokes responses openapi.yaml does not describe;"
    " they are not checked against it"
)


class ContractViolation(AssertionError):
    """A response that openapi.yaml does not describe."""


@dataclass(frozen=True)
class Operation:
    """One operation of the document: its route key, id and location."""

    method: str
    path: str
    operation_id: str
    pointer: str

    @property
    def route_key(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def describe(self) -> str:
        return f"{self.operation_id} ({self.route_key})"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _path_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template)
    return re.compile("^" + "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts) + "$")


class ResponseContract:
    """The responses openapi.yaml documents, checked one response at a time."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._document = document
        version = str(document.get("openapi", ""))
        if version.startswith("3.1"):
            self._validator_class: type[Validator] = Draft202012Validator
            specification = DRAFT202012
        elif version.startswith("3.0"):
            # 3.0 schemas are a Draft 4 variant with `nullable`; openapi-schema-validator speaks it.
            from openapi_schema_validator import OAS30Validator

            self._validator_class = OAS30Validator
            specification = DRAFT4
        else:
            raise ValueError(f"unsupported OpenAPI version {version!r}")
        resource: Resource[Any] = specification.create_resource(dict(document))
        self._registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
        self._operations: list[tuple[re.Pattern[str], Operation]] = []
        # Literal paths before templated ones, so /a/b is never taken for /a/{id}.
        for template in sorted(document.get("paths", {}), key=lambda path: (path.count("{"), path)):
            item = document["paths"][template]
            for method in METHODS:
                if method in item:
                    pointer = f"/paths/{_escape(template)}/{method}"
                    operation_id = item[method].get("operationId", f"{method.upper()} {template}")
                    operation = Operation(method, template, operation_id, pointer)
                    self._operations.append((_path_pattern(template), operation))
        self._validators: dict[str, Validator] = {}

    @property
    def document(self) -> Mapping[str, Any]:
        return self._document

    @classmethod
    def from_file(cls, path: Path = OPENAPI_PATH) -> ResponseContract:
        return cls(yaml.safe_load(path.read_text()))

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation a request for this method and concrete path reaches, if the document has one."""
        path = path.split("?", 1)[0]
        for pattern, operation in self._operations:
            if operation.method == method.lower() and pattern.match(path):
                return operation
        return None

    def violations(
        self, method: str, path: str, status: int, headers: Mapping[str, str], body: bytes | str
    ) -> list[str]:
        """What is wrong with this response according to the document; empty when it conforms."""
        operation = self.operation(method, path)
        if operation is None:
            return []
        found = self._response(operation, status)
        if found is None:
            documented = ", ".join(self._at(operation.pointer + "/responses"))
            return [f"{operation.describe()}: status {status} is not documented (documented: {documented})"]
        where, response = found
        context = f"{operation.describe()} {status}"
        lowered = {name.lower(): value for name, value in headers.items()}
        problems = list(self._header_problems(context, where, response, lowered))
        problems += self._body_problems(context, where, response, lowered.get("content-type", ""), body)
        return problems

    def check(self, method: str, path: str, status: int, headers: Mapping[str, str], body: bytes | str) -> None:
        """Raise ``ContractViolation`` naming the operation, the status and each error's JSON pointer."""
        problems = self.violations(method, path, status, headers, body)
        if problems:
            raise ContractViolation("response outside openapi.yaml:\n  " + "\n  ".join(problems))

    def _at(self, pointer: str) -> Any:
        node: Any = self._document
        for token in pointer.lstrip("/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        return node

    def _resolved(self, pointer: str) -> tuple[str, Any]:
        """A response, header or media type object and where it really is (after local ``$ref``s)."""
        node = self._at(pointer)
        while isinstance(node, Mapping) and "$ref" in node:
            pointer = str(node["$ref"]).removeprefix("#")
            node = self._at(pointer)
        return pointer, node

    def _response(self, operation: Operation, status: int) -> tuple[str, Any] | None:
        responses = self._at(operation.pointer + "/responses")
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in responses:
                return self._resolved(f"{operation.pointer}/responses/{_escape(key)}")
        return None

    def _validator(self, schema_pointer: str) -> Validator:
        if schema_pointer not in self._validators:
            schema = {"$ref": f"{DOCUMENT_URI}#{schema_pointer}"}
            self._validators[schema_pointer] = self._validator_class(
                schema, registry=self._registry, format_checker=self._validator_class.FORMAT_CHECKER
            )
        return self._validators[schema_pointer]

    def _schema_errors(self, schema_pointer: str, instance: Any) -> list[ValidationError]:
        return sorted(self._validator(schema_pointer).iter_errors(instance), key=lambda error: list(error.path))

    def _header_problems(
        self, context: str, where: str, response: Mapping[str, Any], headers: Mapping[str, str]
    ) -> Iterable[str]:
        for name in response.get("headers", {}):
            header_pointer, header = self._resolved(f"{where}/headers/{_escape(name)}")
            value = headers.get(name.lower())
            if value is None:
                if header.get("required", False):
                    yield f"{context}: required header {name} is missing"
                continue
            if "schema" not in header:
                continue
            schema_pointer = f"{header_pointer}/schema"
            # Header values are text; a number schema describes the digits' value.
            candidates: list[Any] = [value]
            if re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
                candidates.append(json.loads(value.strip()))
            attempts = [self._schema_errors(schema_pointer, candidate) for candidate in candidates]
            if all(attempts):
                yield f"{context}: header {name}: {value!r}: {attempts[-1][0].message}"

    def _body_problems(
        self, context: str, where: str, response: Mapping[str, Any], content_type: str, body: bytes | str
    ) -> list[str]:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        content = response.get("content") or {}
        if not content:
            return [f"{context}: the document describes no body, got {text[:200]!r}"] if text.strip() else []
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type not in content:
            return [f"{context}: content type {content_type!r} is not documented (documented: {', '.join(content)})"]
        media_pointer, media = self._resolved(f"{where}/content/{_escape(media_type)}")
        if "schema" not in media or "json" not in media_type:
            return []
        try:
            instance = json.loads(text)
        except ValueError:
            return [f"{context}: the body is not JSON: {text[:200]!r}"]
        errors = self._schema_errors(f"{media_pointer}/schema", instance)
        problems = [
            f"{context}: body at {_pointer(error.absolute_path) or '(root)'}: {error.message}"
            f" (keyword {error.validator})"
            for error in errors[:MAX_ERRORS_SHOWN]
        ]
        if len(errors) > MAX_ERRORS_SHOWN:
            problems.append(f"{context}: ... and {len(errors) - MAX_ERRORS_SHOWN} more errors in the body")
        return problems


def _pointer(path: Iterable[Any]) -> str:
    """The JSON pointer (RFC 6901) of a place in the body."""
    return "/" + "/".join(_escape(str(part)) for part in path) if path else ""


@functools.cache
def contract() -> ResponseContract:
    """The project's openapi.yaml, loaded and compiled lazily once per process."""
    return ResponseContract.from_file()


def check_response(method: str, path: str, status: int, headers: Mapping[str, str], body: bytes | str) -> None:
    """Fail the calling test when the response is outside openapi.yaml."""
    contract().check(method, path, status, headers, body)


def outside_contract(request: pytest.FixtureRequest) -> bool:
    """Whether the requesting test opted out of the check (``@pytest.mark.outside_contract("why")``)."""
    marker = request.node.get_closest_marker(OPT_OUT_MARKER)
    if marker is None:
        return False
    if not (marker.args and str(marker.args[0]).strip()):
        raise pytest.UsageError(f"@pytest.mark.{OPT_OUT_MARKER} needs a reason: {request.node.nodeid}")
    return True
