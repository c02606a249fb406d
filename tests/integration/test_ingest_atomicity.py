"""A topic and the key items that claim its name and external id are written together or not at all.

When the write of a page's topics fails after their keys were claimed, and that page is never retried by
the same run (the run fails, or is cancelled), a later run must insert those segments: a key may never
point at a topic that does not exist, or the segment would be counted as a duplicate of nothing, for
good. The fault is injected on the DynamoDB client: any write that carries a topic item fails."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from connections.adapters.dynamodb.topic_repository import TOPIC_PREFIX_SK, DynamoTopicRepository
from connections.domain.sync_service import MAX_PAGE_ATTEMPTS
from connections.domain.topic import TopicDraft, TopicSource
from connections.ports.topic_repository import IngestKind
from local.provision import LocalResources
from tests.fakes.segment_catalogue import SegmentCatalogue
from tests.integration.conftest import ApiClient, create_inbound_connection
from tests.integration.test_run_failures import (
    catalogue,  # noqa: F401 - fixture
    start_sync,
)

ORG = "org_a"
NOW = "2026-02-25T10:00:00.000Z"
WRITES = ("batch_write_item", "transact_write_items", "put_item")


class TopicWritesFail:
    """A real DynamoDB client whose writes fail (a non-retryable fault) while they carry a topic item,
    whatever call the repository writes topics with; it counts every call it passes on."""

    def __init__(self) -> None:
        self._client = boto3.client("dynamodb")
        self.armed = False
        self.fired = 0
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)
        if not callable(real):
            return real

        def call(**kwargs: Any) -> Any:
            if self.armed and name in WRITES and f"'{TOPIC_PREFIX_SK}" in str(kwargs):
                self.fired += 1
                raise ClientError({"Error": {"Code": "ValidationException", "Message": "injected"}}, name)
            self.calls.append(name)
            return real(**kwargs)

        return call


def drafts(count: int) -> list[TopicDraft]:
    return [
        TopicDraft(name=f"Pet Owners > Dogs {n}", external_id=f"seg-{n}", description=f"d{n}") for n in range(count)
    ]


def stored_items(resources: LocalResources) -> list[dict[str, Any]]:
    return boto3.client("dynamodb").scan(TableName=resources.table_name, ConsistentRead=True)["Items"]


def test_a_failed_topic_write_leaves_no_key_claimed(aws: LocalResources) -> None:
    client = TopicWritesFail()
    topics = DynamoTopicRepository(aws.table_name, client)
    client.armed = True

    with pytest.raises(ClientError):
        topics.ingest(ORG, TopicSource.SYNC, "conn_1", drafts(40), "run_a#1", NOW)

    assert client.fired >= 1
    keys = [item["sk"]["S"] for item in stored_items(aws) if item["sk"]["S"].startswith(("TNAME#", "TEXT#"))]
    assert keys == []


def test_another_writer_inserts_what_a_failed_write_left_out(aws: LocalResources) -> None:
    client = TopicWritesFail()
    failing = DynamoTopicRepository(aws.table_name, client)
    client.armed = True
    with pytest.raises(ClientError):
        failing.ingest(ORG, TopicSource.SYNC, "conn_1", drafts(40), "run_a#1", NOW)

    outcomes = DynamoTopicRepository(aws.table_name).ingest(ORG, TopicSource.SYNC, "conn_1", drafts(40), "run_b#1", NOW)
    stored = DynamoTopicRepository(aws.table_name).get_many(ORG, [outcome.topic_id for outcome in outcomes])

    assert [outcome.kind for outcome in outcomes] == [IngestKind.INSERTED] * 40
    assert sorted(topic.name for topic in stored.values()) == sorted(draft.name for draft in drafts(40))


def test_a_page_of_new_topics_costs_one_transaction_per_33_topics(aws: LocalResources) -> None:
    client = TopicWritesFail()
    topics = DynamoTopicRepository(aws.table_name, client)

    outcomes = topics.ingest(ORG, TopicSource.SYNC, "conn_1", drafts(100), "run_a#1", NOW)

    assert [outcome.kind for outcome in outcomes] == [IngestKind.INSERTED] * 100
    # One read of the 200 keys, then each topic with its two keys: 300 items in transactions of 99.
    assert client.calls == ["batch_get_item"] * 2 + ["transact_write_items"] * 4
    assert len([item for item in stored_items(aws) if item["sk"]["S"].startswith(TOPIC_PREFIX_SK)]) == 100


def test_large_topics_are_split_to_fit_a_transaction(aws: LocalResources) -> None:
    client = TopicWritesFail()
    topics = DynamoTopicRepository(aws.table_name, client)
    # About 300 KB each: 13 per 4 MB transaction at most, whatever the 100-item limit allows.
    large = [TopicDraft(name=f"Large {n}", external_id=f"big-{n}", description="x" * 300_000) for n in range(20)]

    outcomes = topics.ingest(ORG, TopicSource.SYNC, "conn_1", large, "run_a#1", NOW)

    assert [outcome.kind for outcome in outcomes] == [IngestKind.INSERTED] * 20
    assert client.calls.count("transact_write_items") == 2


def test_a_run_after_a_failed_one_inserts_the_segments_of_its_failed_page(
    aws: LocalResources,
    api: ApiClient,
    catalogue: SegmentCatalogue,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from connections import wiring

    client = TopicWritesFail()
    topics = DynamoTopicRepository(aws.table_name, client)
    monkeypatch.setattr(wiring, "topic_repository", lambda: topics)
    connection_id = create_inbound_connection(api, catalogue)
    failed_run = start_sync(api, connection_id)
    client.armed = True
    for _ in range(MAX_PAGE_ATTEMPTS):
        api.post(f"/api/connections/{connection_id}/sync/run/{failed_run}/page", {"page": 1})
    failed = api.get(f"/api/connections/{connection_id}/sync/run/{failed_run}/status").json()

    client.armed = False
    next_run = start_sync(api, connection_id)
    for _ in range(3):
        assert api.post(f"/api/connections/{connection_id}/sync/run/{next_run}/page").status == 200
    final = api.get(f"/api/connections/{connection_id}/sync/run/{next_run}/status").json()
    library = api.get("/api/topics", query={"pageSize": "1"}).json()

    assert client.fired == MAX_PAGE_ATTEMPTS
    assert failed["status"] == "failed"
    # Every one of the 250 segments is new to the library: none is taken for a topic never written.
    assert (final["status"], final["successCount"], final["duplicateCount"]) == ("completed", 250, 0)
    assert library["total"] == 250


class AnotherWriterFirst:
    """A real DynamoDB client that lets another writer ingest ``rival`` just before this writer's first
    transaction: the keys this writer read as free are claimed by the time it writes."""

    def __init__(self, table_name: str, rival: list[TopicDraft]) -> None:
        self._client = boto3.client("dynamodb")
        self._table_name = table_name
        self._rival: list[TopicDraft] | None = rival
        self.rival_ids: list[str] = []

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)
        if name != "transact_write_items":
            return real

        def call(**kwargs: Any) -> Any:
            if self._rival is not None:
                rival, self._rival = self._rival, None
                outcomes = DynamoTopicRepository(self._table_name).ingest(
                    ORG, TopicSource.SYNC, "conn_1", rival, "run_b#1", NOW
                )
                self.rival_ids = [outcome.topic_id for outcome in outcomes]
            return real(**kwargs)

        return call


def test_drafts_whose_keys_another_writer_claimed_meanwhile_become_its_duplicates(aws: LocalResources) -> None:
    page = drafts(10)
    client = AnotherWriterFirst(aws.table_name, [page[2], page[7]])

    outcomes = DynamoTopicRepository(aws.table_name, client).ingest(
        ORG, TopicSource.SYNC, "conn_1", page, "run_a#1", NOW
    )

    kinds = [outcome.kind for outcome in outcomes]
    assert kinds == [IngestKind.DUPLICATE if n in (2, 7) else IngestKind.INSERTED for n in range(10)]
    assert [outcomes[2].topic_id, outcomes[7].topic_id] == client.rival_ids
    topics = [item for item in stored_items(aws) if item["sk"]["S"].startswith(TOPIC_PREFIX_SK)]
    assert len(topics) == 10
    assert counted_total(aws) == 10  # the rival's two counted once, by the rival's transaction


def counted_total(resources: LocalResources) -> int:
    """The listing's total: the sum of the shards' topic counts."""
    return sum(int(item["topicCount"]["N"]) for item in stored_items(resources) if item["sk"]["S"] == "COUNT")


def topic_names(resources: LocalResources) -> list[str]:
    return sorted(item["name"]["S"] for item in stored_items(resources) if item["sk"]["S"].startswith(TOPIC_PREFIX_SK))


class Crash(Exception):
    """A Lambda dying mid-page (not a DynamoDB error: nothing retries it)."""


class CrashesAtTransaction:
    """A real DynamoDB client that dies on its ``crash_at``-th TransactWriteItems, before sending it."""

    def __init__(self, crash_at: int) -> None:
        self._client = boto3.client("dynamodb")
        self._crash_at = crash_at
        self.transactions = 0

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)
        if name != "transact_write_items":
            return real

        def call(**kwargs: Any) -> Any:
            self.transactions += 1
            if self.transactions == self._crash_at:
                raise Crash
            return real(**kwargs)

        return call


def test_a_page_crashing_between_transactions_keeps_whole_topics_and_exact_counts(aws: LocalResources) -> None:
    page = drafts(200)
    with pytest.raises(Crash):
        DynamoTopicRepository(aws.table_name, CrashesAtTransaction(3)).ingest(
            ORG, TopicSource.SYNC, "conn_1", page, "run_a#1", NOW
        )
    written = topic_names(aws)
    claimed = [item["sk"]["S"] for item in stored_items(aws) if item["sk"]["S"].startswith(("TNAME#", "TEXT#"))]
    counted_after_crash = counted_total(aws)

    retried = DynamoTopicRepository(aws.table_name).ingest(ORG, TopicSource.SYNC, "conn_1", page, "run_a#1", NOW)

    # Two transactions went in whole (topics with their claims and their shards' counts), the third never.
    assert 0 < len(written) < 200
    assert len(claimed) == 2 * len(written) and counted_after_crash == len(written)
    # The retried page counts its own earlier inserts as inserted, and the total counts each topic once.
    assert [outcome.kind for outcome in retried] == [IngestKind.INSERTED] * 200
    assert topic_names(aws) == sorted(draft.name for draft in page)
    assert counted_total(aws) == 200


def test_after_a_crashed_page_another_writer_inserts_the_rest_and_counts_stay_exact(aws: LocalResources) -> None:
    page = drafts(200)
    with pytest.raises(Crash):
        DynamoTopicRepository(aws.table_name, CrashesAtTransaction(2)).ingest(
            ORG, TopicSource.SYNC, "conn_1", page, "run_a#1", NOW
        )
    written = len(topic_names(aws))
    counted_after_crash = counted_total(aws)

    outcomes = DynamoTopicRepository(aws.table_name).ingest(ORG, TopicSource.SYNC, "conn_1", page, "run_b#1", NOW)

    assert counted_after_crash == written > 0
    kinds = [outcome.kind for outcome in outcomes]
    assert (kinds.count(IngestKind.DUPLICATE), kinds.count(IngestKind.INSERTED)) == (written, 200 - written)
    assert topic_names(aws) == sorted(draft.name for draft in page)
    assert counted_total(aws) == 200
