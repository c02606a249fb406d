"""Large topic libraries written fast (batch_write_item), for listing tests and the scale bench.

The items are the ones an insert writes (``topic_item``), with the shards' counts; name and
external-id claims are left out: listings never read them."""

from __future__ import annotations

from collections import Counter
from typing import Any

from connections.adapters.dynamodb.keys import topic_count_key, topic_shard
from connections.adapters.dynamodb.table_client import batch_put
from connections.adapters.dynamodb.topic_repository import topic_item
from connections.domain.classification import Classification
from connections.domain.identifiers import TOPIC_PREFIX, new_id
from connections.domain.topic import TopicDraft, TopicSource

NOW = "2026-03-01T10:00:00.000Z"
WORDS = ("Auto", "Golf", "Travel", "Pet", "Finance", "Fitness", "Gaming", "Parents", "Luxury", "Outdoor")


def seed_library(
    client: Any, table: str, org_id: str, count: int, connections: tuple[str, ...] = ("conn_a",)
) -> list[str]:
    """``count`` synced topics spread over ``connections`` (every tenth one manual); their ids, oldest first.

    Names cycle through WORDS, so ``search`` matches about a tenth of them; every seventh topic is
    classified to IAB node 483."""
    items, ids = [], []
    counts: Counter[int] = Counter()
    for number in range(count):
        topic_id = new_id(TOPIC_PREFIX)
        manual = number % 10 == 9
        classification = (
            Classification("483", "Purchase Intent", ("Purchase Intent", "Autos"), "B2C", 0.8, "seed")
            if number % 7 == 0
            else None
        )
        draft = TopicDraft(
            name=f"{WORDS[number % len(WORDS)]} audience {number}",
            external_id=None if manual else f"seg-{number}",
            description=f"Seeded audience number {number}",
            classification=classification,
        )
        connection = None if manual else connections[number % len(connections)]
        source = TopicSource.MANUAL if manual else TopicSource.SYNC
        items.append(topic_item(org_id, source, connection, draft, topic_id, "seed", NOW))
        ids.append(topic_id)
        counts[topic_shard(topic_id)] += 1
    batch_put(client, table, items)
    for shard, added in counts.items():
        client.update_item(
            TableName=table,
            Key=topic_count_key(org_id, shard),
            UpdateExpression="ADD topicCount :added",
            ExpressionAttributeValues={":added": {"N": str(added)}},
        )
    return ids
