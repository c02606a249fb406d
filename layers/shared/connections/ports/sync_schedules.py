"""Where a connection's sync schedule is kept (EventBridge Scheduler in AWS): one schedule per connection."""

from __future__ import annotations

from typing import Protocol


class SyncSchedules(Protocol):
    def put(self, org_id: str, connection_id: str, expression: str, *, exists: bool) -> None:
        """Create or replace the connection's schedule (idempotent; ``exists`` says which call to try first)."""
        ...

    def remove(self, org_id: str, connection_id: str) -> None:
        """Delete the connection's schedule; a schedule that is already gone is fine."""
        ...
