"""GET/POST /api/topics: what came in from syncs, and topics created by hand (to push)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connections.domain.access import Caller
from connections.domain.classification import ClassifiableItem
from connections.domain.clock import utc_now
from connections.domain.errors import Conflict
from connections.domain.identifiers import TOPIC_PREFIX
from connections.domain.list_cursor import encode_cursor, list_position
from connections.domain.quotas import Meter, Quotas
from connections.domain.topic import Topic, TopicDraft, TopicQuery, TopicSource, normalise_name
from connections.ports.classifier import Classifier
from connections.ports.topic_repository import IngestKind, TopicRepository

if TYPE_CHECKING:  # the routes validate them; the library only reads their fields
    from connections.domain.list_filters import TopicFilters
    from connections.domain.topic_requests import CreateTopicRequest

# How far page numbers reach (topics skipped before the page): beyond it, the listing's nextCursor
# goes on at the cost of one page per request, where a page number would read every topic it skips.
MAX_TOPIC_OFFSET = 1000


@dataclass(frozen=True)
class TopicPage:
    topics: list[Topic]
    page: int
    page_size: int
    total: int | None
    next_cursor: str | None

    def to_response(self) -> dict[str, Any]:
        response: dict[str, Any] = {
            "topics": [topic.to_response() for topic in self.topics],
            "page": self.page,
            "pageSize": self.page_size,
            "nextCursor": self.next_cursor,
        }
        if self.total is not None:
            response["total"] = self.total
        return response


class TopicLibrary:
    def __init__(
        self,
        topics: TopicRepository,
        classifier: Callable[[], Classifier],
        clock: Callable[[], str] = utc_now,
        quotas: Quotas | None = None,
    ) -> None:
        # The classifier is asked for when a topic is created: listing the library never loads it.
        self._topics = topics
        self._classifier = classifier
        self._clock = clock
        self._quotas = quotas  # None: nothing is metered

    def list(self, caller: Caller, filters: TopicFilters) -> TopicPage:
        """The organisation's topics, newest first, filtered and paged (by page number or cursor)."""
        search = normalise_name(filters.search) if filters.search else None
        scope = json.dumps(
            ["topics", caller.org_id, filters.source, filters.connectionId, filters.iabCode, search or None]
        )
        after, skip = list_position(
            filters.cursor,
            filters.page,
            filters.pageSize,
            scope=scope,
            id_prefix=TOPIC_PREFIX,
            noun="topics",
            bounded_by="source, iabCode or search" if filters.source or filters.iabCode or search else None,
            max_offset=MAX_TOPIC_OFFSET,
        )
        query = TopicQuery(
            source=filters.source,
            connection_id=filters.connectionId,
            iab_code=filters.iabCode,
            search=search or None,
            after=after,
            skip=skip,
            limit=filters.pageSize,
        )
        listing = self._topics.list_page(caller.org_id, query)
        next_cursor = encode_cursor(listing.next_after, scope) if listing.next_after is not None else None
        return TopicPage(listing.topics, filters.page, filters.pageSize, listing.total, next_cursor)

    def create(self, caller: Caller, request: CreateTopicRequest) -> Topic:
        """A manual topic, classified on insert (one classification credit, kept when the name is a 409:
        it was classified); a name the library already has is a 409."""
        charge = self._quotas.charge(caller.org_id, Meter.CLASSIFICATIONS, 1) if self._quotas else None
        try:
            return self._create(caller, request)
        except Conflict:
            raise
        except BaseException:
            if self._quotas and charge:  # not classified and stored: a retry pays again, so this one does not
                self._quotas.give_back_or_log(charge)
            raise

    def _create(self, caller: Caller, request: CreateTopicRequest) -> Topic:
        classification = self._classifier().classify(
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
