"""A clock that moves only when a test moves it, for the in-memory stores' leases and the services'
timestamps, so lease expiry is tested by moving time instead of waiting for it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from connections.domain.clock import format_timestamp


class ManualClock:
    """Epoch seconds (leases) and API timestamps (records) from one settable instant: the services'
    ``Clock`` and the in-memory stores' lease clock at once. It starts at the real time, so records
    look like today's.
    """

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start

    def epoch(self) -> float:
        return self._now

    def timestamp(self) -> str:
        return format_timestamp(datetime.fromtimestamp(self._now, UTC))

    def advance(self, seconds: float) -> None:
        self._now += seconds
