"""Domain errors. The HTTP layer maps each one to a status code in one place (http/error_mapping.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field: a dotted path (``config.base_url``) and what is wrong with it."""

    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class DomainError(Exception):
    """Base of every error a caller may see; its message must be safe to show (no secrets)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """The request is malformed or breaks a validation rule (400)."""

    def __init__(self, message: str, details: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


class PayloadTooLarge(DomainError):
    """The request body is larger than the API accepts (413)."""


class Unauthenticated(DomainError):
    """No credentials, or credentials that are not valid (401)."""


class Forbidden(DomainError):
    """Valid credentials without the right to do this (403)."""


class NotFound(DomainError):
    """Unknown id, or an id that belongs to another organisation (404)."""


class Conflict(DomainError):
    """The request conflicts with the current state (409)."""


class ConnectionLimitReached(Conflict):
    """The organisation already has the maximum number of connections."""


class ConcurrentModification(Conflict):
    """The record changed between read and write; the caller may retry."""


class CredentialsUnreadable(DomainError):
    """Stored credentials could not be decrypted for this connection: copied from another record, or
    their key is gone (409). Entering the credentials again (PATCH) repairs it; never shown in detail."""

    def __init__(self, message: str = "Stored credentials could not be read; enter the credentials again") -> None:
        super().__init__(message)


class StorageThrottled(DomainError):
    """DynamoDB throttled the request after its own retries (503 with Retry-After); nothing is wrong
    with the request, and the same call a moment later may succeed."""


class StorageUnavailable(StorageThrottled):
    """DynamoDB failed on its side (InternalServerError, ServiceUnavailable, a dropped connection) after
    its own retries. Handled as a throttle: 503 with Retry-After, work released without an attempt."""


class SyncAlreadyRunning(Conflict):
    """The connection already has a running sync; carries its run id."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"A sync is already running for this connection: {run_id}")
        self.run_id = run_id


class PushAlreadyRunning(Conflict):
    """The connection already has a running push; carries its run id."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"A push is already running for this connection: {run_id}")
        self.run_id = run_id


class QuotaExceeded(DomainError):
    """A monthly quota of the organisation's plan is used up, or too little of it is left for the work
    asked for (429 with ``limit``, ``used``, ``resetAt`` and ``Retry-After``; domain/quotas.py).
    Not a Conflict: nothing about the run is wrong, and waiting (or a bigger plan) is the remedy."""

    def __init__(self, message: str, *, limit: int, used: int, reset_at: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.limit = limit
        self.used = used
        self.reset_at = reset_at
        self.retry_after_seconds = retry_after_seconds

    def to_fields(self) -> dict[str, object]:
        """The published fields a 429 answer carries beside ``error``."""
        return {"limit": self.limit, "used": self.used, "resetAt": self.reset_at}
