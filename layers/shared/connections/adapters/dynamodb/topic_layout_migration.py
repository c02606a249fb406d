"""Moves topic libraries stored in the former layout (every topic and claim in ``ORG#<org>``) to the
sharded one (keys.py): topics to ``ORG#<org>#TOPIC#<n>`` with their TopicsByConnection key, name and
external-id claims to ``ORG#<org>#TKEY#<n>``, and the shards' topic counts set from what was moved.

It runs once per table, after the new code is deployed and before syncs and topic creation resume
(docs/STORAGE.md says how): the new code neither lists nor deduplicates against items it has not
moved. It is idempotent: every item is copied before its original is deleted, and the counts are
recounted from the shards, so a run that stops part-way is simply run again.

``python -m connections.adapters.dynamodb.topic_layout_migration --table NAME``
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import boto3

from connections.adapters.dynamodb.keys import (
    TOPIC_SHARDS,
    TOPIC_SORT_PREFIX,
    TOPICS_BY_CONNECTION_KEY,
    connection_topics_partition,
    topic_claim_key,
    topic_count_key,
    topic_key,
    topic_partition,
)
from connections.adapters.dynamodb.table_client import BATCH_WRITE_LIMIT, batch_put

_CLAIM_PREFIXES = ("TNAME#", "TEXT#")


@dataclass(frozen=True)
class MigrationReport:
    organisations: int
    topics: int
    claims: int


def _former_org(item: dict[str, Any]) -> str | None:
    """The organisation of an item in the former layout (partition exactly ``ORG#<org>``), else None."""
    pk, sk = item["pk"]["S"], item["sk"]["S"]
    if not pk.startswith("ORG#") or "#" in pk.removeprefix("ORG#"):
        return None
    return pk.removeprefix("ORG#") if sk.startswith((TOPIC_SORT_PREFIX, *_CLAIM_PREFIXES)) else None


def _moved(org_id: str, item: dict[str, Any]) -> dict[str, Any]:
    sk = item["sk"]["S"]
    if sk.startswith(TOPIC_SORT_PREFIX):
        topic_id = sk.removeprefix(TOPIC_SORT_PREFIX)
        moved = item | topic_key(org_id, topic_id)
        connection = item.get("connectionId", {}).get("S")
        if connection:
            moved[TOPICS_BY_CONNECTION_KEY] = {"S": connection_topics_partition(org_id, connection, topic_id)}
        return moved
    return item | topic_claim_key(org_id, sk)


def migrate_topic_layout(table: str, client: Any | None = None) -> MigrationReport:
    """Move every former-layout topic and claim of ``table`` (one scan), then set the shards' counts."""
    dynamodb = client or boto3.client("dynamodb")
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            org_id = _former_org(item)
            if org_id is not None:
                found[org_id].append(item)
    topics = claims = 0
    for org_id, items in found.items():
        batch_put(dynamodb, table, [_moved(org_id, item) for item in items])
        originals = [{"pk": item["pk"], "sk": item["sk"]} for item in items]
        for start in range(0, len(originals), BATCH_WRITE_LIMIT):
            pending: dict[str, Any] = {
                table: [{"DeleteRequest": {"Key": key}} for key in originals[start : start + BATCH_WRITE_LIMIT]]
            }
            while pending:
                pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        topics += sum(item["sk"]["S"].startswith(TOPIC_SORT_PREFIX) for item in items)
        claims += sum(item["sk"]["S"].startswith(_CLAIM_PREFIXES) for item in items)
        recount(dynamodb, table, org_id)
    return MigrationReport(len(found), topics, claims)


def recount(client: Any, table: str, org_id: str) -> None:
    """Set each shard's topic count to the topics the shard holds (a full count: migration only)."""
    for shard in range(TOPIC_SHARDS):
        count = 0
        request: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": topic_partition(org_id, shard)},
                ":prefix": {"S": TOPIC_SORT_PREFIX},
            },
            "Select": "COUNT",
            "ConsistentRead": True,
        }
        for page in client.get_paginator("query").paginate(**request):
            count += page["Count"]
        client.put_item(TableName=table, Item=topic_count_key(org_id, shard) | {"topicCount": {"N": str(count)}})


def main() -> None:
    parser = argparse.ArgumentParser(description="Move topic libraries to the sharded key layout.")
    parser.add_argument("--table", required=True)
    report = migrate_topic_layout(parser.parse_args().table)
    print(f"Moved {report.topics} topics and {report.claims} claims of {report.organisations} organisations.")


if __name__ == "__main__":
    main()
