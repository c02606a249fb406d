"""What the services need from an external platform: a source of segments to pull, and a destination
to push segments to. One adapter per platform implements them (adapters/platforms/)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from connections.domain.deadline import Deadline


@dataclass(frozen=True)
class FetchedPage:
    """One page of raw external items, and the total the platform reported (None when it gives none)."""

    items: list[Any]
    total: int | None = None


@dataclass(frozen=True)
class SegmentSpec:
    """A segment as it will be created or updated on a platform."""

    external_id: str  # our topic id; platforms that take a provider-side id get this
    name: str
    description: str = ""
    cpm: float | None = None
    currency: str = "USD"
    taxonomy_path: tuple[str, ...] = ()
    data_source_location: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PushedSegment:
    """The platform's id for a segment it accepted."""

    platform_segment_id: str


class SegmentSource(Protocol):
    """Pulls audience segments page by page (inbound connections)."""

    def fetch_page(self, page_index: int, page_size: int, deadline: Deadline) -> FetchedPage:
        """Page ``page_index`` (0-based; the adapter applies first_page/offset conventions)."""
        ...

    def count_items(self, deadline: Deadline) -> int | None:
        """The total the platform reports (its count endpoint, or a probe page); None when it gives none."""
        ...


class SegmentDestination(Protocol):
    """Receives segments (outbound connections)."""

    display_name: str

    def test(self, deadline: Deadline) -> str:
        """Prove the credentials work with one cheap authorised call; returns a message for the user."""
        ...

    def create_segment(self, segment: SegmentSpec, deadline: Deadline) -> PushedSegment: ...

    def update_segment(self, platform_segment_id: str, segment: SegmentSpec, deadline: Deadline) -> PushedSegment: ...

    def deactivate_segment(self, platform_segment_id: str, deadline: Deadline) -> None: ...


class PlatformClients(Protocol):
    """Builds the source and destination of one connection from its config and decrypted credentials."""

    def source(self, platform: str, config: dict[str, Any], credentials: dict[str, str]) -> SegmentSource: ...

    def destination(
        self, platform: str, config: dict[str, Any], credentials: dict[str, str], connection_id: str
    ) -> SegmentDestination: ...
