"""The one place every function's HTTP resolver is built: authentication from the authorizer context,
the route access table, error mapping and logging keys. Handlers only add their route."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from connections.domain.access import Caller
from connections.domain.errors import DomainError, Forbidden
from connections.http.caller_context import caller_from_context
from connections.http.cross_site_requests import check_cross_site_request
from connections.http.error_mapping import error_body, json_response, response_for
from connections.http.request_parsing import parse_body, parse_query, raw_body
from connections.http.route_access import ROUTE_ACCESS
from connections.http.routing import HttpResolver, Response
from connections.observability import logger, metrics, tracer
from connections.settings import require_settings, settings

if TYPE_CHECKING:  # pydantic loads with the first request model a route validates, not at init
    from pydantic import BaseModel

ModelT = TypeVar("ModelT", bound="BaseModel")

_CALLER = "caller"


def _authenticate_and_authorize(app: HttpResolver, next_middleware: Callable[[HttpResolver], Any]) -> Any:
    event = app.current_event
    caller = caller_from_context(event.authorizer_context)
    logger.append_keys(org_id=caller.org_id, auth_type=caller.auth_type.value)
    check_cross_site_request(event.method, event.headers, caller.credential_source, settings().allowed_origins or ())
    access = ROUTE_ACCESS.get(event.route_key or "")
    if access is None:  # every deployed route must be in the table; refusing is the safe default
        raise Forbidden("Route is not open to callers")
    access.check(caller)
    app.append_context(**{_CALLER: caller})
    return next_middleware(app)


# What every API function reads: its table, and the origins of the CSRF rule.
API_SETTINGS = ("TABLE_NAME", "ALLOWED_ORIGINS")


def build_resolver(*required_settings: str) -> HttpResolver:
    """A resolver with the shared middleware and error handlers, built at init once the function's
    settings (API_SETTINGS and ``required_settings``) are checked to be set."""
    require_settings(*API_SETTINGS, *required_settings)
    app = HttpResolver()
    app.use(middlewares=[_authenticate_and_authorize])

    @app.exception_handler(DomainError)
    def handle_domain_error(error: DomainError) -> Response:
        response = response_for(error)
        logger.info("Request refused", extra={"status": response.status_code, "reason": type(error).__name__})
        return response

    @app.exception_handler(Exception)
    def handle_unexpected(error: Exception) -> Response:
        # Exceptions may carry request data: log the type and traceback, answer without details.
        logger.exception("Unhandled error", extra={"error_type": type(error).__name__})
        return json_response(500, error_body("Internal server error"))

    @app.not_found
    def handle_not_found(_: Exception) -> Response:
        return json_response(404, error_body("Route not found"))

    return app


def current_caller(app: HttpResolver) -> Caller:
    """The authenticated caller of the current request (set by the shared middleware)."""
    caller = app.context.get(_CALLER)
    assert isinstance(caller, Caller), "route ran without the shared middleware"
    return caller


def request_body(app: HttpResolver, model: type[ModelT]) -> ModelT:
    """The current request's JSON body validated against ``model``."""
    event = app.current_event
    return parse_body(model, raw_body(event.body, event.is_base64_encoded))


def optional_request_body(app: HttpResolver, model: type[ModelT]) -> ModelT:
    """Like request_body, but an empty body means the model's defaults."""
    event = app.current_event
    data = raw_body(event.body, event.is_base64_encoded)
    return parse_body(model, data) if data.strip() else model()


def query_parameters(app: HttpResolver, model: type[ModelT]) -> ModelT:
    """The current request's query string validated against ``model``."""
    return parse_query(model, app.current_event.query_string_parameters)


def header(app: HttpResolver, name: str) -> str | None:
    """A request header by case-insensitive name."""
    return app.current_event.header(name)


def api_handler(app: HttpResolver) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda entry point for a resolver: logging context, tracing and metrics around ``resolve``."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
    @tracer.capture_lambda_handler
    @metrics.log_metrics(capture_cold_start_metric=True)
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    return lambda_handler
