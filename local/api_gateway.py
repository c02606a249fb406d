"""An in-process stand-in for API Gateway's HTTP API: route matching from template.yaml, the Lambda
authorizer run before every function (payload 2.0, simple responses), and payload-2.0 events and
responses exactly as API Gateway builds them. Used by the local server and by the tests."""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from local.sam_template import PROJECT_ROOT, HttpRoute, functions, http_routes, load_template

LAYER_PATH = PROJECT_ROOT / "layers" / "shared"
AUTHORIZER_DIR = PROJECT_ROOT / "functions" / "authorizer"
API_ID = "localapi"
FORBIDDEN_BODY = b'{"message":"Forbidden"}'
_TEXT_TYPES = ("json", "text/", "xml", "x-www-form-urlencoded", "javascript")

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LambdaContextStub:
    """The parts of the Lambda context object that handlers and Powertools read."""

    function_name: str
    timeout_seconds: float = 10.0
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


_handlers: dict[Path, Handler] = {}


def load_handler(code_dir: Path, handler: str = "app.lambda_handler") -> Handler:
    """Import a function's handler from its folder, once, under a module name of its own."""
    key = code_dir.resolve()
    if key not in _handlers:
        if str(LAYER_PATH) not in sys.path:
            sys.path.insert(0, str(LAYER_PATH))
        module_file, attribute = handler.rsplit(".", 1)
        module_name = f"functions_{code_dir.name}_{module_file}"
        spec = importlib.util.spec_from_file_location(module_name, code_dir / f"{module_file}.py")
        assert spec and spec.loader, f"cannot load {code_dir}"
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        _handlers[key] = getattr(module, attribute)
    return _handlers[key]


def function_timeout(function_id: str) -> float:
    template = load_template()
    spec = functions(template)[function_id].get("Properties", {})
    default = template.get("Globals", {}).get("Function", {}).get("Timeout", 3)
    return float(spec.get("Timeout", default))


def _path_pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", path)
    regex = "".join(
        f"(?P<{part[1:-1].rstrip('+')}>[^/]+)" if part.startswith("{") else re.escape(part) for part in parts
    )
    # "\Z", not "$": "$" also matches before a trailing newline, so "/api/connections\n" took the route.
    return re.compile(f"^{regex}\\Z")


@dataclass
class GatewayResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: list[str] = field(default_factory=list)


def _now_fields() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"), "timeEpoch": int(now.timestamp() * 1000)}


class ApiGateway:
    """Dispatches HTTP requests to the template's functions the way an HTTP API does."""

    def __init__(self, routes: list[HttpRoute] | None = None, source_ip: str = "127.0.0.1") -> None:
        self.routes = routes if routes is not None else http_routes()
        self._patterns = [(route, _path_pattern(route.path)) for route in self.routes]
        self._source_ip = source_ip

    def match(self, method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
        """The route a request selects: the path's route of its own method before the path's ANY route."""
        catch_all = None
        for route, pattern in self._patterns:
            found = pattern.match(path)
            if found and route.method == method.upper():
                return route, found.groupdict()
            if found and route.method == "ANY" and catch_all is None:
                catch_all = route, found.groupdict()
        return catch_all

    def handle(
        self,
        method: str,
        path: str,
        query_string: str = "",
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> GatewayResponse:
        """One request through authorizer and function; the response as a client would see it."""
        matched = self.match(method, path)
        if matched is None:
            return GatewayResponse(404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
        route, path_parameters = matched
        request = self._request_fields(method, path, query_string, headers or {}, body, route, path_parameters)
        decision = load_handler(AUTHORIZER_DIR)(self._authorizer_event(request), LambdaContextStub("authorizer"))
        if not isinstance(decision, dict) or decision.get("isAuthorized") is not True:
            return GatewayResponse(403, {"content-type": "application/json"}, FORBIDDEN_BODY)
        event = self._function_event(request, decision.get("context") or {})
        context = LambdaContextStub(route.function_id, timeout_seconds=function_timeout(route.function_id))
        result = load_handler(route.code_dir, route.handler)(event, context)
        return self._response(result)

    def _request_fields(
        self,
        method: str,
        path: str,
        query_string: str,
        headers: Mapping[str, str],
        body: bytes,
        route: HttpRoute,
        path_parameters: dict[str, str],
    ) -> dict[str, Any]:
        lowered: dict[str, str] = {}
        for name, value in headers.items():
            key = name.lower()
            lowered[key] = f"{lowered[key]},{value}" if key in lowered else value
        cookies = [part.strip() for part in lowered.pop("cookie", "").split(";") if part.strip()]
        query: dict[str, str] = {}
        for name, value in parse_qsl(query_string, keep_blank_values=True):
            query[name] = f"{query[name]},{value}" if name in query else value
        content_type = lowered.get("content-type", "")
        is_text = not body or any(kind in content_type for kind in _TEXT_TYPES) or not content_type
        return {
            "method": method.upper(),
            "path": path,
            "rawQueryString": query_string,
            "headers": lowered,
            "cookies": cookies,
            "query": query,
            "route": route,
            "pathParameters": path_parameters,
            "body": body.decode("utf-8", "replace") if is_text else base64.b64encode(body).decode(),
            "isBase64Encoded": not is_text,
            "requestId": uuid.uuid4().hex[:16],
        }

    def _request_context(self, request: dict[str, Any]) -> dict[str, Any]:
        return {
            "accountId": "123456789012",
            "apiId": API_ID,
            "domainName": f"{API_ID}.local",
            "domainPrefix": API_ID,
            "http": {
                "method": request["method"],
                "path": request["path"],
                "protocol": "HTTP/1.1",
                "sourceIp": self._source_ip,
                "userAgent": request["headers"].get("user-agent", ""),
            },
            "requestId": request["requestId"],
            "routeKey": request["route"].route_key,
            "stage": "$default",
            **_now_fields(),
        }

    def _authorizer_event(self, request: dict[str, Any]) -> dict[str, Any]:
        route = request["route"]
        event: dict[str, Any] = {
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": f"arn:aws:execute-api:us-east-1:123456789012:{API_ID}/$default/{route.method}{route.path}",
            "identitySource": [],
            "routeKey": route.route_key,
            "rawPath": request["path"],
            "rawQueryString": request["rawQueryString"],
            "headers": request["headers"],
            "requestContext": self._request_context(request),
            "pathParameters": request["pathParameters"],
        }
        if request["cookies"]:
            event["cookies"] = request["cookies"]
        if request["query"]:
            event["queryStringParameters"] = request["query"]
        return event

    def _function_event(self, request: dict[str, Any], authorizer_context: dict[str, Any]) -> dict[str, Any]:
        context = self._request_context(request) | {"authorizer": {"lambda": authorizer_context}}
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": request["route"].route_key,
            "rawPath": request["path"],
            "rawQueryString": request["rawQueryString"],
            "headers": request["headers"],
            "requestContext": context,
            "isBase64Encoded": request["isBase64Encoded"],
        }
        if request["cookies"]:
            event["cookies"] = request["cookies"]
        if request["query"]:
            event["queryStringParameters"] = request["query"]
        if request["pathParameters"]:
            event["pathParameters"] = request["pathParameters"]
        if request["body"]:
            event["body"] = request["body"]
        return event

    @staticmethod
    def _response(result: Any) -> GatewayResponse:
        # Payload 2.0: a dict with statusCode is a full response; anything else is a 200 JSON body.
        if isinstance(result, dict) and "statusCode" in result:
            body = result.get("body") or ""
            data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
            headers = {name.lower(): str(value) for name, value in (result.get("headers") or {}).items()}
            return GatewayResponse(int(result["statusCode"]), headers, data, list(result.get("cookies") or []))
        return GatewayResponse(200, {"content-type": "application/json"}, json.dumps(result).encode())
