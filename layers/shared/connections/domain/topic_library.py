"""GET/POST /api/topics: what came in from syncs, and topics created by hand (to push)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connections.domain.access import Caller
from connections.domain.classification import ClassifiableItem
from connections.domain.clock import utc_now
from connections.domain.errors import Conflict
from connections.domain.topic import Topic, TopicDraft, TopicSource, normalise_name
from connections.ports.classifier import Classifier
from connections.ports.topic_repository import IngestKind, TopicRepository

if TYPE_CHECKING:  # the routes validate them; the library only reads their fields
    from connections.domain.topic_requests import CreateTopicRequest, TopicFilters


@dataclass(frozen=True)
class TopicPage:
    topics: list[Topic]
    page: int
    page_size: int
    total: int

    def to_response(self) -> dict[str, Any]:
        return {
            "topics": [topic.to_response() for topic in self.topics],
            "page": self.page,
            "pageSize": self.page_size,
            "total": self.total,
        }


class TopicLibrary:
    def __init__(self, topics: TopicRepository, classifier: Classifier, clock: Callable[[], str] = utc_now) -> None:
        self._topics = topics
        self._classifier = classifier
        self._clock = clock

    def list(self, caller: Caller, filters: TopicFilters) -> TopicPage:
        """The organisation's topics, newest first, filtered and paged."""
        search = normalise_name(filters.search) if filters.search else None
        matching = [
            topic
            for topic in self._topics.list_for_org(caller.org_id)
            if (filters.source is None or topic.source is filters.source)
            and (filters.connectionId is None or topic.connection_id == filters.connectionId)
            and (filters.iabCode is None or (topic.classification and topic.classification.iab_code == filters.iabCode))
            and (search is None or search in normalise_name(topic.name))
        ]
        matching.sort(key=lambda topic: (topic.created_at, topic.id), reverse=True)
        start = (filters.page - 1) * filters.pageSize
        return TopicPage(matching[start : start + filters.pageSize], filters.page, filters.pageSize, len(matching))

    def create(self, caller: Caller, request: CreateTopicRequest) -> Topic:
        """A manual topic, classified on insert; a name the library already has is a 409."""
        classification = self._classifier.classify(
            ClassifiableItem(
                name=request.topic_name,
                description=request.description,
                keywords=tuple(request.keywords),
                category=request.category,
                taxonomy_path=request.taxonomy_path,
            ).within_budget()  # classified from as much text as a synced topic is
        )
        draft = TopicDraft(
            name=request.topic_name,
            description=request.description,
            keywords=tuple(request.keywords),
            category=request.category,
            taxonomy_path=request.taxonomy_path,
            audience_size=request.audience_size,
            cpm=request.cpm,
            classification=classification,
        )
        writer = f"manual#{uuid.uuid4().hex}"  # each request its own writer: a repeated name is always a 409
        [outcome] = self._topics.ingest(
            caller.org_id, TopicSource.MANUAL, None, [draft], writer, self._clock(), enrich_duplicates=False
        )
        if outcome.kind is IngestKind.DUPLICATE:
            raise Conflict(f"A topic with this name already exists: {outcome.topic_id}")
        return self._topics.get_many(caller.org_id, [outcome.topic_id])[outcome.topic_id]
