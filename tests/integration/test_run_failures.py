"""No run is left stuck by a failure. Whatever raises while a sync page or a push batch is processed (a
classifier crash, a topic store fault, a mapper bug, a DynamoDB error, a platform adapter bug) answers
200 with a generic ``error``, releases the page or the claims at once, counts an attempt and sets the
run's ``lastError`` without the exception's text; the run is ``failed`` after the attempt limit and the
connection can start a new run. A DynamoDB throttle answers 503 with ``Retry-After`` and releases too.

Faults are injected by wrapping real adapters (the repositories, the DynamoDB client, the classifier,
the platform destination) so that one chosen call raises; the lease stays at its real length, so a
next call that processes the page at once proves the page was released."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from connections.adapters.dynamodb.push_repository import DynamoPushRepository, activation_key
from connections.adapters.dynamodb.topic_repository import TOPIC_PREFIX_SK, DynamoTopicRepository
from connections.domain.push_service import MAX_PUSH_ATTEMPTS
from connections.domain.sync_service import MAX_PAGE_ATTEMPTS
from connections.domain.unexpected_failures import INTERNAL_ERROR
from local.provision import LocalResources
from local.scheduled_syncs import SCHEDULED_SYNC_FUNCTION, SqsPageWorker, invoke_function
from tests.fakes.platforms import CUSTOM_SEGMENTS_PATH, custom_api_fake
from tests.fakes.segment_catalogue import SegmentCatalogue, catalogue_items, segment_catalogue
from tests.integration.conftest import ApiClient, create_inbound_connection, create_outbound_connection, create_topics
from tests.support.scheduled_syncs import peek_bodies, queue_messages, scheduled_event, use_scheduled_syncs

ORG = "org_a"
# Text the injected exceptions carry, as item data or a platform's answer would: it never reaches a caller.
LEAKED = "leaked-item-text-7f3a"


class InjectedFault(Exception):
    """A bug somewhere below the service."""


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code}: {LEAKED}"}}, "Injected")


class FaultyDynamoDb:
    """A real DynamoDB client whose ``operation`` raises ClientError ``code`` while armed (for calls
    ``when`` accepts); ``times`` faults at most, then it is a plain client again."""

    def __init__(
        self, operation: str, code: str, when: Callable[[dict], bool] = lambda _: True, times: int = 1000
    ) -> None:
        self._client = boto3.client("dynamodb")
        self.operation, self.code, self.when, self.times = operation, code, when, times
        self.armed = False
        self.fired = 0

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)
        if name != self.operation:
            return real

        def call(**kwargs: Any) -> Any:
            if self.armed and self.fired < self.times and self.when(kwargs):
                self.fired += 1
                raise client_error(self.code)
            return real(**kwargs)

        return call


# -- sync pages ---------------------------------------------------------------------------------------


class Faults:
    """A scenario's switch, and how often its fault fired (FaultyDynamoDb has the same two)."""

    def __init__(self) -> None:
        self.fired = 0
        self.armed = True


def classifier_raises(monkeypatch: pytest.MonkeyPatch, aws: LocalResources) -> Faults:
    from connections import wiring

    faults, real = Faults(), wiring.classifier()

    class CrashingClassifier:
        def classify_many(self, items: Any) -> Any:
            if faults.armed:
                faults.fired += 1
                raise InjectedFault(LEAKED)
            return real.classify_many(items)

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    monkeypatch.setattr(wiring, "classifier", CrashingClassifier)
    return faults


def topic_repository_raises(monkeypatch: pytest.MonkeyPatch, aws: LocalResources) -> Faults:
    from connections import wiring

    faults = Faults()

    class CrashingTopics(DynamoTopicRepository):
        def ingest(self, *args: Any, **kwargs: Any) -> Any:
            if faults.armed:
                faults.fired += 1
                raise KeyError(LEAKED)
            return super().ingest(*args, **kwargs)

        def get_many(self, *args: Any, **kwargs: Any) -> Any:
            if faults.armed:
                faults.fired += 1
                raise KeyError(LEAKED)
            return super().get_many(*args, **kwargs)

    topics = CrashingTopics(aws.table_name)
    monkeypatch.setattr(wiring, "topic_repository", lambda: topics)
    return faults


def mapper_raises(monkeypatch: pytest.MonkeyPatch, aws: LocalResources) -> Faults:
    """A hostile item that sends the field mapper into unbounded recursion."""
    from connections.domain import sync_service as sync_module

    faults, real = Faults(), sync_module.map_item

    def map_item(item: Any, mappings: Any) -> Any:
        if faults.armed and isinstance(item, dict) and item.get("id") == "seg-1":
            faults.fired += 1
            raise RecursionError(f"maximum recursion depth exceeded in {LEAKED}")
        return real(item, mappings)

    monkeypatch.setattr(sync_module, "map_item", map_item)
    return faults


def dynamodb_fails_during_ingest(monkeypatch: pytest.MonkeyPatch, aws: LocalResources) -> FaultyDynamoDb:
    """The write of the page's topics (with their keys) fails for a fault in the request, not an outage
    (DynamoDB's server errors are a 503: test_storage_unavailable.py)."""
    from connections import wiring

    def writes_topics(request: dict) -> bool:
        return f"'{TOPIC_PREFIX_SK}" in str(request)

    client = FaultyDynamoDb("transact_write_items", "ValidationException", when=writes_topics)
    client.armed = True
    topics = DynamoTopicRepository(aws.table_name, client)
    monkeypatch.setattr(wiring, "topic_repository", lambda: topics)
    return client


# Each injects its fault and returns what counts it (``fired``) and switches it (``armed``).
SYNC_FAULTS: dict[str, Callable[[pytest.MonkeyPatch, LocalResources], Any]] = {
    "classifier": classifier_raises,
    "topic repository": topic_repository_raises,
    "mapper": mapper_raises,
    "dynamodb during ingest": dynamodb_fails_during_ingest,
}


@pytest.fixture
def catalogue(monkeypatch: pytest.MonkeyPatch) -> Iterator[SegmentCatalogue]:
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")
    items, _ = catalogue_items(250)
    with segment_catalogue(items) as served:
        yield served


def start_sync(api: ApiClient, connection_id: str) -> str:
    response = api.post(f"/api/connections/{connection_id}/sync/run")
    assert response.status in (200, 201), response.text
    return str(response.json()["runId"])


def page_record(run_id: str, page: int) -> Any:
    from connections import wiring

    return wiring.sync_run_repository().pages(ORG, run_id).get(page)


@pytest.mark.parametrize("fault", list(SYNC_FAULTS))
def test_a_failing_page_is_released_counted_and_fails_the_run_at_the_limit(
    aws: LocalResources, api: ApiClient, catalogue: SegmentCatalogue, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    faults = SYNC_FAULTS[fault](monkeypatch, aws)
    connection_id = create_inbound_connection(api, catalogue)
    run_id = start_sync(api, connection_id)
    page_url = f"/api/connections/{connection_id}/sync/run/{run_id}/page"

    for attempt in range(1, MAX_PAGE_ATTEMPTS + 1):
        fired_before = faults.fired
        response = api.post(page_url, {"page": 1})
        body = response.json()

        assert response.status == 200, response.text
        assert faults.fired > fired_before  # processed at once: the previous failure released the lease
        assert LEAKED not in response.text
        record = page_record(run_id, 1)
        assert record.attempts == attempt
        assert record.lease_expires == 0
        if attempt < MAX_PAGE_ATTEMPTS:
            assert (body["error"], body["retryable"]) == (INTERNAL_ERROR, True)
            assert body["run"]["status"] == "running"
            assert body["run"]["lastError"] == f"Page 1: {INTERNAL_ERROR}"

    assert body["retryable"] is False
    assert body["error"] == f"Page 1 failed {MAX_PAGE_ATTEMPTS} times: {INTERNAL_ERROR}"
    status = api.get(f"/api/connections/{connection_id}/sync/run/{run_id}/status").json()
    assert (status["status"], status["lastError"]) == ("failed", body["error"])
    assert status["completedAt"] is not None
    # The failed run no longer holds the connection: a new run starts and, fault gone, completes.
    faults.armed = False
    next_run = start_sync(api, connection_id)
    for _ in range(3):
        assert api.post(f"/api/connections/{connection_id}/sync/run/{next_run}/page").status == 200
    final = api.get(f"/api/connections/{connection_id}/sync/run/{next_run}/status").json()
    assert (final["status"], final["processedPages"]) == ("completed", 3)
    assert final["successCount"] + final["duplicateCount"] + final["errorCount"] == 250


def test_an_unexpected_failure_is_logged_with_its_type_but_not_its_text(
    aws: LocalResources, api: ApiClient, catalogue: SegmentCatalogue, monkeypatch: pytest.MonkeyPatch, captured_logs
) -> None:
    classifier_raises(monkeypatch, aws)
    connection_id = create_inbound_connection(api, catalogue)
    run_id = start_sync(api, connection_id)

    assert api.post(f"/api/connections/{connection_id}/sync/run/{run_id}/page").status == 200

    logs = captured_logs.getvalue()
    assert "failed unexpectedly: InjectedFault" in logs
    assert "classify_many" in logs  # the traceback's frames
    assert LEAKED not in logs


def test_a_throttle_during_a_page_answers_503_and_releases_the_page_without_an_attempt(
    aws: LocalResources, api: ApiClient, catalogue: SegmentCatalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connections import wiring

    client = FaultyDynamoDb(
        "transact_write_items",
        "ProvisionedThroughputExceededException",
        when=lambda request: f"'{TOPIC_PREFIX_SK}" in str(request),
        times=1,
    )
    topics = DynamoTopicRepository(aws.table_name, client)
    monkeypatch.setattr(wiring, "topic_repository", lambda: topics)
    connection_id = create_inbound_connection(api, catalogue)
    run_id = start_sync(api, connection_id)
    page_url = f"/api/connections/{connection_id}/sync/run/{run_id}/page"
    client.armed = True

    throttled = api.post(page_url, {"page": 1})
    record = page_record(run_id, 1)
    retried = api.post(page_url, {"page": 1})

    assert client.fired == 1
    assert throttled.status == 503
    assert {name.lower(): value for name, value in throttled.headers.items()}["retry-after"] == "2"
    assert LEAKED not in throttled.text
    assert (record.attempts, record.lease_expires) == (0, 0)
    # Released: the very next call processes the page (no waiting out the lease), counted once.
    assert retried.status == 200, retried.text
    assert retried.json()["fetched"] == 100
    assert (retried.json()["run"]["processedPages"], retried.json()["run"]["lastError"]) == (1, None)


def test_a_failure_that_cannot_be_recorded_still_answers_the_first_failure(
    aws: LocalResources, api: ApiClient, catalogue: SegmentCatalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connections import wiring
    from connections.adapters.dynamodb.sync_run_repository import DynamoSyncRunRepository

    faults = classifier_raises(monkeypatch, aws)
    # Every transaction fails (DynamoDB is down for writes): the page's failure cannot be written.
    client = FaultyDynamoDb("transact_write_items", "InternalServerError")
    runs = DynamoSyncRunRepository(aws.table_name, client)
    monkeypatch.setattr(wiring, "sync_run_repository", lambda: runs)
    connection_id = create_inbound_connection(api, catalogue)
    run_id = start_sync(api, connection_id)
    client.armed = True

    response = api.post(f"/api/connections/{connection_id}/sync/run/{run_id}/page", {"page": 1})

    assert faults.fired == 1 and client.fired >= 1
    assert response.status == 200, response.text
    assert (response.json()["error"], response.json()["retryable"]) == (INTERNAL_ERROR, True)
    assert LEAKED not in response.text
    # Nothing recorded: the page stays leased until its lease lapses, and the next call takes page 2.
    client.armed = False
    faults.armed = False
    record = page_record(run_id, 1)
    assert record.attempts == 0 and record.lease_expires > 0
    assert api.post(f"/api/connections/{connection_id}/sync/run/{run_id}/page").json()["page"] == 2


# -- the scheduled sync page worker --------------------------------------------------------------------


def test_the_page_worker_reports_only_the_failing_page_and_its_run_fails_at_the_limit(
    aws: LocalResources, api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connections import wiring

    use_scheduled_syncs(monkeypatch, aws)
    boto3.client("sqs").set_queue_attributes(QueueUrl=aws.sync_page_queue_url, Attributes={"VisibilityTimeout": "1"})
    real = wiring.classifier()
    fired = []

    class CrashingOnPageTwo:
        def classify_many(self, items: Any) -> Any:
            if any(item.name.endswith("#150") for item in items):
                fired.append(1)
                raise InjectedFault(LEAKED)
            return real.classify_many(items)

    monkeypatch.setattr(wiring, "classifier", CrashingOnPageTwo)
    items, _ = catalogue_items(450)
    with segment_catalogue(items) as catalogue:
        connection_id = create_inbound_connection(api, catalogue, schedule="rate(1 hour)")
        started = dict(invoke_function(SCHEDULED_SYNC_FUNCTION, scheduled_event(ORG, connection_id, None)))
        worker = SqsPageWorker(aws.sync_page_queue_url, batch_size=10)

        first = worker.poll_once()
        after_first = page_record(started["runId"], 2)
        give_up = time.monotonic() + 60
        while queue_messages(aws.sync_page_queue_url):  # the failing page comes back after 1 s each time
            assert time.monotonic() < give_up, "the page queue did not drain"
            if worker.poll_once().received == 0:
                time.sleep(0.2)
        final = api.get(f"/api/connections/{connection_id}/sync/run/{started['runId']}/status").json()
        next_run = dict(invoke_function(SCHEDULED_SYNC_FUNCTION, scheduled_event(ORG, connection_id, None)))

    # One batch of five pages: only page 2 is a batch item failure, the other four are done.
    assert (first.received, first.failed, first.deleted) == (5, 1, 4)
    assert (after_first.attempts, after_first.lease_expires) == (1, 0)
    assert len(fired) == MAX_PAGE_ATTEMPTS
    assert final["status"] == "failed"
    assert final["lastError"] == f"Page 2 failed {MAX_PAGE_ATTEMPTS} times: {INTERNAL_ERROR}"
    assert (final["processedPages"], final["successCount"]) == (4, 350)
    assert LEAKED not in str(final) + str(peek_bodies(aws.sync_page_dead_letter_queue_url))
    assert next_run["status"] == "started"


# -- push batches --------------------------------------------------------------------------------------


@pytest.fixture
def push_connection(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[str], Any]]:
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")
    topic_ids = create_topics(api, "Pet Owners > Dogs", 3)
    with custom_api_fake() as fake:
        yield create_outbound_connection(api, fake), topic_ids, fake


def start_push(api: ApiClient, connection_id: str, topic_ids: list[str]) -> str:
    response = api.post(f"/api/connections/{connection_id}/push/run", {"segmentIds": topic_ids})
    assert response.status == 200, response.text
    return str(response.json()["runId"])


def push_attempts(connection_id: str, topic_id: str) -> int:
    from connections.settings import settings

    item = boto3.client("dynamodb").get_item(
        TableName=settings().table_name, Key=activation_key(ORG, connection_id, topic_id), ConsistentRead=True
    )["Item"]
    assert "claimToken" not in item  # released
    return int(item.get("pushAttempts", {"N": "0"})["N"])


def destination_raises(monkeypatch: pytest.MonkeyPatch, aws: LocalResources, topic_ids: list[str]) -> Faults:
    """A platform adapter bug on the first topic only; the other two are pushed and recorded."""
    from connections import wiring

    faults, real_open = Faults(), wiring.open_destination

    class CrashingDestination:
        def __init__(self, destination: Any) -> None:
            self._destination = destination

        def create_segment(self, spec: Any, deadline: Any) -> Any:
            if faults.armed and spec.external_id == topic_ids[0]:
                faults.fired += 1
                raise KeyError(LEAKED)
            return self._destination.create_segment(spec, deadline)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._destination, name)

    monkeypatch.setattr(wiring, "open_destination", lambda connection: CrashingDestination(real_open(connection)))
    return faults


def push_topic_repository_raises(monkeypatch: pytest.MonkeyPatch, aws: LocalResources, topic_ids: list[str]) -> Faults:
    faults = topic_repository_raises(monkeypatch, aws)
    faults.armed = False  # the run's start reads the topics too
    return faults


def dynamodb_fails_recording_outcomes(
    monkeypatch: pytest.MonkeyPatch, aws: LocalResources, topic_ids: list[str]
) -> FaultyDynamoDb:
    from connections import wiring

    def records_an_outcome(request: dict) -> bool:
        return "pushedName" in request.get("ExpressionAttributeNames", {}).values()

    # A fault, not an outage: DynamoDB's server errors answer 503 (test_storage_unavailable.py).
    client = FaultyDynamoDb("update_item", "ValidationException", when=records_an_outcome)
    pushes = DynamoPushRepository(aws.table_name, client)
    monkeypatch.setattr(wiring, "push_repository", lambda: pushes)
    return client


PUSH_FAULTS: dict[str, Callable[[pytest.MonkeyPatch, LocalResources, list[str]], Any]] = {
    "topic repository": push_topic_repository_raises,
    "destination adapter": destination_raises,
    "dynamodb recording outcomes": dynamodb_fails_recording_outcomes,
}


@pytest.mark.parametrize("fault", list(PUSH_FAULTS))
def test_a_failing_push_batch_releases_its_claims_and_fails_the_run_at_the_limit(
    aws: LocalResources, api: ApiClient, push_connection, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    connection_id, topic_ids, fake = push_connection
    faults = PUSH_FAULTS[fault](monkeypatch, aws, topic_ids)
    run_id = start_push(api, connection_id, topic_ids)
    push_url = f"/api/connections/{connection_id}/push/run/{run_id}/push"
    faults.armed = True
    # With the destination bug only the first topic fails; its two siblings are pushed once and counted.
    failing = topic_ids[:1] if fault == "destination adapter" else topic_ids

    for attempt in range(1, MAX_PUSH_ATTEMPTS + 1):
        fired_before = faults.fired
        response = api.post(push_url)
        body = response.json()

        assert response.status == 200, response.text
        assert faults.fired > fired_before  # claimed at once: the previous failure gave the claims back
        assert LEAKED not in response.text
        assert [push_attempts(connection_id, topic_id) for topic_id in failing] == [attempt] * len(failing)
        if attempt < MAX_PUSH_ATTEMPTS:
            assert (body["error"], body["retryable"]) == (INTERNAL_ERROR, True)
            assert (body["run"]["status"], body["run"]["lastError"]) == ("running", INTERNAL_ERROR)

    assert body["retryable"] is False
    assert body["error"] == f"A segment's batch failed {MAX_PUSH_ATTEMPTS} times: {INTERNAL_ERROR}"
    status = api.get(f"/api/connections/{connection_id}/push/run/{run_id}/status").json()
    assert (status["status"], status["lastError"]) == ("failed", body["error"])
    if fault == "destination adapter":
        assert status["successCount"] == 2
        assert len(fake.server.requests_to("POST", CUSTOM_SEGMENTS_PATH)) == 2  # the siblings, once each
    # The failed run no longer holds the connection: a new push runs and, fault gone, completes.
    faults.armed = False
    next_run = start_push(api, connection_id, topic_ids)
    assert api.post(f"/api/connections/{connection_id}/push/run/{next_run}/push").status == 200
    final = api.get(f"/api/connections/{connection_id}/push/run/{next_run}/status").json()
    assert (final["status"], final["successCount"], final["lastError"]) == ("completed", 3, None)


def test_a_throttle_during_a_push_batch_answers_503_and_releases_the_claims_without_an_attempt(
    aws: LocalResources, api: ApiClient, push_connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connections import wiring

    connection_id, topic_ids, _fake = push_connection
    client = FaultyDynamoDb(
        "batch_get_item", "ThrottlingException", when=lambda request: TOPIC_PREFIX_SK in str(request), times=1
    )
    topics = DynamoTopicRepository(aws.table_name, client)
    monkeypatch.setattr(wiring, "topic_repository", lambda: topics)
    run_id = start_push(api, connection_id, topic_ids)
    push_url = f"/api/connections/{connection_id}/push/run/{run_id}/push"
    client.armed = True

    throttled = api.post(push_url)
    attempts = [push_attempts(connection_id, topic_id) for topic_id in topic_ids]
    retried = api.post(push_url)

    assert client.fired == 1
    assert throttled.status == 503
    assert {name.lower(): value for name, value in throttled.headers.items()}["retry-after"] == "2"
    assert LEAKED not in throttled.text
    assert attempts == [0, 0, 0]
    assert retried.status == 200, retried.text
    assert [result["status"] for result in retried.json()["results"]] == ["active"] * 3
    assert retried.json()["run"]["status"] == "completed"
