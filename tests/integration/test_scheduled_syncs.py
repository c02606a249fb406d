"""Scheduled syncs through the real ScheduledSync and SyncPageWorker functions (moto in-process: SQS,
Scheduler, DynamoDB, KMS) against the fake segment catalogue, one worker polling the page queue as
Lambda's event source mapping does. Concurrent workers: test_scheduled_sync_workers.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest

from local.provision import LocalResources
from local.scheduled_syncs import SCHEDULED_SYNC_FUNCTION, SqsPageWorker, invoke_function
from tests.fakes.http_server import FakeHttpServer, FakeResponse, RecordedRequest
from tests.fakes.segment_catalogue import (
    CATALOGUE_CREDENTIALS,
    CATALOGUE_PATH,
    SegmentCatalogue,
    catalogue_items,
    segment_catalogue,
)
from tests.integration.conftest import ApiClient
from tests.support.scheduled_syncs import peek_bodies, queue_messages, scheduled_event, use_scheduled_syncs

ORG = "org_a"


@pytest.fixture
def scheduling(aws: LocalResources, monkeypatch: pytest.MonkeyPatch) -> LocalResources:
    use_scheduled_syncs(monkeypatch, aws)
    return aws


def create_scheduled(api: ApiClient, catalogue: SegmentCatalogue, schedule: str = "rate(1 hour)", **config: Any) -> str:
    body = {
        "name": "Seller catalogue",
        "platform": "custom_api",
        "direction": "inbound",
        "config": catalogue.config(**config) | {"schedule": schedule},
        "credentials": CATALOGUE_CREDENTIALS,
    }
    response = api.post("/api/connections", body)
    assert response.status == 201, response.text
    return str(response.json()["id"])


def fire(connection_id: str, scheduled_time: str | None = None, org_id: str = ORG) -> dict[str, Any]:
    """What the connection's schedule does: invoke ScheduledSync with the schedule's input."""
    return dict(invoke_function(SCHEDULED_SYNC_FUNCTION, scheduled_event(org_id, connection_id, scheduled_time)))


def status(api: ApiClient, connection_id: str, run_id: str) -> dict[str, Any]:
    response = api.get(f"/api/connections/{connection_id}/sync/run/{run_id}/status")
    assert response.status == 200, response.text
    return dict(response.json())


def drain(worker: SqsPageWorker, queue_url: str, timeout: float = 60.0) -> int:
    """Poll until the page queue is empty (failed messages come back after the visibility timeout)."""
    polls = 0
    deadline = time.monotonic() + timeout
    while queue_messages(queue_url):
        assert time.monotonic() < deadline, "the page queue did not drain"
        if worker.poll_once().received == 0:
            time.sleep(0.1)
        polls += 1
    return polls


def dead_letters(resources: LocalResources) -> list[dict[str, Any]]:
    return peek_bodies(resources.sync_page_dead_letter_queue_url)


@pytest.fixture
def catalogue() -> Iterator[SegmentCatalogue]:
    items, _ = catalogue_items(450, duplicate_every=40, bad_every=60)
    with segment_catalogue(items) as served:
        yield served


def test_scheduled_sync_starts_like_the_api_and_its_pages_complete_the_run(
    scheduling: LocalResources, api: ApiClient, catalogue: SegmentCatalogue, captured_logs
) -> None:
    _, expected = catalogue_items(450, duplicate_every=40, bad_every=60)
    connection_id = create_scheduled(api, catalogue)

    started = fire(connection_id, "2026-02-25T10:00:00Z")
    queued = peek_bodies(scheduling.sync_page_queue_url)
    running = status(api, connection_id, started["runId"])
    drain(SqsPageWorker(scheduling.sync_page_queue_url), scheduling.sync_page_queue_url)
    final = status(api, connection_id, started["runId"])

    assert started["status"] == "started" and started["runStatus"] == "running"
    assert (started["totalPages"], started["pagesEnqueued"]) == (5, 5)
    assert sorted(body["page"] for body in queued) == [1, 2, 3, 4, 5]
    assert {(body["orgId"], body["connectionId"], body["runId"]) for body in queued} == {
        (ORG, connection_id, started["runId"])
    }
    assert (running["status"], running["totalItems"]) == ("running", 450)
    assert final["status"] == "completed"
    assert final["processedPages"] == 5
    assert (final["successCount"], final["duplicateCount"], final["errorCount"]) == (
        expected["unique"],
        expected["duplicates"],
        expected["errors"],
    )
    assert api.get("/api/topics", query={"pageSize": "1"}).json()["total"] == expected["unique"]
    assert queue_messages(scheduling.sync_page_queue_url) == 0
    assert dead_letters(scheduling) == []
    # Every line the worker logged for a page names the organisation, the connection and the run.
    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines() if line.startswith("{")]
    page_lines = [line for line in lines if line.get("message") == "Sync page processed"]
    assert len(page_lines) == 5
    for line in page_lines + [line for line in lines if line.get("message") == "Scheduled sync started"]:
        assert (line["org_id"], line["connection_id"], line["run_id"]) == (ORG, connection_id, started["runId"])
    finished = [line for line in lines if line.get("message") == "Sync run completed"]
    assert len(finished) == 1 and finished[0]["run"]["successCount"] == expected["unique"]


def test_skips_say_why(scheduling: LocalResources, api: ApiClient, catalogue: SegmentCatalogue, token_issuer) -> None:
    connection_id = create_scheduled(api, catalogue)
    unscheduled = create_scheduled(api, catalogue)
    api.patch(f"/api/connections/{unscheduled}", {"config": {"schedule": None}})

    first = fire(connection_id)
    while_running = fire(connection_id)
    other_org = fire(connection_id, org_id="org_b")
    no_schedule = fire(unscheduled)
    api.delete(f"/api/connections/{connection_id}")
    deleted = fire(connection_id)
    malformed = dict(invoke_function(SCHEDULED_SYNC_FUNCTION, {"connectionId": connection_id}))

    assert first["status"] == "started"
    assert while_running["status"] == "skipped"
    assert while_running["reason"] == f"sync run {first['runId']} is already running"
    assert (other_org["status"], other_org["reason"]) == ("skipped", "connection not found")
    assert (no_schedule["status"], no_schedule["reason"]) == ("skipped", "connection has no schedule")
    assert (deleted["status"], deleted["reason"]) == ("skipped", "connection not found")
    assert (malformed["status"], malformed["reason"]) == ("skipped", "malformed event")


def test_duplicate_deliveries_change_nothing(
    scheduling: LocalResources, api: ApiClient, catalogue: SegmentCatalogue
) -> None:
    from connections.domain.sync_page_message import SyncPageMessage
    from connections.wiring import sync_page_queue

    _, expected = catalogue_items(450, duplicate_every=40, bad_every=60)
    connection_id = create_scheduled(api, catalogue)
    worker = SqsPageWorker(scheduling.sync_page_queue_url)
    started = fire(connection_id)
    messages = [SyncPageMessage(ORG, connection_id, started["runId"], page) for page in range(1, 6)]
    sync_page_queue().enqueue(messages)  # every page queued twice while the run is running

    drain(worker, scheduling.sync_page_queue_url)
    done = status(api, connection_id, started["runId"])
    fetches = catalogue.server.count("GET", CATALOGUE_PATH)
    sync_page_queue().enqueue(messages + messages)  # and delivered again after it completed
    drain(worker, scheduling.sync_page_queue_url)
    again = status(api, connection_id, started["runId"])

    assert done["status"] == "completed"
    assert (done["successCount"], done["duplicateCount"], done["errorCount"]) == (
        expected["unique"],
        expected["duplicates"],
        expected["errors"],
    )
    assert again == done
    # 1 count call and 5 page fetches, however often a page was delivered.
    assert fetches == 6
    assert catalogue.server.count("GET", CATALOGUE_PATH) == fetches
    assert api.get("/api/topics", query={"pageSize": "1"}).json()["total"] == expected["unique"]
    assert dead_letters(scheduling) == []


def test_a_retried_invocation_resumes_its_run(
    scheduling: LocalResources, api: ApiClient, catalogue: SegmentCatalogue
) -> None:
    connection_id = create_scheduled(api, catalogue)
    worker = SqsPageWorker(scheduling.sync_page_queue_url, batch_size=1)

    first = fire(connection_id, "2026-02-25T10:00:00Z")
    worker.poll_once()
    worker.poll_once()
    # Lambda retries the asynchronous invocation after the first attempt failed once its pages were queued.
    boto3.client("sqs").purge_queue(QueueUrl=scheduling.sync_page_queue_url)
    retried = fire(connection_id, "2026-02-25T10:00:00Z")
    drain(worker, scheduling.sync_page_queue_url)
    final = status(api, connection_id, first["runId"])
    late_retry = fire(connection_id, "2026-02-25T10:00:00Z")

    assert retried["runId"] == first["runId"]
    assert retried["resumed"] is True
    assert retried["pagesEnqueued"] == 3
    assert final["status"] == "completed"
    assert final["successCount"] + final["duplicateCount"] + final["errorCount"] == 450
    assert late_retry["status"] == "skipped"
    assert late_retry["reason"] == f"this occurrence already ran: run {first['runId']} is completed"


def test_without_a_total_each_full_page_queues_the_next(scheduling: LocalResources, api: ApiClient) -> None:
    items, _ = catalogue_items(250)
    with segment_catalogue(items, with_total=False) as catalogue:
        connection_id = create_scheduled(api, catalogue)
        started = fire(connection_id)
        drain(SqsPageWorker(scheduling.sync_page_queue_url), scheduling.sync_page_queue_url)
        final = status(api, connection_id, started["runId"])

    assert started["totalPages"] is None and started["pagesEnqueued"] == 1
    assert (final["status"], final["totalPages"], final["totalItems"]) == ("completed", 3, 250)
    assert final["successCount"] == 250


@contextmanager
def poisoned_catalogue(items: list[dict[str, Any]], page: int) -> Iterator[SegmentCatalogue]:
    """A catalogue that answers 422 for one page, every time."""
    with FakeHttpServer() as server:
        catalogue = SegmentCatalogue(server, items)

        def answer(request: RecordedRequest) -> FakeResponse:
            if request.query.get("page") == [str(page)]:
                return FakeResponse.json({"error": "page cannot be served"}, status=422)
            return catalogue.answer(request)

        server.route("GET", CATALOGUE_PATH, answer)
        yield catalogue


def short_visibility(resources: LocalResources, seconds: int = 1) -> None:
    boto3.client("sqs").set_queue_attributes(
        QueueUrl=resources.sync_page_queue_url, Attributes={"VisibilityTimeout": str(seconds)}
    )


def test_a_poisoned_page_lands_in_the_dead_letter_queue_and_the_rest_completes(
    scheduling: LocalResources, api: ApiClient
) -> None:
    from connections.domain.sync_service import MAX_PAGE_ATTEMPTS

    items, _ = catalogue_items(500)
    short_visibility(scheduling)
    with poisoned_catalogue(items, page=3) as catalogue:
        connection_id = create_scheduled(api, catalogue)
        started = fire(connection_id)
        drain(SqsPageWorker(scheduling.sync_page_queue_url, batch_size=1), scheduling.sync_page_queue_url)
        final = status(api, connection_id, started["runId"])
        poisoned_fetches = len(
            [r for r in catalogue.server.requests_to("GET", CATALOGUE_PATH) if r.query["page"] == ["3"]]
        )
        next_run = fire(connection_id)

    dead = dead_letters(scheduling)
    assert [body["page"] for body in dead] == [3]
    assert dead[0]["runId"] == started["runId"]
    assert poisoned_fetches == MAX_PAGE_ATTEMPTS
    assert final["status"] == "failed"
    assert final["lastError"].startswith(f"Page 3 failed {MAX_PAGE_ATTEMPTS} times")
    # The other four pages were processed and counted exactly.
    assert final["processedPages"] == 4
    assert (final["successCount"], final["duplicateCount"], final["errorCount"]) == (400, 0, 0)
    # The connection is free for its next scheduled sync.
    assert next_run["status"] == "started"


def test_a_page_that_crashes_its_last_delivery_fails_the_run(
    scheduling: LocalResources, api: ApiClient, catalogue: SegmentCatalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connections import wiring
    from connections.domain.sync_service import SyncService
    from connections.domain.unexpected_failures import INTERNAL_ERROR

    def sync_service_with_no_lease() -> SyncService:  # a crashed claim is free at once
        return SyncService(
            wiring.connection_repository(),
            wiring.sync_run_repository(),
            wiring.topic_repository(),
            wiring.open_source,
            wiring.classifier,
            page_lease_seconds=0.0,
        )

    monkeypatch.setattr(wiring, "sync_service", sync_service_with_no_lease)
    real_open_source = wiring.open_source

    class CrashingSource:
        def __init__(self, source: Any) -> None:
            self._source = source

        def fetch_page(self, page_index: int, page_size: int, deadline: Any) -> Any:
            if page_index == 1:
                raise RuntimeError("bug while reading page 2")
            return self._source.fetch_page(page_index, page_size, deadline)

        def count_items(self, deadline: Any) -> Any:
            return self._source.count_items(deadline)

    monkeypatch.setattr(wiring, "open_source", lambda connection: CrashingSource(real_open_source(connection)))
    short_visibility(scheduling)
    connection_id = create_scheduled(api, catalogue)

    started = fire(connection_id)
    drain(SqsPageWorker(scheduling.sync_page_queue_url, batch_size=1), scheduling.sync_page_queue_url)
    final = status(api, connection_id, started["runId"])

    assert [body["page"] for body in dead_letters(scheduling)] == [2]
    assert final["status"] == "failed"
    # Each crash released the page and counted as one of its attempts; the text of the crash stays out.
    assert final["lastError"] == f"Page 2 failed 5 times: {INTERNAL_ERROR}"
    assert final["processedPages"] == 4


def test_a_stalled_scheduled_run_is_replaced_but_an_api_run_is_not(
    scheduling: LocalResources, api: ApiClient, catalogue: SegmentCatalogue
) -> None:
    from connections import wiring
    from connections.domain.deadline import Deadline
    from connections.domain.scheduled_sync import ScheduledSyncs
    from connections.domain.sync_run import RunStatus

    much_later = "2999-01-01T00:00:00.000Z"
    later = ScheduledSyncs(
        wiring.sync_service(),
        wiring.connection_repository(),
        wiring.sync_run_repository(),
        wiring.sync_page_queue(),
        clock=lambda: much_later,
    )
    scheduled_id = create_scheduled(api, catalogue)
    api_driven = create_scheduled(api, catalogue)
    stalled = fire(scheduled_id)
    api_run = api.post(f"/api/connections/{api_driven}/sync/run").json()["runId"]

    replacement = later.start(ORG, scheduled_id, Deadline.after(10))
    left_alone = later.start(ORG, api_driven, Deadline.after(10))
    old = wiring.sync_run_repository().get(ORG, stalled["runId"])

    assert replacement.replaced_run_id == stalled["runId"]
    assert replacement.run is not None and replacement.run.id != stalled["runId"]
    assert old is not None and old.status is RunStatus.FAILED
    assert old.last_error is not None and old.last_error.startswith("Stalled: no page finished")
    assert left_alone.reason == f"sync run {api_run} is already running"


def test_messages_that_can_never_succeed_are_dropped(scheduling: LocalResources, api: ApiClient) -> None:
    sqs = boto3.client("sqs")
    for body in (
        "{}",
        json.dumps(
            {
                "orgId": ORG,
                "connectionId": "conn_01KJA3VF80DCCVQYCP1GDKMM40",
                "runId": "run_01KJA3VF80DCCVQYCP1GDKMM41",
                "page": 1,
            }
        ),
    ):
        sqs.send_message(QueueUrl=scheduling.sync_page_queue_url, MessageBody=body)

    result = SqsPageWorker(scheduling.sync_page_queue_url).poll_once()

    assert (result.received, result.deleted, result.failed) == (2, 2, 0)
    assert queue_messages(scheduling.sync_page_queue_url) == 0
