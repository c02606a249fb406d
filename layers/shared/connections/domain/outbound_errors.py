"""Errors of calls to external platforms.

Every message is safe to show a user: it names at most a host, never a query string, a header, a
credential or a response body.
"""

from __future__ import annotations

from connections.domain.errors import DomainError


class OutboundError(DomainError):
    """Base of every failure of an outbound call."""


class TargetNotAllowed(OutboundError):
    """The URL or an address it resolves to may not be contacted."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Target address is not allowed: {reason}")
        self.reason = reason

    @classmethod
    def private_address(cls, host: str) -> TargetNotAllowed:
        """``host`` is, or resolves to, a non-public address."""
        return cls(f"{host} resolves to a private or reserved address")


class DeadlineExceeded(OutboundError):
    """The call did not finish within its deadline."""

    def __init__(self, budget_seconds: float) -> None:
        seconds = max(1, round(budget_seconds))
        super().__init__(f"Connection timed out after {seconds} seconds")
        self.budget_seconds = budget_seconds


class ResponseTooLarge(OutboundError):
    """The response body is larger than the caller accepts."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"Response is larger than the limit of {max_bytes} bytes")
        self.max_bytes = max_bytes


class UpstreamStatusError(OutboundError):
    """The platform answered with an error status.

    ``platform_message`` is the user-facing text (adapters word it per platform); ``body`` keeps the
    raw response body for adapters to read details from and is never part of the message.
    """

    def __init__(
        self,
        status: int,
        platform_message: str | None = None,
        *,
        retry_after_seconds: float | None = None,
        body: bytes = b"",
    ) -> None:
        super().__init__(platform_message or f"Platform returned HTTP {status}")
        self.status = status
        self.retry_after_seconds = retry_after_seconds
        self.body = body


class MalformedResponse(OutboundError):
    """The platform's response could not be understood."""

    def __init__(self, message: str = "Platform returned a malformed response") -> None:
        super().__init__(message)


class UpstreamUnavailable(OutboundError):
    """The platform could not be reached: DNS failure, refused or dropped connection, TLS failure."""


class TooManyRedirects(OutboundError):
    """The platform redirected more times than allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"Platform redirected more than {limit} times")
        self.limit = limit


class UndocumentedOperation(OutboundError):
    """The platform documents no way to do this; nothing was sent (the message says where to do it)."""
