"""When an outbound call is retried, and how long to wait before the next attempt."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})

# Jitter spreads retries of many clients apart; it needs no unpredictability.
_jitter = random.Random()  # noqa: S311


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts and backoff for one call.

    ``retry_non_idempotent`` lets POST/PATCH be retried after a 5xx or a dropped connection; turn it
    off for calls that create something and carry no idempotency key. A 429 and a connection that
    was never opened are retried regardless: the request was not processed.
    """

    max_attempts: int = 3
    base_delay_seconds: float = 0.5
    max_delay_seconds: float = 8.0
    retry_statuses: frozenset[int] = RETRYABLE_STATUSES
    retry_non_idempotent: bool = True

    def may_resend(self, method: str) -> bool:
        """Whether a request that may have reached the platform can be sent again."""
        return self.retry_non_idempotent or method.upper() in IDEMPOTENT_METHODS

    def retries_status(self, method: str, status: int) -> bool:
        """Whether a response with ``status`` is worth another attempt."""
        if status not in self.retry_statuses:
            return False
        return status == 429 or self.may_resend(method)

    def backoff_seconds(self, attempt: int, uniform: float | None = None) -> float:
        """Full-jitter delay after the ``attempt``-th failure (1-based); ``uniform`` in [0, 1)."""
        ceiling = min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (attempt - 1))
        return ceiling * (_jitter.random() if uniform is None else uniform)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or HTTP-date); None if absent or
    unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)
