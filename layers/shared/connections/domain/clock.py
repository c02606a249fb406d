"""Time for the services: API timestamps (UTC ISO 8601 with milliseconds and a Z suffix) for records,
epoch seconds for leases, both read from one clock so a test that moves it moves both."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


def format_timestamp(moment: datetime) -> str:
    """``2026-02-25T10:00:00.000Z`` for an aware datetime."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utc_now() -> str:
    """The current time as an API timestamp."""
    return format_timestamp(datetime.now(UTC))


class Clock(Protocol):
    def epoch(self) -> float:
        """Now in epoch seconds (leases)."""
        ...

    def timestamp(self) -> str:
        """Now as an API timestamp (records)."""
        ...


class SystemClock:
    """The machine's clock."""

    def epoch(self) -> float:
        """Now in epoch seconds."""
        return time.time()

    def timestamp(self) -> str:
        """Now as an API timestamp."""
        return utc_now()


SYSTEM_CLOCK: Clock = SystemClock()
