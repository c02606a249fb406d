"""GET /api/topics on DynamoDB: one page of a library read from its shards, never the whole library.

- No filter, or filters without connectionId: the table's topic shards (``ORG#<org>#TOPIC#<n>``,
  sort key ``TOPIC#<id>``), newest first by id.
- connectionId: the sparse GSI TopicsByConnection (partition ``ORG#<org>#CONN#<id>#TOPIC#<n>``,
  same sort key), so the filter costs what an unfiltered page does; the GSI holds the attributes the
  other filters test, and the page's topics are then read from the table.
- source, iabCode and search (a substring of the normalised name, as before) have no index: they are
  a FilterExpression on the read, which examines at most ``FILTER_BUDGET`` topics per request and
  then answers what it found with a position to go on from.
- The total is the sum of the shards' topic counts (``COUNT`` items kept in the insert transactions),
  for unfiltered listings only: a filtered total would cost a read of every matching topic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connections.adapters.dynamodb.item_codec import from_item
from connections.adapters.dynamodb.keys import (
    TOPIC_SHARDS,
    TOPIC_SORT_PREFIX,
    TOPICS_BY_CONNECTION_INDEX,
    TOPICS_BY_CONNECTION_KEY,
    connection_topics_shard,
    topic_count_key,
    topic_key,
    topic_partition,
)
from connections.adapters.dynamodb.sharded_listing import read_newest_first
from connections.adapters.dynamodb.table_client import batch_get
from connections.domain.topic import TopicQuery

# Topics a filtered request may examine before it answers (a short page and a cursor to go on).
FILTER_BUDGET = 500


@dataclass(frozen=True)
class RawTopicPage:
    items: list[dict[str, Any]]  # topic items, newest first
    next_after: str | None  # the topic id the next page starts below
    total: int | None
    examined: int  # items read to find the page (index entries and table items)


def _filter(query: TopicQuery) -> tuple[list[str], dict[str, str], dict[str, Any]]:
    conditions: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    if query.source is not None:
        conditions.append("#source = :source")
        names["#source"] = "source"
        values[":source"] = {"S": query.source.value}
    if query.iab_code is not None:
        conditions.append("#classification.#iabCode = :iab")
        names |= {"#classification": "classification", "#iabCode": "iabCode"}
        values[":iab"] = {"S": query.iab_code}
    if query.search:
        conditions.append("contains(#nameKey, :search)")
        names["#nameKey"] = "nameKey"
        values[":search"] = {"S": query.search}
    return conditions, names, values


def read_topic_page(client: Any, table: str, org_id: str, query: TopicQuery) -> RawTopicPage:
    """One page of the organisation's topics for ``query`` (see the module's docstring)."""
    conditions, names, values = _filter(query)
    base: dict[str, Any] = {"TableName": table, "KeyConditionExpression": "#pk = :pk AND sk BETWEEN :low AND :high"}
    if query.connection_id is not None:
        base["IndexName"] = TOPICS_BY_CONNECTION_INDEX
        names["#pk"] = TOPICS_BY_CONNECTION_KEY
        partitions = [connection_topics_shard(org_id, query.connection_id, shard) for shard in range(TOPIC_SHARDS)]
    else:
        names["#pk"] = "pk"
        partitions = [topic_partition(org_id, shard) for shard in range(TOPIC_SHARDS)]
    if conditions:
        base["FilterExpression"] = " AND ".join(conditions)
    base["ExpressionAttributeNames"] = names
    requests = [base | {"ExpressionAttributeValues": values | {":pk": {"S": partition}}} for partition in partitions]
    after = TOPIC_SORT_PREFIX + query.after if query.after is not None else None
    merged = read_newest_first(
        client,
        requests,
        wanted=query.skip + query.limit,
        budget=FILTER_BUDGET if conditions else None,
        after=after,
        sort_prefix=TOPIC_SORT_PREFIX,
    )
    items = merged.items[query.skip :]
    examined = merged.examined
    if query.connection_id is not None and items:
        # The index holds a few attributes of each topic; the page's topics come from the table.
        ids = [item["sk"]["S"].removeprefix(TOPIC_SORT_PREFIX) for item in items]
        found = {item["sk"]["S"]: item for item in batch_get(client, table, [topic_key(org_id, i) for i in ids])}
        items = [found[item["sk"]["S"]] for item in items if item["sk"]["S"] in found]
        examined += len(found)
    total = None
    if not query.filtered:
        counts = batch_get(client, table, [topic_count_key(org_id, shard) for shard in range(TOPIC_SHARDS)])
        total = sum(int(from_item(item).get("topicCount", 0)) for item in counts)
        examined += len(counts)
    next_after = merged.resume_after.removeprefix(TOPIC_SORT_PREFIX) if merged.resume_after else None
    return RawTopicPage(items, next_after, total, examined)
