"""Where the service hands events for delivery to the organisation's webhook endpoints (SQS in AWS)."""

from __future__ import annotations

from typing import Protocol

from connections.domain.events import OrgEvent


class EventPublisher(Protocol):
    def publish(self, event: OrgEvent) -> None:
        """Queue ``event`` for delivery; never delivers inline. A publish that fails must not undo the
        work the event reports: callers publish after their writes and only log a failure."""
        ...
