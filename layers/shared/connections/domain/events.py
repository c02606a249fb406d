"""What the service tells an organisation about: the events its webhook endpoints receive.

An event carries ids, counts and timestamps only, never credentials or platform answers. Its ``id``
is the Standard Webhooks ``webhook-id``: every delivery of one event carries the same id, so a
receiver that sees it twice can drop the second."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from connections.domain.clock import utc_now
from connections.domain.identifiers import EVENT_PREFIX, new_id


class EventType(StrEnum):
    SYNC_COMPLETED = "sync.completed"
    SYNC_FAILED = "sync.failed"
    PUSH_COMPLETED = "push.completed"
    PUSH_FAILED = "push.failed"
    CONNECTION_HEALTH_CHANGED = "connection.health_changed"


@dataclass(frozen=True)
class OrgEvent:
    org_id: str
    type: EventType
    data: dict[str, Any]
    id: str = field(default_factory=lambda: new_id(EVENT_PREFIX))
    timestamp: str = field(default_factory=utc_now)

    def to_payload(self) -> dict[str, Any]:
        """The JSON body a receiver gets, in the Standard Webhooks payload shape."""
        return {"type": self.type.value, "timestamp": self.timestamp, "data": self.data}


class DiscardedEvents:
    """The publisher where no delivery is configured: events go nowhere."""

    def publish(self, event: OrgEvent) -> None:
        return None
