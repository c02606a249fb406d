"""GET /api/activations: one page of an organisation's activations, newest first, never all of them.

connectionId and status are indexed (a page reads about its own size); platform, a status within a
connection and stale are bounded filters: a request examines at most ``FILTER_BUDGET`` activations and
answers what it found, possibly a short page, with a ``nextCursor`` to go on. ``stale`` is computed
as before, from the topic and the connection as they are now (a stored flag would have to be rewritten
on every activation of a connection whose template changes, and of a topic a sync enriches), so it is
read over the page's topics only. See docs/STORAGE.md.

The answer is the published bare array; where the next page starts travels as a cursor the HTTP layer
puts in a ``Link: <...>; rel="next"`` header (RFC 8288).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from connections.domain.access import Caller
from connections.domain.activation import Activation, ActivationQuery, CurrentSegment
from connections.domain.connection import Connection
from connections.domain.errors import InvalidInput
from connections.domain.identifiers import ACTIVATION_PREFIX
from connections.domain.list_cursor import encode_cursor, list_position
from connections.domain.segment_naming import segment_description, segment_name
from connections.domain.topic import Topic
from connections.ports.connection_repository import ConnectionRepository
from connections.ports.push_repository import PushRepository
from connections.ports.topic_repository import TopicRepository

if TYPE_CHECKING:
    from connections.domain.list_filters import ActivationFilters

# Activations a request with a bounded filter examines before it answers.
FILTER_BUDGET = 500
# How far page numbers reach (activations skipped before the page): beyond, nextCursor goes on.
MAX_ACTIVATION_OFFSET = 1000


@dataclass(frozen=True)
class ActivationListing:
    """One page of activation records, and the cursor of the next page (None: this is the last)."""

    rows: list[dict[str, Any]]
    next_cursor: str | None


class ActivationList:
    def __init__(self, connections: ConnectionRepository, pushes: PushRepository, topics: TopicRepository) -> None:
        self._connections = connections
        self._pushes = pushes
        self._topics = topics

    def page(self, caller: Caller, filters: ActivationFilters) -> ActivationListing:
        """One page of the caller's activations, filtered, by page number or cursor."""
        scope = json.dumps(
            ["activations", caller.org_id, filters.connectionId, filters.platform, filters.status, filters.stale]
        )
        bounded = filters.platform is not None or filters.stale is not None
        bounded = bounded or (filters.connectionId is not None and filters.status is not None)
        after, skip = list_position(
            filters.cursor,
            filters.page,
            filters.limit,
            scope=scope,
            id_prefix=ACTIVATION_PREFIX,
            noun="activations",
            bounded_by="platform, stale, or connectionId and status together" if bounded else None,
            max_offset=MAX_ACTIVATION_OFFSET,
            follow='the Link header (rel="next")',
        )
        query = ActivationQuery(
            connection_id=filters.connectionId,
            platform=filters.platform,
            status=filters.status,
            pushed_only=filters.stale is True,
            after=after,
            skip=skip,
            limit=filters.limit,
            budget=FILTER_BUDGET,
        )
        connections = {connection.id: connection for connection in self._connections.list_for_org(caller.org_id)}
        rows, next_after = self._rows(caller.org_id, query, filters.stale, connections)
        return ActivationListing(rows, encode_cursor(next_after, scope) if next_after is not None else None)

    def _rows(
        self, org_id: str, query: ActivationQuery, stale: bool | None, connections: dict[str, Connection]
    ) -> tuple[list[dict[str, Any]], str | None]:
        if stale is None:
            listing = self._pushes.list_page(org_id, query)
            return self._respond(org_id, listing.activations, connections), listing.next_after
        rows: list[dict[str, Any]] = []
        examined = 0
        while True:
            listing = self._pushes.list_page(org_id, query)
            examined += listing.examined
            batch = self._respond(org_id, listing.activations, connections)
            for position, row in enumerate(batch):
                if row["stale"] is not stale:
                    continue
                rows.append(row)
                if len(rows) == query.limit:
                    more = position + 1 < len(batch) or listing.next_after is not None
                    return rows, row["id"] if more else None
            if listing.next_after is None or examined >= FILTER_BUDGET:
                return rows, listing.next_after
            query = replace(query, after=listing.next_after, budget=FILTER_BUDGET - examined)

    def _respond(
        self, org_id: str, activations: list[Activation], connections: dict[str, Connection]
    ) -> list[dict[str, Any]]:
        topics = self._topics.get_many(org_id, [activation.topic_id for activation in activations])
        return [_row(activation, topics, connections) for activation in activations]


def current_segment(activation: Activation, topic: Topic | None, connection: Connection | None) -> CurrentSegment:
    """What the activation's topic would be pushed as now: the template the last push asked for, else
    the connection's; nothing when the topic or the connection is gone."""
    if topic is None or connection is None:
        return CurrentSegment()
    template_key = activation.template_key or connection.config.get("template_key")
    try:
        name: str | None = segment_name(topic, connection.platform, template_key)
    except InvalidInput:  # a template key the connection no longer knows
        name = None
    engine = topic.classification.engine_version if topic.classification else None
    return CurrentSegment(name, segment_description(topic, connection.platform), engine)


def _row(activation: Activation, topics: dict[str, Topic], connections: dict[str, Connection]) -> dict[str, Any]:
    current = current_segment(activation, topics.get(activation.topic_id), connections.get(activation.connection_id))
    return activation.to_response(current)
