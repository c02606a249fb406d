"""Crashes between the steps of a page, and DynamoDB leaving batch items unprocessed: a retried page
never counts twice and never inserts a topic twice."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from connections.adapters.dynamodb.sync_run_repository import DynamoSyncRunRepository
from connections.adapters.dynamodb.table_client import batch_put
from connections.adapters.dynamodb.topic_repository import DynamoTopicRepository
from connections.domain.access import AuthType, Caller
from connections.domain.deadline import Deadline
from connections.domain.errors import Conflict
from connections.domain.sync_service import SyncService
from tests.fakes.segment_catalogue import CATALOGUE_CREDENTIALS, catalogue_items, segment_catalogue
from tests.integration.conftest import ApiClient

CALLER = Caller("org_a", "user_1", AuthType.SESSION)


class Crash(Exception):
    """A Lambda dying mid-page."""


class CrashingRuns(DynamoSyncRunRepository):
    def __init__(self, table: str, crash_in: str) -> None:
        super().__init__(table)
        self.crash_in = crash_in

    def _maybe_crash(self, step: str) -> None:
        if self.crash_in == step:
            self.crash_in = ""
            raise Crash(step)

    def commit_page(self, *args: Any, **kwargs: Any):
        self._maybe_crash("before commit")
        return super().commit_page(*args, **kwargs)

    def finish(self, *args: Any, **kwargs: Any):
        self._maybe_crash("before finish")
        return super().finish(*args, **kwargs)


class CrashingTopics(DynamoTopicRepository):
    def __init__(self, table: str, crash_in: str) -> None:
        super().__init__(table)
        self.crash_in = crash_in

    def _missing_topics(self, org_id: str, rewrite: dict[int, str]) -> dict[int, str]:
        # Runs after the keys are claimed and before the topic items are written.
        if self.crash_in == "between claims and topics":
            self.crash_in = ""
            raise Crash(self.crash_in)
        return super()._missing_topics(org_id, rewrite)


def service(aws, runs, topics) -> SyncService:
    from connections import wiring

    # A crashed claim must be re-claimable at once in these tests, not after the real lease.
    return SyncService(
        wiring.connection_repository(), runs, topics, wiring.open_source, wiring.classifier, page_lease_seconds=0.0
    )


@pytest.fixture
def catalogue_connection(api: ApiClient, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")
    items, expected = catalogue_items(250, duplicate_every=25, bad_every=40)
    with segment_catalogue(items) as catalogue:
        body = {
            "name": "Catalogue",
            "platform": "custom_api",
            "direction": "inbound",
            "config": catalogue.config(),
            "credentials": CATALOGUE_CREDENTIALS,
        }
        yield api.post("/api/connections", body).json()["id"], expected


@pytest.mark.parametrize("step", ["between claims and topics", "before commit", "before finish"])
def test_crash_between_steps_then_retry_counts_once(aws, catalogue_connection, api: ApiClient, step: str) -> None:
    connection_id, expected = catalogue_connection
    runs = CrashingRuns(aws.table_name, step if step != "between claims and topics" else "")
    topics = CrashingTopics(aws.table_name, step if step == "between claims and topics" else "")
    sync = service(aws, runs, topics)
    run = sync.start_run(CALLER, connection_id, Deadline.after(10))
    failed_answers = 0
    for _ in range(20):
        current = sync.get_run(CALLER, connection_id, run.id)
        if current.status.value != "running":
            break
        try:
            outcome = sync.process_page(CALLER, connection_id, run.id, None, Deadline.after(10))
        except Conflict:
            continue  # the run was closed by this call (every page already committed)
        failed_answers += outcome.error is not None

    final = sync.get_run(CALLER, connection_id, run.id)
    assert (runs.crash_in, topics.crash_in) == ("", "")  # the crash happened
    # A crash before the commit is a failed page answer (retried); after it, the page's result.
    assert failed_answers == (0 if step == "before finish" else 1)
    assert final.status.value == "completed"
    assert (final.success_count, final.duplicate_count, final.error_count) == (
        expected["unique"],
        expected["duplicates"],
        expected["errors"],
    )
    assert final.processed_pages == 3
    library = api.get("/api/topics", query={"pageSize": "100"}).json()
    assert library["total"] == expected["unique"]
    assert len({topic["name"] for topic in library["topics"]}) == len(library["topics"])


class UnprocessedOnce:
    """A DynamoDB client that leaves half of every batch unprocessed the first time it sees it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.deferred_writes = 0
        self.deferred_reads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def batch_write_item(self, RequestItems: dict) -> dict:
        table, requests = next(iter(RequestItems.items()))
        if self.deferred_writes == 0 and len(requests) > 1:
            keep, defer = requests[: len(requests) // 2], requests[len(requests) // 2 :]
            self.deferred_writes = len(defer)
            self._client.batch_write_item(RequestItems={table: keep})
            return {"UnprocessedItems": {table: defer}}
        return self._client.batch_write_item(RequestItems=RequestItems)

    def batch_get_item(self, RequestItems: dict) -> dict:
        table, request = next(iter(RequestItems.items()))
        keys = request["Keys"]
        if self.deferred_reads == 0 and len(keys) > 1:
            keep, defer = keys[: len(keys) // 2], keys[len(keys) // 2 :]
            self.deferred_reads = len(defer)
            answer = self._client.batch_get_item(RequestItems={table: request | {"Keys": keep}})
            return answer | {"UnprocessedKeys": {table: request | {"Keys": defer}}}
        return self._client.batch_get_item(RequestItems=RequestItems)


def test_unprocessed_batch_items_are_retried(aws) -> None:
    from connections.domain.topic import TopicDraft, TopicSource

    client = UnprocessedOnce(boto3.client("dynamodb"))
    repository = DynamoTopicRepository(aws.table_name, client)
    drafts = [TopicDraft(name=f"Segment {number}", external_id=f"ext-{number}") for number in range(60)]

    first = repository.ingest("org_a", TopicSource.SYNC, "conn_x", drafts, "run#1", "2026-01-01T00:00:00.000Z")
    second = repository.ingest("org_a", TopicSource.SYNC, "conn_x", drafts, "run#2", "2026-01-01T00:00:00.000Z")
    # Topics go in with their keys in transactions; batch writes (activations, for one) retry the same way.
    items = [{"pk": {"S": "ORG#org_b"}, "sk": {"S": f"ITEM#{number}"}} for number in range(20)]
    batch_put(client, aws.table_name, items)

    assert client.deferred_writes > 0
    assert (
        len(
            boto3.client("dynamodb").scan(
                TableName=aws.table_name,
                ScanFilter={"pk": {"AttributeValueList": [{"S": "ORG#org_b"}], "ComparisonOperator": "EQ"}},
            )["Items"]
        )
        == 20
    )
    assert client.deferred_reads > 0
    assert [outcome.kind.value for outcome in first] == ["inserted"] * 60
    assert [outcome.kind.value for outcome in second] == ["duplicate"] * 60
    assert len(repository.list_for_org("org_a")) == 60
