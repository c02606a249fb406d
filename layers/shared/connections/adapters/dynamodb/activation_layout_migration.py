"""Moves activations stored in the former layout (every activation at ``ORG#<org>``, sort key
``ACT#<connection>#<topic>``) to the spread one (keys.py): ``ORG#<org>#ACT#<connection>#<n>`` with
their listing and pending index keys.

It runs once per table, after the new code is deployed and before pushes resume (docs/STORAGE.md
says how): the new code neither lists nor pushes activations it has not moved. It is idempotent:
every activation is copied before its original is deleted, and a copy is the same item however often
it is made, so a run that stops part-way is simply run again.

``python -m connections.adapters.dynamodb.activation_layout_migration --table NAME``
"""

from __future__ import annotations

import argparse
from typing import Any

import boto3

from connections.adapters.dynamodb.keys import ACTIVATION_SORT_PREFIX, activation_index_keys, activation_key
from connections.adapters.dynamodb.table_client import BATCH_WRITE_LIMIT, batch_put


def _former_activation(item: dict[str, Any]) -> bool:
    """An activation in the former layout: partition exactly ``ORG#<org>``, sort key ``ACT#...``."""
    pk, sk = item["pk"]["S"], item["sk"]["S"]
    return pk.startswith("ORG#") and "#" not in pk.removeprefix("ORG#") and sk.startswith(ACTIVATION_SORT_PREFIX)


def _moved(item: dict[str, Any]) -> dict[str, Any]:
    org_id, connection_id, topic_id = item["orgId"]["S"], item["connectionId"]["S"], item["topicId"]["S"]
    run_id = item.get("runId", {}).get("S")
    indexes = activation_index_keys(org_id, connection_id, item["id"]["S"], topic_id, item["status"]["S"], run_id)
    return item | activation_key(org_id, connection_id, topic_id) | indexes


def migrate_activation_layout(table: str, client: Any | None = None) -> int:
    """Move every former-layout activation of ``table`` (one scan); how many were moved."""
    dynamodb = client or boto3.client("dynamodb")
    found: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        found += [item for item in page["Items"] if _former_activation(item)]
    batch_put(dynamodb, table, [_moved(item) for item in found])
    originals = [{"pk": item["pk"], "sk": item["sk"]} for item in found]
    for start in range(0, len(originals), BATCH_WRITE_LIMIT):
        pending: dict[str, Any] = {
            table: [{"DeleteRequest": {"Key": key}} for key in originals[start : start + BATCH_WRITE_LIMIT]]
        }
        while pending:
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description="Move activations to the spread key layout.")
    parser.add_argument("--table", required=True)
    moved = migrate_activation_layout(parser.parse_args().table)
    print(f"Moved {moved} activations.")


if __name__ == "__main__":
    main()
