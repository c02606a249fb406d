"""The answer to a method a path of the API does not have: 405 with ``Allow`` (RFC 9110 section 15.5.6).

Each path of the API has an ``ANY`` route to one function besides its own method routes; API Gateway's
HTTP API selects the route of the request's own method first, so only methods the path lacks arrive
here. The methods a path has come from the route access table, the one list that template.yaml and
openapi.yaml are held equal to (tests/unit/test_template.py), so ``Allow`` cannot drift from them.

An ``ANY`` route also receives ``OPTIONS``, browsers' CORS preflights included (API Gateway answers a
preflight itself only where no route of the path takes ``OPTIONS``). Those get 204 with ``Allow``; the
gateway puts its configured CORS headers on that answer, replacing any a function sets, so the CORS
settings stay in template.yaml alone. That the gateway does so for an integration's answer to a
preflight is an assumption (AWS documents that it ignores the integration's CORS headers and adds the
configured ones, and advises answering preflights from an integration where a catch-all route takes
them); local/http_api_cors.py emulates it.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

from connections.http.error_mapping import error_body
from connections.http.route_access import ROUTE_ACCESS

# RFC 9110 token characters; anything else (or a very long token) is not repeated back to the caller.
_METHOD_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}")


def _methods_by_path() -> dict[str, tuple[str, ...]]:
    methods: dict[str, list[str]] = defaultdict(list)
    for route_key in ROUTE_ACCESS:
        method, path = route_key.split(" ", 1)
        methods[path].append(method)
    return {path: tuple(sorted(found)) for path, found in methods.items()}


METHODS_BY_PATH = _methods_by_path()


def allowed_methods(path: str) -> tuple[str, ...]:
    """The methods the API serves on ``path`` (a route path such as ``/api/connections/{id}``)."""
    return METHODS_BY_PATH.get(path, ())


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body, separators=(",", ":")),
    }


def method_not_allowed(event: dict[str, Any]) -> dict[str, Any]:
    """The payload 2.0 response for a request that reached a path's ``ANY`` route."""
    path = str(event.get("routeKey", "")).partition(" ")[2]
    allowed = allowed_methods(path)
    if not allowed:  # a catch-all route on a path the API does not serve: what an unmatched route answers
        return _json(404, error_body("Route not found"))
    headers = {"Allow": ", ".join(allowed)}
    method = str((event.get("requestContext") or {}).get("http", {}).get("method", ""))
    if method == "OPTIONS":
        return {"statusCode": 204, "headers": headers, "body": ""}
    shown = f"Method {method}" if _METHOD_TOKEN.fullmatch(method) else "This method"
    return _json(405, error_body(f"{shown} is not allowed on {path}"), headers)
