"""Activations stored in the former layout (every one at ``ORG#<org>``, ``ACT#<connection>#<topic>``)
are moved to their connection's partitions: listed, read by (connection, topic), found by a push
batch, and a second run changes nothing."""

from __future__ import annotations

from typing import Any

import boto3

from connections.adapters.dynamodb.activation_layout_migration import migrate_activation_layout
from connections.adapters.dynamodb.keys import former_activation_key
from connections.adapters.dynamodb.push_repository import DynamoPushRepository
from connections.domain.activation import ActivationStatus, PushRun
from connections.domain.sync_run import RunStatus
from local.provision import LocalResources
from tests.integration.conftest import ApiClient
from tests.support.activation_seed import seed_activations

ORG = "org_a"
INDEX_KEYS = ("orgActivationsPk", "connectionActivationsPk", "statusActivationsPk", "pendingRunPk")


def items(table: str) -> list[dict[str, Any]]:
    return boto3.client("dynamodb").scan(TableName=table, ConsistentRead=True)["Items"]


def store_in_former_layout(table: str) -> None:
    """Move what the current code wrote back to where the former code kept it."""
    client = boto3.client("dynamodb")
    for item in items(table):
        client.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
        former = {name: value for name, value in item.items() if name not in INDEX_KEYS}
        key = former_activation_key(ORG, item["connectionId"]["S"], item["topicId"]["S"])
        client.put_item(TableName=table, Item=former | key)


def test_former_layout_activations_are_listed_and_pushed_after_migration(aws: LocalResources, api: ApiClient) -> None:
    seeded = seed_activations(boto3.client("dynamodb"), aws.table_name, ORG, 60)
    store_in_former_layout(aws.table_name)
    assert api.get("/api/activations").json() == []  # not readable before it is moved

    moved = migrate_activation_layout(aws.table_name)
    listed = api.get("/api/activations", query={"limit": "100"}).json()
    pending = api.get("/api/activations", query={"status": "pending"}).json()
    repository = DynamoPushRepository(aws.table_name, boto3.client("dynamodb"))
    first = seeded[0]
    by_key = repository.activations_for(ORG, first.connection_id, [first.topic_id])
    run = PushRun(first.run_id or "", ORG, first.connection_id, RunStatus.RUNNING, 60, "t", "t")
    batch = repository.pending_for_run(run, 25, 0.0)
    second = migrate_activation_layout(aws.table_name)

    assert moved == 60 and second == 0
    assert sorted(row["id"] for row in listed) == sorted(activation.id for activation in seeded)
    assert len(pending) == 6
    assert by_key[first.topic_id].id == first.id
    assert {a.status for a in batch} == {ActivationStatus.PENDING} and len(batch) == 6
    assert not [item for item in items(aws.table_name) if item["pk"]["S"] == f"ORG#{ORG}"]
