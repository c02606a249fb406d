"""What a sync page costs DynamoDB, counted from its requests: an unchanged duplicate writes nothing,
a new topic's write units stay bounded, and one 1,000-item page spreads its writes over partitions."""

from __future__ import annotations

from dataclasses import replace

from connections.adapters.dynamodb.keys import TOPIC_SHARDS
from connections.adapters.dynamodb.topic_repository import DynamoTopicRepository
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
    assert set(usage.calls) == {"BatchGetItem"}


def test_a_duplicate_that_brings_a_missing_field_is_written_once(aws: LocalResources) -> None:
    topics = DynamoTopicRepository(aws.table_name)
    bare = [replace(draft, taxonomy_path=None) for draft in page(50)]
    [first, *_] = topics.ingest(ORG, TopicSource.SYNC, "conn_1", bare, "run_a#1", NOW)
    richer = [replace(draft, taxonomy_path="Autos > SUV") if n == 0 else draft for n, draft in enumerate(bare)]

    with dynamodb_usage(aws.table_name) as usage:
        topics.ingest(ORG, TopicSource.SYNC, "conn_1", richer, "run_b#1", LATER)
    stored = topics.get_many(ORG, [first.topic_id])[first.topic_id]

    assert [write.kind for write in usage.writes] == ["Update"]
    assert (stored.taxonomy_path, stored.last_seen_at) == ("Autos > SUV", LATER)


def test_new_topics_cost_a_bounded_number_of_write_units(aws: LocalResources) -> None:
    topics = DynamoTopicRepository(aws.table_name)

    with dynamodb_usage(aws.table_name, INDEXES) as usage:
        topics.ingest(ORG, TopicSource.SYNC, "conn_1", page(300), "run_a#1", NOW)

    # Each topic is under 1 KB (1 unit written bare); inserted in a transaction (2x) with its name and
    # external-id claims (2x each), its TopicsByConnection entry and a share of its shard's count.
    assert max(usage.sizes.values()) < 1024
    assert usage.write_units() / 300 <= 8


def test_a_page_of_1000_spreads_its_writes_over_partitions(aws: LocalResources) -> None:
    topics = DynamoTopicRepository(aws.table_name)

    with dynamodb_usage(aws.table_name) as usage:
        topics.ingest(ORG, TopicSource.SYNC, "conn_1", page(1000), "run_a#1", NOW)

    per_partition = usage.writes_per_partition()
    assert sum(per_partition.values()) >= 3000  # a topic and two claims each, and the shards' counts
    # 2 x TOPIC_SHARDS partitions (topics, claims) share them; hashing leaves some above the mean.
    assert len(per_partition) == 2 * TOPIC_SHARDS
    assert max(per_partition.values()) <= 1.3 * 2000 / TOPIC_SHARDS
