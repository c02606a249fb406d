"""Domain errors -> HTTP responses in the API's error format: {"error": ..., "details"?: [...]}."""

from __future__ import annotations

from typing import Any

from connections.domain.errors import (
    Conflict,
    CredentialsUnreadable,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    QuotaExceeded,
    StorageThrottled,
    Unauthenticated,
)
from connections.domain.outbound_errors import OutboundError
from connections.http.routing import Response, to_json

STATUS_BY_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (InvalidInput, 400),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    # Stored credentials this connection cannot read (copied from another one, key gone): the caller
    # repairs it by entering the credentials again, so it is a conflict with the stored state.
    (CredentialsUnreadable, 409),
    (PayloadTooLarge, 413),
    (QuotaExceeded, 429),
    # A platform that failed where the API cannot answer otherwise (sync pages, pushes).
    (OutboundError, 502),
    (StorageThrottled, 503),
)
# Seconds a caller is asked to wait after DynamoDB throttled or failed on its side (botocore already
# retried three times).
THROTTLED_RETRY_AFTER_SECONDS = 2


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON response with the given status."""
    return Response(
        status_code=status,
        content_type="application/json",
        body=to_json(body),
        headers=headers,
    )


def error_body(message: str, details: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": message}
    if details:
        body["details"] = details
    return body


def response_for(error: DomainError) -> Response:
    """The HTTP response for a domain error."""
    status = next((code for kind, code in STATUS_BY_ERROR if isinstance(error, kind)), 500)
    details = [problem.to_dict() for problem in error.details] if isinstance(error, InvalidInput) else None
    headers = {"WWW-Authenticate": 'Bearer realm="connections"'} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": str(THROTTLED_RETRY_AFTER_SECONDS)}
    body = error_body(error.message, details)
    if isinstance(error, QuotaExceeded):  # the published rate-limits page: the limit and when it resets
        body |= error.to_fields()
        headers = {"Retry-After": str(error.retry_after_seconds)}
    return json_response(status, body, headers)
