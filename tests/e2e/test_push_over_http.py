"""Outbound push runs over real HTTP on the local server (single-threaded moto behind it), against the
fake platforms in this process on 127.0.0.1 (the local server allows private targets)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.e2e.local_stack import LocalStack, bearer, unique_org
from tests.fakes.http_server import FakeHttpServer, FakeResponse, RecordedRequest
from tests.fakes.indexexchange_taxonomy import TaxonomyInbox
from tests.fakes.platforms import (
    CUSTOM_SEGMENTS_PATH,
    TTD_ELEMENTS_PATH,
    TTD_RATES_PATH,
    CustomApiFake,
    custom_api_fake,
    indexexchange_fake,
    tradedesk_fake,
)
from tests.support.link_pages import next_link

TOPIC_COUNT = 60  # three batches: 25, 25 and 10
BATCH_SIZES = [25, 25, 10]
BUSY = "being pushed by another call"
SEGMENT_NAMES = [
    "In-Market > Autos > SUVs",
    "HHI $100K-$150K",
    "Parents of Toddlers",
    "Frequent Business Travelers",
    "Luxury Shoppers",
    "Pet Owners > Dogs",
    "Fitness Enthusiasts",
    "Home Buyers",
]


@dataclass(frozen=True)
class PlatformFake:
    """How to run a platform's fake, where it takes creates and updates, and what in a create request
    names the segment (the topic id where the platform carries it, else the segment name)."""

    factory: Callable[..., Any]
    creates: tuple[str, str]
    updates: tuple[str, str]
    segment_key: Callable[[RecordedRequest], str]
    keyed_by_topic_id: bool


# The request-level platforms. LiveRamp sells segments only on first-party segments synced in from the
# account (tests/integration/test_liveramp_push.py drives those through the handlers); Index Exchange
# takes taxonomy files in S3 (test_index_exchange_pushes_write_taxonomy_files_to_the_bucket below).
PLATFORMS = {
    "tradedesk": PlatformFake(
        tradedesk_fake,
        ("POST", TTD_ELEMENTS_PATH),
        ("PUT", TTD_ELEMENTS_PATH),
        lambda request: request.json()["ProviderElementId"],
        keyed_by_topic_id=True,
    ),
    "custom_api": PlatformFake(
        custom_api_fake,
        ("POST", CUSTOM_SEGMENTS_PATH),
        ("PUT", CUSTOM_SEGMENTS_PATH + "/{segment_id}"),
        lambda request: request.json()["external_id"],
        keyed_by_topic_id=True,
    ),
}


class PushClient:
    """One caller of the API (a session token or an API key) over its own HTTP connection."""

    def __init__(self, stack: LocalStack, token: str) -> None:
        self.client = httpx.Client(base_url=stack.base_url, headers=bearer(token), timeout=60)

    def close(self) -> None:
        self.client.close()

    def create_topics(self, count: int) -> list[str]:
        """``count`` new topics with distinct names; their ids."""
        tag = unique_org("t")[-6:]
        ids = []
        for number in range(count):
            name = f"{SEGMENT_NAMES[number % len(SEGMENT_NAMES)]} {tag} {number}"
            response = self.client.post("/api/topics", json={"topic_name": name, "description": f"Audience {number}"})
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        return ids

    def create_outbound(self, platform: str, fake: Any) -> str:
        body = {
            "name": f"{platform} out",
            "platform": platform,
            "direction": "outbound",
            "config": fake.outbound_config(),
            "credentials": fake.credentials,
        }
        response = self.client.post("/api/connections", json=body)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def start(self, connection_id: str, topic_ids: list[str]) -> httpx.Response:
        return self.client.post(f"/api/connections/{connection_id}/push/run", json={"segmentIds": topic_ids})

    def start_run(self, connection_id: str, topic_ids: list[str]) -> str:
        response = self.start(connection_id, topic_ids)
        assert response.status_code == 200, response.text
        assert response.json()["totalSegments"] == len(topic_ids)
        return response.json()["runId"]

    def push(self, connection_id: str, run_id: str) -> httpx.Response:
        return self.client.post(f"/api/connections/{connection_id}/push/run/{run_id}/push")

    def status(self, connection_id: str, run_id: str) -> httpx.Response:
        return self.client.get(f"/api/connections/{connection_id}/push/run/{run_id}/status")

    def cancel(self, connection_id: str, run_id: str) -> httpx.Response:
        return self.client.post(f"/api/connections/{connection_id}/push/run/{run_id}/cancel")

    def drive(self, connection_id: str, run_id: str, max_calls: int = 20) -> tuple[dict[str, Any], list[dict]]:
        """Push the next batch until the run ends; the final status and every batch answer."""
        batches: list[dict] = []
        for _ in range(max_calls):
            status = self.status(connection_id, run_id)
            assert status.status_code == 200, status.text
            if status.json()["status"] != "running":
                return status.json(), batches
            response = self.push(connection_id, run_id)
            assert response.status_code == 200, response.text
            batches.append(response.json())
        raise AssertionError(f"push run {run_id} did not finish in {max_calls} batch calls")

    def activations(self, connection_id: str | None = None) -> tuple[int, list[dict[str, Any]]]:
        """How many activations there are and every one of them (of one connection, if given), read
        page by page through the Link header's next URL."""
        listed: list[dict[str, Any]] = []
        query: dict[str, Any] = {"limit": 100} | ({"connectionId": connection_id} if connection_id else {})
        url: str | None = "/api/activations?" + urlencode(query)
        for _ in range(100):
            assert url is not None
            response = self.client.get(url)
            assert response.status_code == 200, response.text
            listed += response.json()
            url = next_link(response.headers)
            if url is None:
                return len(listed), listed
        raise AssertionError("the activation listing did not end in 100 pages")


@pytest.fixture(scope="module")
def org() -> str:
    return unique_org("org_push")


@pytest.fixture(scope="module")
def session(local_stack: LocalStack, org: str) -> Iterator[PushClient]:
    client = PushClient(local_stack, local_stack.session_token(org))
    yield client
    client.close()


@pytest.fixture(scope="module")
def topic_ids(session: PushClient) -> list[str]:
    """The organisation's topics, shared by the tests of this module (activations are per connection)."""
    return session.create_topics(TOPIC_COUNT)


@contextmanager
def outbound(session: PushClient, platform: str) -> Iterator[tuple[str, Any]]:
    with PLATFORMS[platform].factory() as fake:
        yield session.create_outbound(platform, fake), fake


def creates_per_segment(platform: str, fake: Any) -> Counter[str]:
    """How often the fake was asked to create each segment, by the key its create request carries."""
    spec = PLATFORMS[platform]
    return Counter(spec.segment_key(request) for request in fake.server.requests_to(*spec.creates))


def assert_each_created_once(platform: str, fake: Any, topic_ids: list[str]) -> None:
    creates = creates_per_segment(platform, fake)
    assert [key for key, seen in creates.items() if seen > 1] == []
    assert sum(creates.values()) == len(topic_ids)
    if PLATFORMS[platform].keyed_by_topic_id:
        assert set(creates) == set(topic_ids)


def assert_completed(status: dict[str, Any], total: int) -> None:
    assert status["status"] == "completed", status
    assert (status["totalSegments"], status["successCount"], status["errorCount"], status["pendingCount"]) == (
        total,
        total,
        0,
        0,
    ), status
    assert status["totalBatches"] == -(-total // 25)
    assert status["completedAt"] is not None


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_full_push_per_platform(session: PushClient, topic_ids: list[str], platform: str) -> None:
    with outbound(session, platform) as (connection_id, fake):
        run_id = session.start_run(connection_id, topic_ids)
        status, batches = session.drive(connection_id, run_id)
        creates = fake.server.count(*PLATFORMS[platform].creates)
        assert_each_created_once(platform, fake, topic_ids)
        requests_before_retry = len(fake.server.requests)
        retried = session.push(connection_id, run_id)
        requests_after_retry = len(fake.server.requests)
        status_after_retry = session.status(connection_id, run_id).json()
        total, activations = session.activations(connection_id)

    assert_completed(status, TOPIC_COUNT)
    assert (status["processedBatches"], status["totalBatches"]) == (3, 3)
    assert [len(batch["results"]) for batch in batches] == BATCH_SIZES
    pushed = [result["topicId"] for batch in batches for result in batch["results"]]
    assert Counter(pushed) == Counter(topic_ids)
    assert {result["status"] for batch in batches for result in batch["results"]} == {"active"}
    assert all(result["platformSegmentId"] for batch in batches for result in batch["results"])
    assert batches[-1]["run"]["status"] == "completed"
    assert creates == TOPIC_COUNT

    assert retried.status_code == 409, retried.text
    assert "completed" in retried.json()["error"]
    assert requests_after_retry == requests_before_retry
    assert status_after_retry == status

    assert total == TOPIC_COUNT == len(activations)
    assert Counter(row["orgTopicId"] for row in activations) == Counter(topic_ids)
    assert {(row["status"], row["runId"], row["platform"]) for row in activations} == {("active", run_id, platform)}


def push_until_ended(stack: LocalStack, token: str, connection_id: str, run_id: str) -> tuple[Counter[str], list]:
    """Push batches until the run ends, in one thread; how the calls were answered and the results."""
    answers: Counter[str] = Counter()
    results: list[dict[str, Any]] = []
    client = PushClient(stack, token)
    try:
        for _ in range(300):
            response = client.push(connection_id, run_id)
            if response.status_code == 200:
                answers["200"] += 1
                results += response.json()["results"]
                continue
            assert response.status_code == 409, response.text
            message = response.json()["error"]
            if BUSY in message:
                answers["409 busy"] += 1
                time.sleep(0.25)  # the server's moto answers one call at a time: leave it to the pushers
                continue
            assert "completed" in message, message
            answers["409 ended"] += 1
            return answers, results
        raise AssertionError("the push run did not end")
    finally:
        client.close()


@pytest.mark.parametrize(("platform", "threads"), [("custom_api", 5)])
def test_concurrent_batch_calls_push_each_segment_once(
    local_stack: LocalStack, session: PushClient, org: str, topic_ids: list[str], platform: str, threads: int
) -> None:
    token = local_stack.session_token(org)
    with outbound(session, platform) as (connection_id, fake):
        run_id = session.start_run(connection_id, topic_ids)
        barrier = threading.Barrier(threads)

        def caller(_: int) -> tuple[Counter[str], list]:
            barrier.wait(timeout=30)
            return push_until_ended(local_stack, token, connection_id, run_id)

        with ThreadPoolExecutor(max_workers=threads) as pool:
            outcomes = list(pool.map(caller, range(threads)))
        status = session.status(connection_id, run_id).json()
        creates = fake.server.count(*PLATFORMS[platform].creates)
        assert_each_created_once(platform, fake, topic_ids)
        total, activations = session.activations(connection_id)

    answers = sum((answered for answered, _ in outcomes), Counter())
    results = [result for _, batch_results in outcomes for result in batch_results]
    assert answers["409 ended"] == threads, answers
    assert set(answers) <= {"200", "409 busy", "409 ended"}, answers
    assert Counter(result["topicId"] for result in results) == Counter(topic_ids)
    assert {result["status"] for result in results} == {"active"}
    assert_completed(status, TOPIC_COUNT)
    assert status["processedBatches"] >= 3
    assert creates == TOPIC_COUNT
    assert total == TOPIC_COUNT == len(activations)
    assert {row["status"] for row in activations} == {"active"}


def test_other_organisations_get_404(local_stack: LocalStack, session: PushClient, topic_ids: list[str]) -> None:
    intruder = PushClient(local_stack, local_stack.session_token(unique_org("org_other")))
    try:
        with outbound(session, "custom_api") as (connection_id, fake):
            run_id = session.start_run(connection_id, topic_ids[:5])
            foreign = {
                "status": intruder.status(connection_id, run_id),
                "push": intruder.push(connection_id, run_id),
                "cancel": intruder.cancel(connection_id, run_id),
                "start": intruder.start(connection_id, topic_ids[:5]),
            }
            creates_before_owner = fake.server.count("POST", CUSTOM_SEGMENTS_PATH)
            status, _ = session.drive(connection_id, run_id)
        intruder_activations = intruder.activations()
    finally:
        intruder.close()

    assert {name: response.status_code for name, response in foreign.items()} == dict.fromkeys(foreign, 404)
    assert all("error" in response.json() for response in foreign.values())
    assert creates_before_owner == 0
    assert_completed(status, 5)
    assert intruder_activations == (0, [])


def test_an_api_key_with_the_activations_scope_drives_a_run(
    local_stack: LocalStack, session: PushClient, org: str, topic_ids: list[str]
) -> None:
    pusher = PushClient(local_stack, local_stack.api_key(org, "activations"))
    syncer = PushClient(local_stack, local_stack.api_key(org, "sync"))
    topics = topic_ids[:30]
    try:
        with outbound(session, "custom_api") as (connection_id, fake):
            refused_start = syncer.start(connection_id, topics)
            run_id = pusher.start_run(connection_id, topics)
            refused_push = syncer.push(connection_id, run_id)
            status, batches = pusher.drive(connection_id, run_id)
            assert_each_created_once("custom_api", fake, topics)
            total, _ = pusher.activations(connection_id)
    finally:
        pusher.close()
        syncer.close()

    assert refused_start.status_code == 403, refused_start.text
    assert refused_push.status_code == 403, refused_push.text
    assert_completed(status, 30)
    assert [len(batch["results"]) for batch in batches] == [25, 5]
    assert total == 30


def test_a_second_run_updates_and_keeps_one_activation_per_topic_and_connection(
    session: PushClient, topic_ids: list[str]
) -> None:
    topics = topic_ids[:25]
    first_ids: dict[str, dict[str, str]] = {}
    listed: dict[str, list[dict[str, Any]]] = {}
    with outbound(session, "custom_api") as (custom_id, custom), outbound(session, "tradedesk") as (ttd_id, ttd):
        for connection_id in (custom_id, ttd_id):
            status, batches = session.drive(connection_id, session.start_run(connection_id, topics))
            assert_completed(status, 25)
            first_ids[connection_id] = {
                result["topicId"]: result["platformSegmentId"] for batch in batches for result in batch["results"]
            }
            second_run = session.start_run(connection_id, topics)
            status, _ = session.drive(connection_id, second_run)
            assert_completed(status, 25)
            total, listed[connection_id] = session.activations(connection_id)
            assert total == 25
            assert {row["runId"] for row in listed[connection_id]} == {second_run}
        assert_each_created_once("custom_api", custom, topics)
        assert_each_created_once("tradedesk", ttd, topics)
        updates = {
            "custom_api": custom.server.count(*PLATFORMS["custom_api"].updates),
            "tradedesk": ttd.server.count(*PLATFORMS["tradedesk"].updates),
        }

    assert updates == {"custom_api": 25, "tradedesk": 25}
    pairs = Counter((row["orgTopicId"], row["connectionId"]) for rows in listed.values() for row in rows)
    assert pairs == Counter((topic_id, connection_id) for topic_id in topics for connection_id in listed)
    for connection_id, rows in listed.items():
        assert {row["orgTopicId"]: row["platformSegmentId"] for row in rows} == first_ids[connection_id]
        assert {row["status"] for row in rows} == {"active"}


class GatedCustomApi(CustomApiFake):
    """A custom API whose segment creates wait at a gate until it opens, counting who is waiting."""

    def __init__(self, server: FakeHttpServer) -> None:
        self.gate = threading.Event()
        self.waiting = threading.Semaphore(0)
        super().__init__(server)

    def _create(self, request: RecordedRequest) -> FakeResponse:
        if not self.gate.is_set():
            self.waiting.release()
            self.gate.wait(timeout=20)
        return super()._create(request)


def test_a_run_started_after_cancel_does_not_create_in_flight_segments_again(
    local_stack: LocalStack, session: PushClient, org: str, topic_ids: list[str]
) -> None:
    topics = topic_ids[:10]
    with FakeHttpServer() as server:
        fake = GatedCustomApi(server)
        connection_id = session.create_outbound("custom_api", fake)
        first_run = session.start_run(connection_id, topics)
        pusher = PushClient(local_stack, local_stack.session_token(org))
        try:
            with ThreadPoolExecutor(max_workers=1) as pool:
                in_flight = pool.submit(pusher.push, connection_id, first_run)
                assert fake.waiting.acquire(timeout=30), "no segment create reached the platform"
                cancelled = session.cancel(connection_id, first_run)
                # The cancelled run's batch still holds its segments: a new run must wait for it.
                refused = session.start(connection_id, topics)
                fake.gate.set()
                first_batch = in_flight.result(timeout=60)
        finally:
            fake.gate.set()
            pusher.close()
        second_run = session.start_run(connection_id, topics)
        status, _ = session.drive(connection_id, second_run)
        creates = creates_per_segment("custom_api", fake)

    assert cancelled.status_code == 200, cancelled.text
    assert refused.status_code == 409, refused.text
    assert "still being pushed" in refused.json()["error"]
    assert first_batch.status_code == 200, first_batch.text
    assert status["status"] == "completed"
    assert [topic_id for topic_id, seen in creates.items() if seen > 1] == []


def test_ttd_rate_failure_after_the_element_is_created_is_retried_without_a_second_create(
    session: PushClient, topic_ids: list[str]
) -> None:
    topics = topic_ids[:5]
    with outbound(session, "tradedesk") as (connection_id, fake):
        fake.server.faults("POST", TTD_RATES_PATH).status(503)
        status, batches = session.drive(connection_id, session.start_run(connection_id, topics))
        creates = creates_per_segment("tradedesk", fake)

    results = [result for batch in batches for result in batch["results"]]
    assert [result.get("error") for result in results if result["status"] == "error"] == []
    assert_completed(status, 5)
    # The retry's create is refused as existing and becomes an update: one element per topic.
    assert len(fake.elements) - 3 == 5  # the fake starts with 3 elements of its own
    assert sum(creates.values()) == 6


def test_index_exchange_pushes_write_taxonomy_files_to_the_bucket(
    local_stack: LocalStack, session: PushClient, topic_ids: list[str]
) -> None:
    inbox = TaxonomyInbox(bucket=unique_org("ix").lower().replace("_", "-"), endpoint_url=local_stack.moto_url)
    with indexexchange_fake(inbox=inbox) as fake:
        connection_id = session.create_outbound("indexexchange", fake)
        run_id = session.start_run(connection_id, topic_ids)
        status, batches = session.drive(connection_id, run_id)
        retried = session.push(connection_id, run_id)
        files_after_retry = len(inbox.files())
        registered = inbox.registered()
        total, activations = session.activations(connection_id)

    assert_completed(status, TOPIC_COUNT)
    assert [len(batch["results"]) for batch in batches] == BATCH_SIZES
    assert set(registered) == set(topic_ids) and inbox.refusals == {}
    assert files_after_retry == TOPIC_COUNT  # one file per segment; the finished run writes nothing more
    assert retried.status_code == 409 and "completed" in retried.json()["error"], retried.text
    assert total == TOPIC_COUNT
    assert {row["platformSegmentId"] for row in activations} == set(topic_ids)
    assert fake.token_requests() == 0
