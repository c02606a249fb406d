"""An in-memory TopicRepository keeping the rules of ``DynamoTopicRepository``: a topic is unique by
external id per connection and by normalised name per organisation; a draft that matches an existing
topic is a duplicate that fills the fields the topic lacks; and a writer (a run's page) that retries
finds its own earlier inserts counted as inserted again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connections.domain.identifiers import TOPIC_PREFIX, new_id
from connections.domain.topic import Topic, TopicDraft, TopicListing, TopicQuery, TopicSource, normalise_name
from connections.ports.topic_repository import IngestKind, IngestOutcome

if TYPE_CHECKING:
    from connections.ports.topic_repository import TopicRepository

# The adapter's key items: ("name", org, normalised name) and ("ext", org, connection, external id).
_Key = tuple[str, ...]


@dataclass(frozen=True)
class _KeyItem:
    topic_id: str
    inserted_by: str


def _name_key(org_id: str, draft: TopicDraft) -> _Key:
    return ("name", org_id, draft.normalised_name)


def _external_key(org_id: str, connection_id: str | None, draft: TopicDraft) -> _Key | None:
    if not connection_id or not draft.external_id:
        return None
    return ("ext", org_id, connection_id, draft.external_id)


def _fills(draft: TopicDraft) -> dict[str, Any]:
    """The fields a draft brings (the adapter's _draft_values): set on a topic that lacks them."""
    values = {
        "description": draft.description,
        "keywords": draft.keywords or None,
        "category": draft.category,
        "taxonomy_path": draft.taxonomy_path,
        "audience_size": int(draft.audience_size) if draft.audience_size is not None else None,
        "cpm": draft.cpm,
        "classification": draft.classification,
    }
    return {name: value for name, value in values.items() if value is not None}


class InMemoryTopics:
    def __init__(self) -> None:
        self._topics: dict[tuple[str, str], Topic] = {}
        self._keys: dict[_Key, _KeyItem] = {}
        self.ingested: list[tuple[str, int]] = []  # (writer, drafts) per ingest call

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
        self.ingested.append((writer, len(drafts)))
        outcomes: list[IngestOutcome] = []
        duplicates: list[tuple[TopicDraft, str, bool]] = []  # draft, topic, external id not yet linked
        for draft in drafts:
            external = _external_key(org_id, connection_id, draft)
            hit = self._keys.get(external) if external else None
            hit = hit or self._keys.get(_name_key(org_id, draft))
            if hit is None:
                topic_id = new_id(TOPIC_PREFIX)
                for key in (_name_key(org_id, draft), external):
                    if key is not None:
                        self._keys[key] = _KeyItem(topic_id, writer)
                self._put(org_id, source, connection_id, draft, topic_id, writer, now)
                outcomes.append(IngestOutcome(IngestKind.INSERTED, topic_id))
            elif hit.inserted_by == writer:
                # This writer's own insert before a crash: inserted again, its topic written if missing.
                if (org_id, hit.topic_id) not in self._topics:
                    self._put(org_id, source, connection_id, draft, hit.topic_id, writer, now)
                outcomes.append(IngestOutcome(IngestKind.INSERTED, hit.topic_id))
            else:
                outcomes.append(IngestOutcome(IngestKind.DUPLICATE, hit.topic_id))
                duplicates.append((draft, hit.topic_id, external is not None and external not in self._keys))
        if enrich_duplicates:
            enriched: set[str] = set()
            for draft, topic_id, unlinked in duplicates:
                if topic_id not in enriched:  # one update per topic, from its first duplicate
                    enriched.add(topic_id)
                    self._enrich(org_id, connection_id, draft, topic_id, now)
                external = _external_key(org_id, connection_id, draft)
                if unlinked and external is not None:
                    # Found by name: its external id is remembered, so a later rename still matches.
                    self._keys.setdefault(external, _KeyItem(topic_id, "enrich"))
        return outcomes

    def list_for_org(self, org_id: str) -> list[Topic]:
        # Sorted by sort key like a query: TOPIC#<ULID>, oldest first.
        return [topic for (org, _), topic in sorted(self._topics.items()) if org == org_id]

    def list_page(self, org_id: str, query: TopicQuery) -> TopicListing:
        # Newest first by id, as the adapter's shards merge; the fake always fills its pages.
        matching = [
            topic
            for topic in reversed(self.list_for_org(org_id))
            if (query.after is None or topic.id < query.after)
            and (query.source is None or topic.source is query.source)
            and (query.connection_id is None or topic.connection_id == query.connection_id)
            and (query.iab_code is None or (topic.classification and topic.classification.iab_code == query.iab_code))
            and (query.search is None or query.search in normalise_name(topic.name))
        ]
        page = matching[query.skip : query.skip + query.limit]
        more = len(matching) > query.skip + query.limit
        total = None if query.filtered else len(self.list_for_org(org_id))
        return TopicListing(page, page[-1].id if more and page else None, total)

    def get_many(self, org_id: str, topic_ids: Sequence[str]) -> dict[str, Topic]:
        return {
            topic_id: self._topics[(org_id, topic_id)]
            for topic_id in dict.fromkeys(topic_ids)
            if (org_id, topic_id) in self._topics
        }

    def _put(
        self,
        org_id: str,
        source: TopicSource,
        connection_id: str | None,
        draft: TopicDraft,
        topic_id: str,
        writer: str,
        now: str,
    ) -> None:
        self._topics[(org_id, topic_id)] = Topic(
            id=topic_id,
            org_id=org_id,
            name=draft.name,
            source=source,
            created_at=now,
            updated_at=now,
            last_seen_at=now,
            connection_id=connection_id,
            external_id=draft.external_id,
            **_fills(draft),
        )

    def _enrich(self, org_id: str, connection_id: str | None, draft: TopicDraft, topic_id: str, now: str) -> None:
        topic = self._topics.get((org_id, topic_id))
        if topic is None:  # its page is mid-flight: the adapter's conditional update skips it
            return
        fills = _fills(draft)
        if connection_id and draft.external_id:
            fills |= {"connection_id": connection_id, "external_id": draft.external_id}
        missing = {name: value for name, value in fills.items() if getattr(topic, name) in (None, ())}
        if missing:  # an unchanged duplicate is not written (nor its lastSeenAt moved), as in the adapter
            self._topics[(org_id, topic_id)] = topic.changed(last_seen_at=now, updated_at=now, **missing)


if TYPE_CHECKING:
    _: TopicRepository = InMemoryTopics()
