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
from connections.domain.errors import Conflict, FieldProblem, InvalidInput
from connections.domain.identifiers import TOPIC_PREFIX, is_valid_id
from connections.domain.list_cursor import decode_cursor, encode_cursor
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
        self, topics: TopicRepository, classifier: Callable[[], Classifier], clock: Callable[[], str] = utc_now
    ) -> None:
        # The classifier is asked for when a topic is created: listing the library never loads it.
        self._topics = topics
        self._classifier = classifier
        self._clock = clock

    def list(self, caller: Caller, filters: TopicFilters) -> TopicPage:
        """The organisation's topics, newest first, filtered and paged (by page number or cursor)."""
        search = normalise_name(filters.search) if filters.search else None
        scope = json.dumps(
            ["topics", caller.org_id, filters.source, filters.connectionId, filters.iabCode, search or None]
        )
        after = decode_cursor(filters.cursor, scope) if filters.cursor is not None else None
        if after is not None and not is_valid_id(after, TOPIC_PREFIX):
            raise InvalidInput("Invalid cursor", [FieldProblem("cursor", "It is not a cursor this API returned")])
        skip = (filters.page - 1) * filters.pageSize
        if filters.cursor is not None and filters.page != 1:
            raise InvalidInput("Give either page or cursor", [FieldProblem("page", "Not allowed with cursor")])
        if skip and (filters.source or filters.iabCode or search):
            # These filters are read with a bounded scan whose pages can be short: counting pages
            # by number would be wrong, so such listings page by cursor only.
            raise InvalidInput(
                "With source, iabCode or search, follow nextCursor instead of page numbers",
                [FieldProblem("page", "Use cursor with source, iabCode or search")],
            )
        if skip > MAX_TOPIC_OFFSET:
            raise InvalidInput(
                f"Page numbers reach the first {MAX_TOPIC_OFFSET:,} topics; follow nextCursor beyond",
                [FieldProblem("page", f"page x pageSize may skip at most {MAX_TOPIC_OFFSET} topics")],
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
        """A manual topic, classified on insert; a name the library already has is a 409."""
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
