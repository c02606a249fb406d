"""In-memory SyncPageQueue and SyncSchedules: what was queued or scheduled, for a test to read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from connections.domain.sync_page_message import SyncPageMessage

if TYPE_CHECKING:
    from connections.ports.sync_page_queue import SyncPageQueue
    from connections.ports.sync_schedules import SyncSchedules


class RecordingPageQueue:
    def __init__(self) -> None:
        self.messages: list[SyncPageMessage] = []

    def enqueue(self, messages: Sequence[SyncPageMessage]) -> None:
        self.messages.extend(messages)


class InMemorySchedules:
    """One schedule per connection; removing one that is gone is fine, as with EventBridge Scheduler."""

    def __init__(self) -> None:
        self.expressions: dict[tuple[str, str], str] = {}
        self.calls: list[tuple[str, str]] = []  # ("put" | "remove", connection id)

    def put(self, org_id: str, connection_id: str, expression: str, *, exists: bool) -> None:
        self.calls.append(("put", connection_id))
        self.expressions[(org_id, connection_id)] = expression

    def remove(self, org_id: str, connection_id: str) -> None:
        self.calls.append(("remove", connection_id))
        self.expressions.pop((org_id, connection_id), None)


if TYPE_CHECKING:
    _queue: SyncPageQueue = RecordingPageQueue()
    _schedules: SyncSchedules = InMemorySchedules()
