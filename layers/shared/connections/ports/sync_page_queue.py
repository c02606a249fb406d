"""The queue that fans the pages of a scheduled sync run out to the page workers (SQS in AWS)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from connections.domain.sync_page_message import SyncPageMessage


class SyncPageQueue(Protocol):
    def enqueue(self, messages: Sequence[SyncPageMessage]) -> None:
        """Send every message (one per page), or raise; sending one twice is harmless."""
        ...
