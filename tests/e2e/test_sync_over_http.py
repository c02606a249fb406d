"""Whole inbound syncs over real HTTP on the local server (single-threaded moto behind it), against a
fake segment catalogue in this process on 127.0.0.1 (the local server allows private targets).

Kept quick on moto: a library is checked with one listing (its total) plus one projected read of
every stored topic item (over the organisation's topic shards); and moto's
work per call grows with the whole table (a query sorts every item), so the 1,050-item sync runs
early, while the session's table is still small.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import boto3
import httpx
import pytest

from connections.adapters.dynamodb.item_codec import from_item
from connections.adapters.dynamodb.keys import TOPIC_SHARDS, topic_partition
from connections.adapters.dynamodb.topic_repository import TOPIC_PREFIX_SK
from local.dev_stack import TABLE_NAME
from tests.e2e.local_stack import LocalStack, bearer, unique_org
from tests.fakes.http_server import FakeHttpServer, FakeResponse, RecordedRequest
from tests.fakes.segment_catalogue import CATALOGUE_CREDENTIALS, CATALOGUE_PATH, SegmentCatalogue, catalogue_items

pytestmark = pytest.mark.e2e

PAGE_SIZE = 100
BUSY = "being processed"
TIER1 = {"Demographic", "Interest", "Purchase Intent"}


class Catalogue(SegmentCatalogue):
    """The segment catalogue, with pages that can be made to fail (HTTP 500) until they are let pass,
    and answers that can be held back until ``released`` is set."""

    failing_pages: set[int]
    released: threading.Event

    def answer(self, request: RecordedRequest) -> FakeResponse:
        self.released.wait(timeout=30)
        if _page_number(request) in self.failing_pages:
            return FakeResponse.json({"error": "internal error"}, status=500)
        return super().answer(request)

    def fetches_per_page(self) -> Counter[int]:
        """How often each page of a run was asked for, however it was answered."""
        numbers = (_page_number(request) for request in self.server.requests_to("GET", CATALOGUE_PATH))
        return Counter(number for number in numbers if number is not None)


def _page_number(request: RecordedRequest) -> int | None:
    if request.query.get("page_size") != [str(PAGE_SIZE)]:
        return None  # the one-item probe a run starts with to learn the total
    return int(request.query["page"][0])


@contextmanager
def catalogue(items: list[dict[str, Any]]) -> Iterator[Catalogue]:
    """A running catalogue of ``items`` on 127.0.0.1, pages numbered from 1."""
    with FakeHttpServer() as server:
        served = Catalogue(server, items)
        served.failing_pages = set()
        served.released = threading.Event()
        served.released.set()
        server.route("GET", CATALOGUE_PATH, served.answer)
        yield served


class SyncClient:
    """One caller of the API (a session token or an API key) with its own HTTP connection."""

    def __init__(self, stack: LocalStack, token: str) -> None:
        self.client = httpx.Client(base_url=stack.base_url, headers=bearer(token), timeout=60)

    def close(self) -> None:
        self.client.close()

    def create_inbound(self, served: Catalogue) -> str:
        body = {
            "name": "Seller catalogue",
            "platform": "custom_api",
            "direction": "inbound",
            "config": served.config(page_size=PAGE_SIZE),
            "credentials": CATALOGUE_CREDENTIALS,
        }
        response = self.client.post("/api/connections", json=body)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def start(self, connection_id: str) -> httpx.Response:
        return self.client.post(f"/api/connections/{connection_id}/sync/run")

    def start_run(self, connection_id: str) -> str:
        response = self.start(connection_id)
        assert response.status_code == 200, response.text
        return response.json()["runId"]

    def page(self, connection_id: str, run_id: str, page: int | None = None) -> httpx.Response:
        body = None if page is None else {"page": page}
        return self.client.post(f"/api/connections/{connection_id}/sync/run/{run_id}/page", json=body)

    def status(self, connection_id: str, run_id: str) -> dict[str, Any]:
        response = self.client.get(f"/api/connections/{connection_id}/sync/run/{run_id}/status")
        assert response.status_code == 200, response.text
        return response.json()

    def cancel(self, connection_id: str, run_id: str) -> httpx.Response:
        return self.client.post(f"/api/connections/{connection_id}/sync/run/{run_id}/cancel")

    def drive(self, connection_id: str, run_id: str, max_calls: int = 30) -> tuple[dict[str, Any], list[dict]]:
        """Call for the next page until the run ends; its final status and every page answer."""
        pages: list[dict] = []
        running = self.status(connection_id, run_id)["status"] == "running"
        while running:
            assert len(pages) < max_calls, f"run {run_id} did not end in {max_calls} page calls"
            response = self.page(connection_id, run_id)
            assert response.status_code == 200, response.text
            pages.append(response.json())
            running = pages[-1]["run"]["status"] == "running"
        return self.status(connection_id, run_id), pages

    def topics(self, page: int = 1) -> dict[str, Any]:
        response = self.client.get("/api/topics", params={"page": page, "pageSize": 100})
        assert response.status_code == 200, response.text
        return response.json()

    def all_topics(self) -> list[dict[str, Any]]:
        """Every topic of the library through the API, following nextCursor."""
        listed: list[dict[str, Any]] = []
        cursor = None
        for _ in range(100):
            params: dict[str, Any] = {"pageSize": 100} | ({"cursor": cursor} if cursor else {})
            response = self.client.get("/api/topics", params=params)
            assert response.status_code == 200, response.text
            body = response.json()
            listed += body["topics"]
            cursor = body["nextCursor"]
            if cursor is None:
                return listed
        raise AssertionError("the library did not end")


def stored_topics(stack: LocalStack, org_id: str) -> list[dict[str, Any]]:
    """Every topic item of an organisation in the table, with the fields the checks need."""
    client = boto3.client(
        "dynamodb",
        endpoint_url=stack.moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    found = []
    for shard in range(TOPIC_SHARDS):
        pages = client.get_paginator("query").paginate(
            TableName=TABLE_NAME,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :topic)",
            ExpressionAttributeValues={
                ":pk": {"S": topic_partition(org_id, shard)},
                ":topic": {"S": TOPIC_PREFIX_SK},
            },
            ProjectionExpression="#name, nameKey, externalId, connectionId, "
            "classification.iabCode, classification.tier1, classification.engineVersion",
            ExpressionAttributeNames={"#name": "name"},
            ConsistentRead=True,
        )
        found += [from_item(item) for page in pages for item in page["Items"]]
    return found


@pytest.fixture
def org() -> str:
    return unique_org("org_sync")


@pytest.fixture
def session(local_stack: LocalStack, org: str) -> Iterator[SyncClient]:
    client = SyncClient(local_stack, local_stack.session_token(org))
    yield client
    client.close()


def assert_counts(status: dict[str, Any], expected: dict[str, int]) -> None:
    assert status["status"] == "completed", status
    assert (status["successCount"], status["duplicateCount"], status["errorCount"]) == (
        expected["unique"],
        expected["duplicates"],
        expected["errors"],
    ), status
    assert status["successCount"] + status["duplicateCount"] + status["errorCount"] == status["totalItems"]
    assert status["processedPages"] == status["totalPages"]
    assert status["lastError"] is None
    assert status["completedAt"] is not None


def assert_library(stack: LocalStack, client: SyncClient, org_id: str, connection_id: str, unique: int) -> None:
    """The API's total is the unique count, and the stored topics are exactly that many, each
    classified, none sharing a name or an external id."""
    listed = client.topics()
    assert listed["total"] == unique
    assert {topic["connectionId"] for topic in listed["topics"]} == {connection_id}
    for topic in listed["topics"]:
        assert topic["source"] == "sync"
        assert topic["iabCode"] and topic["tier1"] in TIER1 and topic["engineVersion"], topic
    stored = stored_topics(stack, org_id)
    assert len(stored) == unique
    for field in ("name", "nameKey", "externalId"):
        repeated = [value for value, seen in Counter(topic[field] for topic in stored).items() if seen > 1]
        assert not repeated, f"topics sharing a {field}: {repeated[:5]}"
    assert {topic["connectionId"] for topic in stored} == {connection_id}
    unclassified = [
        topic["name"]
        for topic in stored
        if not (
            topic.get("classification", {}).get("iabCode")
            and topic["classification"].get("tier1") in TIER1
            and topic["classification"].get("engineVersion")
        )
    ]
    assert not unclassified, unclassified[:5]


def call_until_done(stack: LocalStack, token: str, connection_id: str, run_id: str) -> Counter[str]:
    """Call for the next page until the run has ended; how the calls were answered."""
    answers: Counter[str] = Counter()
    client = SyncClient(stack, token)
    try:
        for _ in range(200):
            response = client.page(connection_id, run_id)
            if response.status_code == 200:
                answers["200 error" if "error" in response.json() else "200 page"] += 1
                continue
            assert response.status_code == 409, response.text
            message = response.json()["error"]
            if BUSY in message:  # every open page is leased by another caller: poll, as a client would
                answers["409 busy"] += 1
                time.sleep(0.5)
                continue
            assert "completed" in message, message
            answers["409 ended"] += 1
            return answers
        raise AssertionError("the run did not end")
    finally:
        client.close()


def test_the_same_page_posted_at_once_is_processed_once(local_stack: LocalStack, session: SyncClient, org: str) -> None:
    items, expected = catalogue_items(200, duplicate_every=20, bad_every=45)
    callers = 5
    token = local_stack.session_token(org)
    barrier = threading.Barrier(callers)

    def post_page_two(_: int) -> httpx.Response:
        client = SyncClient(local_stack, token)
        try:
            client.client.get("/openapi.json")  # connected before the race starts
            barrier.wait(timeout=30)
            return client.page(connection_id, run_id, 2)
        finally:
            client.close()

    with catalogue(items) as served:
        connection_id = session.create_inbound(served)
        run_id = session.start_run(connection_id)
        with ThreadPoolExecutor(max_workers=callers) as pool:
            responses = list(pool.map(post_page_two, range(callers)))
        after_race = session.status(connection_id, run_id)
        fetched_in_race = served.fetches_per_page()
        final, pages = session.drive(connection_id, run_id)
        fetches = served.fetches_per_page()

    answered = [response.json() for response in responses if response.status_code == 200]
    busy = [response.json() for response in responses if response.status_code == 409]
    assert len(answered) + len(busy) == callers, [(r.status_code, r.text) for r in responses]
    assert all(BUSY in body["error"] for body in busy), busy
    assert answered, "no caller got the page's result"
    results = [{key: body[key] for key in ("page", "fetched", "inserted", "duplicates", "errors")} for body in answered]
    assert all(result == results[0] for result in results), results
    assert (results[0]["page"], results[0]["fetched"]) == (2, 100)
    assert fetched_in_race == Counter({2: 1})
    assert after_race["processedPages"] == 1
    assert (after_race["successCount"], after_race["duplicateCount"], after_race["errorCount"]) == (
        results[0]["inserted"],
        results[0]["duplicates"],
        results[0]["errors"],
    )
    # Every answer's run already counts the page, including the answers of callers that waited for it.
    assert [(body["run"]["processedPages"], body["run"]["successCount"]) for body in answered] == [
        (1, results[0]["inserted"])
    ] * len(answered)
    assert [page["page"] for page in pages] == [1]
    assert fetches == Counter({1: 1, 2: 1})
    assert_counts(final, expected)
    listed = session.all_topics()
    names = [topic["name"] for topic in listed]
    assert len(listed) == expected["unique"] == len(set(names))
    assert_library(local_stack, session, org, connection_id, expected["unique"])


def test_full_sync_of_1050_items_over_11_pages(local_stack: LocalStack, session: SyncClient, org: str) -> None:
    items, expected = catalogue_items(1050, duplicate_every=50, bad_every=70)
    with catalogue(items) as served:
        connection_id = session.create_inbound(served)
        started = session.start(connection_id)
        assert started.status_code == 200, started.text
        run_id = started.json()["runId"]
        status, pages = session.drive(connection_id, run_id)
        fetches = served.fetches_per_page()

    assert started.json() == {"runId": run_id, "totalItems": 1050, "totalPages": 11, "status": "running"}
    assert_counts(status, expected)
    assert (status["totalItems"], status["totalPages"]) == (1050, 11)
    assert [page["page"] for page in pages] == list(range(1, 12))
    assert [page["fetched"] for page in pages] == [100] * 10 + [50]
    assert sum(page["inserted"] for page in pages) == expected["unique"]
    assert sum(page["duplicates"] for page in pages) == expected["duplicates"]
    assert sum(page["errors"] for page in pages) == expected["errors"]
    assert pages[-1]["run"]["status"] == "completed"
    samples = [sample for page in pages for sample in page["errorSamples"]]
    assert len(samples) == expected["errors"]
    assert {sample["reason"] for sample in samples} == {"item has no usable name (topic_name)"}
    assert fetches == Counter(range(1, 12))
    assert_library(local_stack, session, org, connection_id, expected["unique"])


def test_concurrent_next_page_calls_process_each_page_once(
    local_stack: LocalStack, session: SyncClient, org: str
) -> None:
    items, expected = catalogue_items(500, duplicate_every=40, bad_every=90)
    threads = 6
    token = local_stack.session_token(org)
    with catalogue(items) as served:
        connection_id = session.create_inbound(served)
        run_id = session.start_run(connection_id)
        with ThreadPoolExecutor(max_workers=threads) as pool:
            outcomes = list(
                pool.map(lambda _: call_until_done(local_stack, token, connection_id, run_id), range(threads))
            )
        fetches = served.fetches_per_page()
    status = session.status(connection_id, run_id)

    answers = sum(outcomes, Counter())
    assert set(answers) <= {"200 page", "409 busy", "409 ended"}, answers
    assert answers["200 page"] == 5, answers
    assert answers["409 ended"] == threads, answers
    assert fetches == Counter(range(1, 6)), fetches
    assert_counts(status, expected)
    assert_library(local_stack, session, org, connection_id, expected["unique"])


def test_a_page_that_fails_on_the_platform_is_retried(local_stack: LocalStack, session: SyncClient, org: str) -> None:
    items, expected = catalogue_items(200, duplicate_every=30, bad_every=60)
    with catalogue(items) as served:
        connection_id = session.create_inbound(served)
        run_id = session.start_run(connection_id)
        first = session.page(connection_id, run_id).json()
        served.failing_pages.add(2)
        failed = session.page(connection_id, run_id)
        during = session.status(connection_id, run_id)
        failed_fetches = served.fetches_per_page()[2]
        served.failing_pages.clear()
        final, pages = session.drive(connection_id, run_id)
        fetches = served.fetches_per_page()

    assert first["page"] == 1
    assert failed.status_code == 200, failed.text
    body = failed.json()
    assert body["page"] == 2
    assert "500" in body["error"]
    assert body["retryable"] is True
    assert body["run"]["status"] == "running"
    assert during["status"] == "running"
    assert "500" in during["lastError"]
    assert during["processedPages"] == 1
    assert during["successCount"] + during["duplicateCount"] + during["errorCount"] == 100
    assert [page["page"] for page in pages] == [2]
    assert failed_fetches >= 1
    # The failed attempts, then exactly one fetch that was answered.
    assert fetches == Counter({1: 1, 2: failed_fetches + 1})
    assert_counts(final, expected)
    assert_library(local_stack, session, org, connection_id, expected["unique"])


def test_cancel_mid_run_stops_page_calls(session: SyncClient) -> None:
    items, _expected = catalogue_items(300)
    with catalogue(items) as served:
        connection_id = session.create_inbound(served)
        run_id = session.start_run(connection_id)
        first = session.page(connection_id, run_id)
        cancelled = session.cancel(connection_id, run_id)
        next_page = session.page(connection_id, run_id)
        named_page = session.page(connection_id, run_id, 3)
        cancelled_again = session.cancel(connection_id, run_id)
        status = session.status(connection_id, run_id)
        fetches = served.fetches_per_page()
        restarted = session.start(connection_id)

    assert first.status_code == 200, first.text
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert next_page.status_code == 409
    assert "cancelled" in next_page.json()["error"]
    assert named_page.status_code == 409
    assert cancelled_again.json()["status"] == "cancelled"
    assert (status["status"], status["processedPages"], status["successCount"]) == ("cancelled", 1, 100)
    assert status["completedAt"] is not None
    assert fetches == Counter({1: 1})
    assert restarted.status_code == 200, restarted.text
    assert restarted.json()["runId"] != run_id
    assert session.topics()["total"] == 100


def test_a_page_in_flight_when_the_run_is_cancelled_is_accounted_for(
    local_stack: LocalStack, session: SyncClient, org: str
) -> None:
    token = local_stack.session_token(org)
    answer: dict[str, httpx.Response] = {}

    def process_first_page() -> None:
        client = SyncClient(local_stack, token)
        try:
            answer["page"] = client.page(connection_id, run_id)
        finally:
            client.close()

    with catalogue(catalogue_items(300)[0]) as served:
        connection_id = session.create_inbound(served)
        run_id = session.start_run(connection_id)
        served.released.clear()
        in_flight = threading.Thread(target=process_first_page)
        in_flight.start()
        for _ in range(300):  # until the page call is waiting for the catalogue's answer
            if served.fetches_per_page()[1]:
                break
            time.sleep(0.05)
        cancelled = session.cancel(connection_id, run_id)
        served.released.set()
        in_flight.join(timeout=30)
    status = session.status(connection_id, run_id)
    library = session.topics()["total"]

    assert cancelled.json()["status"] == "cancelled"
    assert status["successCount"] == library, (status, library)
    body = answer["page"].json()
    assert (body["fetched"], body["inserted"], body["run"]["status"]) == (100, 100, "cancelled"), body


def test_other_organisations_and_api_key_scopes(local_stack: LocalStack, session: SyncClient, org: str) -> None:
    items, expected = catalogue_items(150, duplicate_every=25)
    intruder = SyncClient(local_stack, local_stack.session_token(unique_org("org_other")))
    syncer = SyncClient(local_stack, local_stack.api_key(org, "sync"))
    reader = SyncClient(local_stack, local_stack.api_key(org, "topics:read"))
    try:
        with catalogue(items) as served:
            connection_id = session.create_inbound(served)
            refused = reader.start(connection_id)
            run_id = syncer.start_run(connection_id)
            foreign = [
                intruder.client.get(f"/api/connections/{connection_id}/sync/run/{run_id}/status"),
                intruder.page(connection_id, run_id),
                intruder.cancel(connection_id, run_id),
                intruder.start(connection_id),
            ]
            reader_page = reader.page(connection_id, run_id)
            final, pages = syncer.drive(connection_id, run_id)
        intruder_library = intruder.topics()
        reader_library = reader.all_topics()
    finally:
        for client in (intruder, syncer, reader):
            client.close()

    assert refused.status_code == 403, refused.text
    assert reader_page.status_code == 403
    assert [response.status_code for response in foreign] == [404, 404, 404, 404]
    assert all(set(response.json()) == {"error"} for response in foreign)
    assert len(pages) == 2
    assert_counts(final, expected)
    assert (intruder_library["total"], intruder_library["topics"]) == (0, [])
    assert len(reader_library) == expected["unique"]
    assert len({topic["name"] for topic in reader_library}) == expected["unique"]
