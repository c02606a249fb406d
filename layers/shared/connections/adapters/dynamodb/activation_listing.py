"""GET /api/activations on DynamoDB: one page of an organisation's activations, never all of them.

Activations are listed newest first by id (a ULID: creation order) from one of three GSIs, each
sharded over ``ACTIVATION_SHARDS`` partitions by the activation's id and merged by
sharded_listing.read_newest_first:

- ``ActivationsByConnection`` with connectionId (status, when given too, is a filter on it);
- ``ActivationsByStatus`` with status alone;
- ``ActivationsByOrg`` otherwise.

platform (fixed per connection, and an organisation has at most 20) and ``pushed_only`` (what a stale
listing needs: only pushed activations can be stale) are a FilterExpression on the same read, which
then examines at most the query's budget and answers what it found with a position to go on from.
The indexes project whole activations, so a page is answered from the index alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connections.adapters.dynamodb.keys import (
    ACTIVATION_LIST_SORT_KEY,
    ACTIVATION_SHARDS,
    ACTIVATIONS_BY_CONNECTION_INDEX,
    ACTIVATIONS_BY_CONNECTION_KEY,
    ACTIVATIONS_BY_ORG_INDEX,
    ACTIVATIONS_BY_ORG_KEY,
    ACTIVATIONS_BY_STATUS_INDEX,
    ACTIVATIONS_BY_STATUS_KEY,
    connection_activations_partition,
    org_activations_partition,
    status_activations_partition,
)
from connections.adapters.dynamodb.sharded_listing import read_newest_first
from connections.domain.activation import ActivationQuery
from connections.domain.identifiers import ACTIVATION_PREFIX


@dataclass(frozen=True)
class RawActivationPage:
    items: list[dict[str, Any]]  # activation items, newest first
    next_after: str | None  # the activation id the next page starts below
    examined: int  # index entries read to find the page


def _index(org_id: str, query: ActivationQuery) -> tuple[str, str, list[str]]:
    shards = range(ACTIVATION_SHARDS)
    if query.connection_id is not None:
        partitions = [connection_activations_partition(org_id, query.connection_id, shard) for shard in shards]
        return ACTIVATIONS_BY_CONNECTION_INDEX, ACTIVATIONS_BY_CONNECTION_KEY, partitions
    if query.status is not None:
        partitions = [status_activations_partition(org_id, query.status.value, shard) for shard in shards]
        return ACTIVATIONS_BY_STATUS_INDEX, ACTIVATIONS_BY_STATUS_KEY, partitions
    return ACTIVATIONS_BY_ORG_INDEX, ACTIVATIONS_BY_ORG_KEY, [org_activations_partition(org_id, s) for s in shards]


def _filter(query: ActivationQuery) -> tuple[list[str], dict[str, str], dict[str, Any]]:
    conditions: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    if query.connection_id is not None and query.status is not None:
        conditions.append("#status = :status")
        names["#status"] = "status"
        values[":status"] = {"S": query.status.value}
    if query.platform is not None:
        conditions.append("#platform = :platform")
        names["#platform"] = "platform"
        values[":platform"] = {"S": query.platform}
    if query.pushed_only:
        conditions.append("attribute_exists(pushedName)")
    return conditions, names, values


def read_activation_page(client: Any, table: str, org_id: str, query: ActivationQuery) -> RawActivationPage:
    """One page of the organisation's activations for ``query`` (see the module's docstring)."""
    index, key, partitions = _index(org_id, query)
    conditions, names, values = _filter(query)
    base: dict[str, Any] = {
        "TableName": table,
        "IndexName": index,
        "KeyConditionExpression": "#pk = :pk AND #sort BETWEEN :low AND :high",
        "ExpressionAttributeNames": names | {"#pk": key, "#sort": ACTIVATION_LIST_SORT_KEY},
    }
    if conditions:
        base["FilterExpression"] = " AND ".join(conditions)
    requests = [base | {"ExpressionAttributeValues": values | {":pk": {"S": partition}}} for partition in partitions]
    merged = read_newest_first(
        client,
        requests,
        wanted=query.skip + query.limit,
        budget=query.budget if conditions else None,
        after=query.after,
        sort_prefix=ACTIVATION_PREFIX,
        sort_key=ACTIVATION_LIST_SORT_KEY,
    )
    return RawActivationPage(merged.items[query.skip :], merged.resume_after, merged.examined)
