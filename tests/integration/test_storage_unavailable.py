"""DynamoDB failing on its side (InternalServerError, ServiceUnavailable, a connection that drops) is
answered like a throttle: 503 with Retry-After and a generic message, whichever call it hits, and work
already claimed is released without counting an attempt. Faults are injected on the boto3 client the
repositories use (the pattern of test_run_failures.py)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from connections.adapters.dynamodb.connection_repository import DynamoConnectionRepository
from connections.adapters.dynamodb.push_repository import DynamoPushRepository
from connections.adapters.dynamodb.sync_run_repository import DynamoSyncRunRepository
from connections.adapters.dynamodb.topic_repository import TOPIC_PREFIX_SK, DynamoTopicRepository
from local.provision import LocalResources
from tests.fakes.segment_catalogue import SegmentCatalogue
from tests.integration.conftest import ApiClient, create_inbound_connection
from tests.integration.test_run_failures import (
    LEAKED,
    FaultyDynamoDb,
    catalogue,  # noqa: F401 - fixture
    page_record,
    push_attempts,
    push_connection,  # noqa: F401 - fixture
    start_push,
    start_sync,
)

SERVER_ERRORS = ["InternalServerError", "ServiceUnavailable"]


class DroppedConnection(FaultyDynamoDb):
    """The connection to DynamoDB fails (after botocore's retries) instead of an error answer."""

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)
        if name != self.operation:
            return real

        def call(**kwargs: Any) -> Any:
            if self.armed and self.fired < self.times and self.when(kwargs):
                self.fired += 1
                raise EndpointConnectionError(endpoint_url=f"http://dynamodb.invalid/{LEAKED}")
            return real(**kwargs)

        return call


def faulty(code: str, operation: str, **options: Any) -> FaultyDynamoDb:
    if code == "EndpointConnectionError":
        return DroppedConnection(operation, code, **options)
    return FaultyDynamoDb(operation, code, **options)


def assert_unavailable(response: Any) -> None:
    assert response.status == 503, response.text
    assert {name.lower(): value for name, value in response.headers.items()}["retry-after"] == "2"
    assert response.json() == {"error": "The database is unavailable; retry in a moment"}
    assert LEAKED not in response.text


def sync_runs_failing(monkeypatch: pytest.MonkeyPatch, table: str, client: FaultyDynamoDb) -> None:
    from connections import wiring

    runs = DynamoSyncRunRepository(table, client)
    monkeypatch.setattr(wiring, "sync_run_repository", lambda: runs)


@pytest.mark.parametrize("code", [*SERVER_ERRORS, "EndpointConnectionError"])
def test_a_server_error_reading_the_run_answers_503_and_claims_no_page(
    aws: LocalResources,
    api: ApiClient,
    catalogue: SegmentCatalogue,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    code: str,
) -> None:
    client = faulty(code, "get_item", when=lambda request: "SYNCRUN#" in str(request["Key"]), times=2)
    sync_runs_failing(monkeypatch, aws.table_name, client)
    connection_id = create_inbound_connection(api, catalogue)
    run_id = start_sync(api, connection_id)
    client.armed = True

    status = api.get(f"/api/connections/{connection_id}/sync/run/{run_id}/status")
    page = api.post(f"/api/connections/{connection_id}/sync/run/{run_id}/page", {"page": 1})
    retried = api.post(f"/api/connections/{connection_id}/sync/run/{run_id}/page", {"page": 1})

    assert client.fired == 2
    assert_unavailable(status)
    assert_unavailable(page)
    assert page_record(run_id, 1) is None or page_record(run_id, 1).attempts == 0
    assert retried.status == 200, retried.text
    assert retried.json()["fetched"] == 100


@pytest.mark.parametrize("code", SERVER_ERRORS)
def test_a_server_error_reading_a_connection_answers_503(
    aws: LocalResources,
    api: ApiClient,
    catalogue: SegmentCatalogue,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    code: str,
) -> None:
    from connections import wiring

    connection_id = create_inbound_connection(api, catalogue)
    client = faulty(code, "get_item", times=1)
    connections = DynamoConnectionRepository(aws.table_name, client)
    monkeypatch.setattr(wiring, "connection_repository", lambda: connections)
    client.armed = True

    assert_unavailable(api.get(f"/api/connections/{connection_id}"))
    assert api.get(f"/api/connections/{connection_id}").status == 200


@pytest.mark.parametrize("code", SERVER_ERRORS)
def test_a_server_error_while_writing_a_page_releases_it_without_an_attempt(
    aws: LocalResources,
    api: ApiClient,
    catalogue: SegmentCatalogue,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    code: str,
) -> None:
    from connections import wiring

    def writes_topics(request: dict) -> bool:
        return TOPIC_PREFIX_SK in str(request)

    operation = "transact_write_items"
    client = faulty(code, operation, when=writes_topics, times=1)
    topics = DynamoTopicRepository(aws.table_name, client)
    monkeypatch.setattr(wiring, "topic_repository", lambda: topics)
    connection_id = create_inbound_connection(api, catalogue)
    run_id = start_sync(api, connection_id)
    page_url = f"/api/connections/{connection_id}/sync/run/{run_id}/page"
    client.armed = True

    failed = api.post(page_url, {"page": 1})
    record = page_record(run_id, 1)
    retried = api.post(page_url, {"page": 1})

    assert client.fired == 1
    assert_unavailable(failed)
    assert (record.attempts, record.lease_expires) == (0, 0)
    assert retried.status == 200, retried.text
    assert (retried.json()["inserted"], retried.json()["run"]["lastError"]) == (100, None)


@pytest.mark.parametrize("code", SERVER_ERRORS)
def test_a_server_error_reading_a_push_run_answers_503_and_claims_nothing(
    aws: LocalResources,
    api: ApiClient,
    push_connection: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    code: str,
) -> None:
    from connections import wiring

    connection_id, topic_ids, _fake = push_connection
    client = faulty(code, "get_item", when=lambda request: "PUSHRUN#" in str(request["Key"]), times=1)
    pushes = DynamoPushRepository(aws.table_name, client)
    monkeypatch.setattr(wiring, "push_repository", lambda: pushes)
    run_id = start_push(api, connection_id, topic_ids)
    client.armed = True

    failed = api.post(f"/api/connections/{connection_id}/push/run/{run_id}/push")
    attempts = [push_attempts(connection_id, topic_id) for topic_id in topic_ids]
    pushed = api.post(f"/api/connections/{connection_id}/push/run/{run_id}/push")

    assert client.fired == 1
    assert_unavailable(failed)
    assert attempts == [0, 0, 0]
    assert pushed.json()["run"]["status"] == "completed", pushed.text


def test_other_dynamodb_errors_are_not_taken_for_an_outage(aws: LocalResources) -> None:
    """A fault in the request (a bug) stays an error of its own: it is not answered as a retryable 503."""
    from connections.adapters.dynamodb.table_client import ThrottleTranslatingClient

    client = FaultyDynamoDb("get_item", "ValidationException")
    client.armed = True

    with pytest.raises(ClientError) as raised:
        ThrottleTranslatingClient(client).get_item(TableName=aws.table_name, Key={"pk": {"S": "x"}, "sk": {"S": "y"}})
    assert raised.value.response["Error"]["Code"] == "ValidationException"
