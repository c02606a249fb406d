"""Storage of the topic library, with uniqueness of names and external ids enforced by the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from connections.domain.topic import Topic, TopicDraft, TopicListing, TopicQuery, TopicSource


class IngestKind(StrEnum):
    INSERTED = "inserted"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class IngestOutcome:
    kind: IngestKind
    topic_id: str


class TopicRepository(Protocol):
    def ingest(
        self,
        org_id: str,
        source: TopicSource,
        connection_id: str | None,
        drafts: Sequence[TopicDraft],
        writer: str,
        now: str,
        enrich_duplicates: bool = True,
    ) -> list[IngestOutcome]:
        """Insert each draft as a new topic, or enrich the existing topic it duplicates.

        A draft duplicates a topic with the same external id from the same connection, or the same
        normalised name in the organisation. Drafts must be unique among themselves. ``writer``
        names the unit of work (a run's page): when a retry finds topics that the same writer
        inserted before it crashed, they count as inserted again, not as duplicates. With
        ``enrich_duplicates`` False, existing topics are left untouched.
        """
        ...

    def list_for_org(self, org_id: str) -> list[Topic]:
        """Every topic of the organisation, oldest first (reads the whole library: tests and tools only)."""
        ...

    def list_page(self, org_id: str, query: TopicQuery) -> TopicListing:
        """One page of the organisation's topics, newest first (by id: ids sort by creation time).

        Reads about ``query.skip + query.limit`` items, never the library: a filter the store has no
        index for examines a bounded number of topics and may answer a short page with a
        ``next_after`` to go on from."""
        ...

    def get_many(self, org_id: str, topic_ids: Sequence[str]) -> dict[str, Topic]:
        """The topics that exist among ``topic_ids``."""
        ...
