"""A small HTTP API (payload 2.0) resolver: route decorators with ``<name>`` path parameters, one
middleware chain, exception handlers by class, a not-found handler and JSON responses.

The project keeps its own instead of Powertools' APIGatewayHttpResolver because importing
``aws_lambda_powertools.event_handler`` runs that package's ``__init__``, which loads every resolver
(AppSync with asyncio, Bedrock agents, the OpenAPI machinery, the event data classes): 18 to 33 ms
(`-X importtime`, after Logger, Metrics and Tracer are loaded) of every API function's cold start, for
the few features used here. It answers as
that resolver did: a route's dict is JSON with status 200, a Response is returned as built, and an
unmatched path still passes the middleware before the not-found handler.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

Handler = TypeVar("Handler", bound=Callable[..., Any])
# A path parameter matches one segment's characters (RFC 3986 unreserved and sub-delims, as Powertools).
_PARAMETER = re.compile(r"<(\w+)>")
_SEGMENT = r"[-._~()'!*:@,;=+&$%<> \[\]{}|^\w]+"


class Response:
    """An HTTP response: status, body (a str, or a value serialized as JSON) and headers."""

    def __init__(
        self,
        status_code: int,
        content_type: str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.body = body
        self.headers: dict[str, str] = dict(headers) if headers else {}
        if content_type:
            self.headers.setdefault("Content-Type", content_type)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):  # DynamoDB numbers, as Powertools' encoder writes them
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def to_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=_json_default)


@dataclass(frozen=True)
class HttpRequest:
    """The parts of an API Gateway HTTP API (payload 2.0) event the handlers read."""

    event: Mapping[str, Any]
    headers: Mapping[str, str] = field(init=False)

    def __post_init__(self) -> None:  # headers are matched by lower-case name
        headers = {name.lower(): value for name, value in (self.event.get("headers") or {}).items()}
        object.__setattr__(self, "headers", headers)

    @property
    def method(self) -> str:
        return str(self.event["requestContext"]["http"]["method"]).upper()

    @property
    def path(self) -> str:
        """The path without the stage, when the stage is not ``$default``."""
        raw_path = str(self.event.get("rawPath") or "/")
        stage = self.event.get("requestContext", {}).get("stage", "$default")
        return raw_path if stage == "$default" else raw_path[len("/" + stage) :]

    @property
    def raw_path(self) -> str:
        """The path as the client sent it (with the stage, when it is not ``$default``)."""
        return str(self.event.get("rawPath") or "/")

    @property
    def route_key(self) -> str | None:
        return self.event.get("routeKey")

    @property
    def authorizer_context(self) -> dict[str, Any]:
        authorizer = self.event.get("requestContext", {}).get("authorizer") or {}
        return authorizer.get("lambda") or {}

    @property
    def query_string_parameters(self) -> dict[str, str] | None:
        return self.event.get("queryStringParameters")

    @property
    def body(self) -> str | None:
        return self.event.get("body")

    @property
    def is_base64_encoded(self) -> bool:
        return bool(self.event.get("isBase64Encoded"))

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class NotFoundError(Exception):
    """No route of the function matches the request's method and path."""


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    function: Callable[..., Any]


Middleware = Callable[["HttpResolver", Callable[["HttpResolver"], Any]], Any]


class HttpResolver:
    """Routes an HTTP API event to the function registered for its method and path."""

    def __init__(self) -> None:
        self._routes: list[_Route] = []
        self._middlewares: list[Middleware] = []
        self._exception_handlers: dict[type[BaseException], Callable[[Any], Response]] = {}
        self.context: dict[str, Any] = {}
        self.current_event: HttpRequest = HttpRequest({})
        self.lambda_context: Any = None

    def route(self, rule: str, method: str) -> Callable[[Handler], Handler]:
        pattern = re.compile("^" + _PARAMETER.sub(lambda name: f"(?P<{name[1]}>{_SEGMENT})", rule) + "$")

        def register(function: Handler) -> Handler:
            self._routes.append(_Route(method.upper(), pattern, function))
            return function

        return register

    def get(self, rule: str) -> Callable[[Handler], Handler]:
        return self.route(rule, "GET")

    def post(self, rule: str) -> Callable[[Handler], Handler]:
        return self.route(rule, "POST")

    def put(self, rule: str) -> Callable[[Handler], Handler]:
        return self.route(rule, "PUT")

    def patch(self, rule: str) -> Callable[[Handler], Handler]:
        return self.route(rule, "PATCH")

    def delete(self, rule: str) -> Callable[[Handler], Handler]:
        return self.route(rule, "DELETE")

    def use(self, middlewares: list[Middleware]) -> None:
        self._middlewares.extend(middlewares)

    def exception_handler(self, kind: type[BaseException]) -> Callable[[Handler], Handler]:
        def register(function: Handler) -> Handler:
            self._exception_handlers[kind] = function
            return function

        return register

    def not_found(self, function: Handler) -> Handler:
        return self.exception_handler(NotFoundError)(function)

    def append_context(self, **values: Any) -> None:
        self.context.update(values)

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        self.current_event = HttpRequest(event)
        self.lambda_context = context
        try:
            return self._answer(self._call_route())
        finally:
            self.context.clear()

    def _call_route(self) -> Response:
        request = self.current_event
        endpoint = self._not_found
        for route in self._routes:
            match = route.pattern.match(request.path) if route.method == request.method else None
            if match:
                endpoint = _bind(route.function, match.groupdict())
                break
        chain: Callable[[HttpResolver], Any] = lambda _: endpoint()  # noqa: E731
        for middleware in reversed(self._middlewares):
            chain = _bind_middleware(middleware, chain)
        try:
            return _to_response(chain(self))
        except Exception as error:
            handler = self._handler_for(type(error))
            if handler is None:
                raise
            return handler(error)

    def _not_found(self) -> Response:
        handler = self._handler_for(NotFoundError)
        if handler is None:
            return Response(404, "application/json", {"statusCode": 404, "message": "Not found"})
        return handler(NotFoundError())

    def _handler_for(self, kind: type[BaseException]) -> Callable[[Any], Response] | None:
        return next((self._exception_handlers[cls] for cls in kind.__mro__ if cls in self._exception_handlers), None)

    @staticmethod
    def _answer(response: Response) -> dict[str, Any]:
        body = response.body
        if not isinstance(body, str):
            body = to_json(body) if response.headers.get("Content-Type", "").startswith("application/json") else ""
        return {
            "statusCode": response.status_code,
            "body": body,
            "isBase64Encoded": False,
            "headers": response.headers,
            "cookies": [],
        }


def _bind(function: Callable[..., Any], arguments: dict[str, str]) -> Callable[[], Any]:
    return lambda: function(**arguments)


def _bind_middleware(middleware: Middleware, following: Callable[[HttpResolver], Any]) -> Callable[[HttpResolver], Any]:
    return lambda app: middleware(app, following)


def _to_response(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    return Response(200, "application/json", result)
