"""A library stored in the former layout (every topic and claim in ``ORG#<org>``) is moved to the
sharded one: listed, counted and deduplicated against as before, and a second run changes nothing."""

from __future__ import annotations

from typing import Any

import boto3

from connections.adapters.dynamodb.topic_layout_migration import migrate_topic_layout
from connections.adapters.dynamodb.topic_repository import DynamoTopicRepository
from connections.domain.topic import TopicDraft, TopicSource
from connections.ports.topic_repository import IngestKind
from local.provision import LocalResources
from tests.integration.conftest import ApiClient

ORG = "org_a"
NOW = "2026-03-01T10:00:00.000Z"


def drafts(count: int) -> list[TopicDraft]:
    return [TopicDraft(name=f"Golf Fans {n}", external_id=f"seg-{n}", description="Golfers") for n in range(count)]


def items(table: str) -> list[dict[str, Any]]:
    return boto3.client("dynamodb").scan(TableName=table, ConsistentRead=True)["Items"]


def store_in_former_layout(table: str) -> None:
    """Move what the current code wrote back to where the former code kept it, and drop the counts."""
    client = boto3.client("dynamodb")
    for item in items(table):
        sk = item["sk"]["S"]
        client.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
        if sk.startswith(("TOPIC#", "TNAME#", "TEXT#")):
            former = {name: value for name, value in item.items() if name != "connectionTopicsPk"}
            client.put_item(TableName=table, Item=former | {"pk": {"S": f"ORG#{ORG}"}})


def test_a_former_layout_library_is_listed_and_deduplicated_after_migration(
    aws: LocalResources, api: ApiClient
) -> None:
    topics = DynamoTopicRepository(aws.table_name)
    topics.ingest(ORG, TopicSource.SYNC, "conn_1", drafts(40), "run_a#1", NOW)
    store_in_former_layout(aws.table_name)
    assert api.get("/api/topics").json()["topics"] == []  # not readable before it is moved

    report = migrate_topic_layout(aws.table_name)
    listed = api.get("/api/topics", query={"pageSize": "100"}).json()
    by_connection = api.get("/api/topics", query={"pageSize": "100", "connectionId": "conn_1"}).json()
    again = topics.ingest(ORG, TopicSource.SYNC, "conn_1", drafts(40), "run_b#1", NOW)
    second = migrate_topic_layout(aws.table_name)

    assert (report.organisations, report.topics, report.claims) == (1, 40, 80)
    assert (listed["total"], len(listed["topics"]), len(by_connection["topics"])) == (40, 40, 40)
    assert [outcome.kind for outcome in again] == [IngestKind.DUPLICATE] * 40
    assert (second.topics, second.claims) == (0, 0)
    assert api.get("/api/topics").json()["total"] == 40
    assert not [item for item in items(aws.table_name) if item["pk"]["S"] == f"ORG#{ORG}"]
