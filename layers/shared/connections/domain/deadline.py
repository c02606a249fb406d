"""A point in monotonic time by which a piece of work must be finished."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

MonotonicClock = Callable[[], float]


class LambdaContextLike(Protocol):
    """The part of the Lambda context object a deadline needs."""

    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True)
class Deadline:
    """Expiry on a monotonic clock, with the budget it was created with (for messages)."""

    expires_at: float
    budget_seconds: float
    clock: MonotonicClock = field(default=time.monotonic, repr=False, compare=False)

    @classmethod
    def after(cls, seconds: float, *, clock: MonotonicClock = time.monotonic) -> Deadline:
        """A deadline ``seconds`` from now (negative budgets count as zero)."""
        budget = max(0.0, seconds)
        return cls(expires_at=clock() + budget, budget_seconds=budget, clock=clock)

    @classmethod
    def from_lambda_context(
        cls,
        context: LambdaContextLike,
        margin_seconds: float = 1.0,
        cap_seconds: float | None = None,
        *,
        clock: MonotonicClock = time.monotonic,
    ) -> Deadline:
        """The invocation's remaining time less a margin kept for answering, optionally capped."""
        seconds = context.get_remaining_time_in_millis() / 1000.0 - margin_seconds
        if cap_seconds is not None:
            seconds = min(seconds, cap_seconds)
        return cls.after(seconds, clock=clock)

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.expires_at - self.clock())

    @property
    def expired(self) -> bool:
        """True once no time is left."""
        return self.remaining() <= 0.0

    def child(self, cap_seconds: float) -> Deadline:
        """A deadline that ends after ``cap_seconds`` or with this one, whichever comes first."""
        return Deadline.after(min(cap_seconds, self.remaining()), clock=self.clock)
