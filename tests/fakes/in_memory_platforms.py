"""In-memory SegmentSource, SegmentDestination and PlatformClients, for the services' unit tests.

Platform behaviour itself (tokens, 429s, paging conventions) is tested against the HTTP fakes in
``platforms.py``; these only hand the services items and take their segments, and say what was asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from connections.domain.deadline import Deadline
from connections.ports.platforms import FetchedPage, PushedSegment, SegmentSpec

if TYPE_CHECKING:
    from connections.ports.platforms import PlatformClients, SegmentDestination, SegmentSource


class ScriptedSource:
    """Serves ``items`` page by page; ``failures`` queues exceptions to raise for a page index (0-based)."""

    def __init__(self, items: Sequence[Any], *, report_total: bool = True) -> None:
        self.items = list(items)
        self.report_total = report_total
        self.failures: dict[int, list[Exception]] = {}
        self.fetches: list[tuple[int, int]] = []  # (page index, page size) of each call

    def fail(self, page_index: int, *failures: Exception) -> None:
        self.failures.setdefault(page_index, []).extend(failures)

    def fetch_page(self, page_index: int, page_size: int, deadline: Deadline) -> FetchedPage:
        self.fetches.append((page_index, page_size))
        queued = self.failures.get(page_index)
        if queued:
            raise queued.pop(0)
        start = page_index * page_size
        total = len(self.items) if self.report_total else None
        return FetchedPage(self.items[start : start + page_size], total)

    def count_items(self, deadline: Deadline) -> int | None:
        return self.fetch_page(0, 1, deadline).total


class RecordingDestination:
    """Accepts every segment (ids ``seg_1``, ``seg_2``...) unless ``failures`` queues an exception for
    its external id (our topic id)."""

    def __init__(self, display_name: str = "Test platform") -> None:
        self.display_name = display_name
        self.created: list[SegmentSpec] = []
        self.updated: list[tuple[str, SegmentSpec]] = []
        self.deactivated: list[str] = []
        self.failures: dict[str, list[Exception]] = {}

    def fail(self, external_id: str, *failures: Exception) -> None:
        self.failures.setdefault(external_id, []).extend(failures)

    def test(self, deadline: Deadline) -> str:
        return f"Connected to {self.display_name}"

    def create_segment(self, segment: SegmentSpec, deadline: Deadline) -> PushedSegment:
        self._raise_queued(segment.external_id)
        self.created.append(segment)
        return PushedSegment(f"seg_{len(self.created)}")

    def update_segment(self, platform_segment_id: str, segment: SegmentSpec, deadline: Deadline) -> PushedSegment:
        self._raise_queued(segment.external_id)
        self.updated.append((platform_segment_id, segment))
        return PushedSegment(platform_segment_id)

    def deactivate_segment(self, platform_segment_id: str, deadline: Deadline) -> None:
        self.deactivated.append(platform_segment_id)

    @property
    def pushed_ids(self) -> list[str]:
        """The external ids of every segment created or updated, in order."""
        return [spec.external_id for spec in self.created] + [spec.external_id for _, spec in self.updated]

    def _raise_queued(self, external_id: str) -> None:
        queued = self.failures.get(external_id)
        if queued:
            raise queued.pop(0)


class InMemoryPlatformClients:
    """Hands out one source and one destination for every connection, noting the credentials given."""

    def __init__(self, source: ScriptedSource | None = None, destination: RecordingDestination | None = None) -> None:
        self.source_ = source or ScriptedSource([])
        self.destination_ = destination or RecordingDestination()
        self.credentials_seen: list[dict[str, str]] = []

    def source(self, platform: str, config: dict[str, Any], credentials: dict[str, str]) -> SegmentSource:
        self.credentials_seen.append(credentials)
        return self.source_

    def destination(
        self, platform: str, config: dict[str, Any], credentials: dict[str, str], connection_id: str
    ) -> SegmentDestination:
        self.credentials_seen.append(credentials)
        return self.destination_


if TYPE_CHECKING:
    _source: SegmentSource = ScriptedSource([])
    _destination: SegmentDestination = RecordingDestination()
    _clients: PlatformClients = InMemoryPlatformClients()
