"""An EventPublisher that keeps what was published, for a test to read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connections.domain.events import EventType, OrgEvent

if TYPE_CHECKING:
    from connections.ports.event_publisher import EventPublisher


class RecordingEvents:
    def __init__(self) -> None:
        self.events: list[OrgEvent] = []

    def publish(self, event: OrgEvent) -> None:
        self.events.append(event)

    def of_type(self, event_type: EventType) -> list[OrgEvent]:
        return [event for event in self.events if event.type is event_type]


if TYPE_CHECKING:
    _events: EventPublisher = RecordingEvents()
