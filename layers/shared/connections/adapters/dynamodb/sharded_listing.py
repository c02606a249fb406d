"""Newest-first reads over several partitions at once (the shards of one organisation's topics).

Each shard is read newest first with its own Query (sort key descending); the shards' items are
merged by sort key. An item is handed out only once every other shard has been read past it, so the
merged order is exact, and a shard is read further only while it holds the merge back: a request
reads about its page plus a few items per shard, never the whole library.

A filter (``FilterExpression``) makes DynamoDB skip items it has read; such reads stop after
``budget`` items examined (None for unfiltered reads, which always fill their page), and the caller
gets fewer items than it asked for and a position to go on from (``resume_after``), the way
DynamoDB's own pages with a ``Limit`` work.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

# Read from each shard a share of what is wanted plus this many: a little over its share of the
# page, so that one round of queries is usually enough.
_SHARE_MARGIN = 2


@dataclass
class _Shard:
    request: dict[str, Any]
    after: str | None  # read sort keys strictly below this one (a cursor's position)
    buffer: deque[dict[str, Any]] = field(default_factory=deque)
    start_key: dict[str, Any] | None = None
    exhausted: bool = False
    frontier: str | None = None  # the sort key of the last item this shard's queries examined


@dataclass(frozen=True)
class MergedRead:
    items: list[dict[str, Any]]  # newest first, at most ``wanted``
    resume_after: str | None  # the sort key the next read continues below (None: nothing is left)
    examined: int  # items DynamoDB read (filtered out ones included)


def read_newest_first(
    client: Any,
    requests: list[dict[str, Any]],
    *,
    wanted: int,
    budget: int | None,
    after: str | None = None,
    sort_prefix: str = "",
    sort_key: str = "sk",
) -> MergedRead:
    """The ``wanted`` newest items over the queries in ``requests`` (one per shard), below ``after``.

    Each request is a Query with ``KeyConditionExpression`` ``pk = :pk AND sk BETWEEN :low AND
    :high`` left to fill: ``:low`` is ``sort_prefix`` and ``:high`` the sort key to read below.
    ``sort_key`` names the sort key attribute (an index's may be other than ``sk``)."""
    shards = [_Shard(request, after) for request in requests]
    state = _Merge(client, shards, sort_prefix, sort_key)
    share = math.ceil(wanted / len(shards)) + _SHARE_MARGIN
    for shard in shards:
        state.fetch(shard, share)
    out: list[dict[str, Any]] = []
    while True:
        boundary = state.boundary()
        head = state.newest_head()
        if head is not None and (boundary is None or head.buffer[0][sort_key]["S"] >= boundary):
            out.append(head.buffer.popleft())
            if len(out) == wanted:
                more = any(shard.buffer or not shard.exhausted for shard in shards)
                return MergedRead(out, out[-1][sort_key]["S"] if more else None, state.examined)
            continue
        if boundary is None:  # every shard read to its end and merged
            return MergedRead(out, None, state.examined)
        if budget is not None and state.examined >= budget:
            # Everything newer than the boundary is merged; the next request starts there.
            return MergedRead(out, boundary, state.examined)
        share = math.ceil((wanted - len(out)) / len(shards)) + _SHARE_MARGIN
        for shard in shards:
            if not shard.exhausted and shard.frontier == boundary:
                state.fetch(shard, share)


class _Merge:
    def __init__(self, client: Any, shards: list[_Shard], sort_prefix: str, sort_key: str) -> None:
        self._client = client
        self._shards = shards
        self._prefix = sort_prefix
        self._key = sort_key
        self.examined = 0

    def fetch(self, shard: _Shard, limit: int) -> None:
        high = shard.after if shard.after is not None else self._prefix + "\uffff"
        request = shard.request | {"Limit": limit, "ScanIndexForward": False}
        request["ExpressionAttributeValues"] = request["ExpressionAttributeValues"] | {
            ":low": {"S": self._prefix},
            ":high": {"S": high},
        }
        if shard.start_key is not None:
            request["ExclusiveStartKey"] = shard.start_key
        response = self._client.query(**request)  # a ThrottleTranslatingClient: errors come translated
        self.examined += response.get("ScannedCount", len(response["Items"]))
        # BETWEEN includes its bounds: the cursor's own item is not read again.
        shard.buffer.extend(item for item in response["Items"] if item[self._key]["S"] != shard.after)
        shard.start_key = response.get("LastEvaluatedKey")
        if shard.start_key is None:
            shard.exhausted = True
        else:
            shard.frontier = shard.start_key[self._key]["S"]

    def boundary(self) -> str | None:
        """The highest sort key some unfinished shard has not been read below (None: all finished).

        Every shard has been read down to its frontier, so every item above the highest frontier is in
        a buffer already: those may be merged."""
        frontiers = [shard.frontier for shard in self._shards if not shard.exhausted and shard.frontier is not None]
        return max(frontiers) if frontiers else None

    def newest_head(self) -> _Shard | None:
        heads = [shard for shard in self._shards if shard.buffer]
        return max(heads, key=lambda shard: shard.buffer[0][self._key]["S"]) if heads else None
