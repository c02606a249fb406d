"""What a sync page costs DynamoDB, counted from its requests: an unchanged duplicate writes nothing,
a new topic's write units stay bounded, and one 1,000-item page spreads its writes over partitions."""

from __future__ import annotations

from dataclasses import replace

import boto3

from connections.adapters.dynamodb.keys import TOPIC_SHARDS
from connections.adapters.dynamodb.topic_repository import CLAIM_FIELDS, DynamoTopicRepository
from connections.domain.classification import Classification
from connections.domain.topic import TopicDraft, TopicSource
from connections.ports.topic_repository import IngestKind
from local.provision import LocalResources
from tests.support.dynamodb_usage import dynamodb_usage

ORG = "org_a"
NOW, LATER = "2026-03-01T10:00:00.000Z", "2026-03-02T10:00:00.000Z"
INDEXES = {"connectionTopicsPk": ["nameKey", "source", "classification"]}
SUV = Classification("483", "Purchase Intent", ("Purchase Intent", "Autos", "SUV"), "B2C", 0.8, "rules-1.0.0")


def page(count: int) -> list[TopicDraft]:
    return [
        TopicDraft(
            name=f"Auto Intenders SUV {n}",
            external_id=f"seg-{n}",
            description="Adults researching new SUVs in the last 30 days",
            keywords=("suv", "crossover"),
            category="Automotive",
            audience_size=1_250_000,
            cpm=2.5,
            classification=SUV,
        )
        for n in range(count)
    ]


def test_an_unchanged_duplicate_writes_nothing(aws: LocalResources) -> None:
    topics = DynamoTopicRepository(aws.table_name)
    topics.ingest(ORG, TopicSource.SYNC, "conn_1", page(200), "run_a#1", NOW)

    with dynamodb_usage(aws.table_name) as usage:
        outcomes = topics.ingest(ORG, TopicSource.SYNC, "conn_1", page(200), "run_b#1", LATER)

    assert [outcome.kind for outcome in outcomes] == [IngestKind.DUPLICATE] * 200
    assert usage.writes == []
    # Only the 200 external-id claims are read (two BatchGetItem of 100): no name claim, no topic.
    assert (usage.calls, usage.items_read) == ({"BatchGetItem": 2}, 200)
    assert usage.keys_read == {key for key in usage.keys_read if key[1].startswith("TEXT#")}


def test_a_new_page_reads_its_claims_once_each(aws: LocalResources) -> None:
    topics = DynamoTopicRepository(aws.table_name)

    with dynamodb_usage(aws.table_name) as usage:
        topics.ingest(ORG, TopicSource.SYNC, "conn_1", page(200), "run_a#1", NOW)

    # 200 external-id claims, then the 200 names none of them matched: 4 BatchGetItem, nothing found;
    # then 600 items and a few count updates in transactions of at most 100.
    assert usage.calls["BatchGetItem"] == 4
    assert usage.items_read == 0
    assert len(usage.keys_read) == 400
    assert usage.calls["TransactWriteItems"] == 7


def test_a_duplicate_that_brings_a_missing_field_is_written_once(aws: LocalResources) -> None:
    topics = DynamoTopicRepository(aws.table_name)
    bare = [replace(draft, taxonomy_path=None) for draft in page(50)]
    [first, *_] = topics.ingest(ORG, TopicSource.SYNC, "conn_1", bare, "run_a#1", NOW)
    richer = [replace(draft, taxonomy_path="Autos > SUV") if n == 0 else draft for n, draft in enumerate(bare)]

    with dynamodb_usage(aws.table_name) as usage:
        topics.ingest(ORG, TopicSource.SYNC, "conn_1", richer, "run_b#1", LATER)
    with dynamodb_usage(aws.table_name) as again:
        topics.ingest(ORG, TopicSource.SYNC, "conn_1", richer, "run_c#1", LATER)
    stored = topics.get_many(ORG, [first.topic_id])[first.topic_id]

    # The topic and its external-id claim (which now lists taxonomyPath), in one transaction.
    assert [(write.kind, write.key["sk"]["S"][:5], write.transactional) for write in usage.writes] == [
        ("Update", "TOPIC", True),
        ("Update", "TEXT#", True),
    ]
    assert usage.items_read == 50 + 1  # the claims, and the one topic they did not vouch for
    assert (stored.taxonomy_path, stored.last_seen_at) == ("Autos > SUV", LATER)
    assert (again.writes, again.items_read) == ([], 50)


def test_claims_written_before_they_listed_fields_learn_them_once(aws: LocalResources) -> None:
    topics = DynamoTopicRepository(aws.table_name)
    topics.ingest(ORG, TopicSource.SYNC, "conn_1", page(30), "run_a#1", NOW)
    client = boto3.client("dynamodb")
    claims = [
        item
        for item in client.scan(TableName=aws.table_name)["Items"]
        if item["sk"]["S"].startswith("TEXT#") and CLAIM_FIELDS in item
    ]
    for claim in claims:  # as claims were before they carried their topic's fields
        client.update_item(
            TableName=aws.table_name,
            Key={"pk": claim["pk"], "sk": claim["sk"]},
            UpdateExpression=f"REMOVE {CLAIM_FIELDS}",
        )

    with dynamodb_usage(aws.table_name) as usage:
        topics.ingest(ORG, TopicSource.SYNC, "conn_1", page(30), "run_b#1", LATER)
    with dynamodb_usage(aws.table_name) as again:
        topics.ingest(ORG, TopicSource.SYNC, "conn_1", page(30), "run_c#1", LATER)

    assert len(claims) == 30
    # The topics are read once and left alone (nothing to fill); their claims get the topics' fields.
    assert usage.items_read == 60
    assert sorted({write.key["sk"]["S"][:5] for write in usage.writes}) == ["TEXT#"]
    assert len(usage.writes) == 30
    assert (again.writes, again.items_read) == ([], 30)


def test_an_item_found_by_name_is_linked_with_what_its_topic_holds(aws: LocalResources) -> None:
    topics = DynamoTopicRepository(aws.table_name)
    [manual] = topics.ingest(ORG, TopicSource.MANUAL, None, [replace(page(1)[0], external_id=None)], "m#1", NOW)

    first = topics.ingest(ORG, TopicSource.SYNC, "conn_1", page(1), "run_a#1", LATER)
    with dynamodb_usage(aws.table_name) as again:
        second = topics.ingest(ORG, TopicSource.SYNC, "conn_1", page(1), "run_b#1", LATER)
    stored = topics.get_many(ORG, [manual.topic_id])[manual.topic_id]

    assert [outcome.topic_id for outcome in first + second] == [manual.topic_id] * 2
    assert (stored.connection_id, stored.external_id) == ("conn_1", "seg-0")
    # The first sync filled the manual topic's connection fields and linked the external id with the
    # fields the topic now has: the next one reads that claim only.
    assert (again.writes, again.items_read, dict(again.calls)) == ([], 1, {"BatchGetItem": 1})


def test_new_topics_cost_a_bounded_number_of_write_units(aws: LocalResources) -> None:
    topics = DynamoTopicRepository(aws.table_name)

    with dynamodb_usage(aws.table_name, INDEXES) as usage:
        topics.ingest(ORG, TopicSource.SYNC, "conn_1", page(300), "run_a#1", NOW)

    # Each topic is under 1 KB (1 unit written bare); inserted in a transaction (2x) with its name and
    # external-id claims (2x each), its TopicsByConnection entry (1): 7; and a share of the shard
    # counts, one or two per transaction since topics go in shard order (eight would be 0.5 more).
    assert max(usage.sizes.values()) < 1024
    assert 7 < usage.write_units() / 300 <= 7.2


def test_a_page_of_1000_spreads_its_writes_over_partitions(aws: LocalResources) -> None:
    topics = DynamoTopicRepository(aws.table_name)

    with dynamodb_usage(aws.table_name) as usage:
        topics.ingest(ORG, TopicSource.SYNC, "conn_1", page(1000), "run_a#1", NOW)

    per_partition = usage.writes_per_partition()
    assert sum(per_partition.values()) >= 3000  # a topic and two claims each, and the shards' counts
    # 2 x TOPIC_SHARDS partitions (topics, claims) share them; hashing leaves some above the mean.
    assert len(per_partition) == 2 * TOPIC_SHARDS
    assert max(per_partition.values()) <= 1.3 * 2000 / TOPIC_SHARDS
