"""Outbound push runs through the real handlers (moto in-process) against the fake platforms."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.fakes.platforms import (
    CUSTOM_SEGMENTS_PATH,
    LIVERAMP_SEGMENTS_PATH,
    TTD_ELEMENTS_PATH,
    custom_api_fake,
    indexexchange_fake,
    liveramp_fake,
    tradedesk_fake,
)
from tests.integration.conftest import ApiClient, synced_liveramp_topics

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
# platform -> (fake factory, path the fake counts creates on)
PLATFORMS: dict[str, tuple[Callable[..., Any], tuple[str, str]]] = {
    "liveramp": (liveramp_fake, ("POST", LIVERAMP_SEGMENTS_PATH)),
    "tradedesk": (tradedesk_fake, ("POST", TTD_ELEMENTS_PATH)),
    "indexexchange": (indexexchange_fake, ("PUT", "s3")),  # taxonomy files: counted in the fake's inbox
    "custom_api": (custom_api_fake, ("POST", CUSTOM_SEGMENTS_PATH)),
}


@pytest.fixture
def push_api(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")  # the fakes listen on 127.0.0.1 over http
    return api


def create_topics(api: ApiClient, count: int) -> list[str]:
    ids = []
    for number in range(count):
        name = f"{SEGMENT_NAMES[number % len(SEGMENT_NAMES)]} {number}"
        response = api.post("/api/topics", {"topic_name": name, "description": f"Audience {number}"})
        assert response.status == 201, response.text
        ids.append(response.json()["id"])
    return ids


@contextmanager
def outbound_connection(api: ApiClient, platform: str, **config: Any) -> Iterator[tuple[str, Any]]:
    factory, _ = PLATFORMS[platform]
    with factory() as fake:
        body = {
            "name": f"{platform} out",
            "platform": platform,
            "direction": "outbound",
            "config": fake.outbound_config() | config,
            "credentials": fake.credentials,
        }
        response = api.post("/api/connections", body)
        assert response.status == 201, response.text
        yield response.json()["id"], fake


def push_all(api: ApiClient, connection_id: str, topic_ids: list[str], **options: Any) -> tuple[dict, list[dict]]:
    started = api.post(f"/api/connections/{connection_id}/push/run", {"segmentIds": topic_ids} | options)
    assert started.status == 200, started.text
    run_id = started.json()["runId"]
    base = f"/api/connections/{connection_id}/push/run/{run_id}"
    batches: list[dict] = []
    for _ in range(100):
        status = api.get(f"{base}/status").json()
        if status["status"] != "running":
            return status, batches
        response = api.post(f"{base}/push")
        assert response.status == 200, response.text
        batches.append(response.json())
    raise AssertionError("push run did not finish")


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_full_push_of_60_segments_per_platform(push_api: ApiClient, platform: str) -> None:
    topic_ids = [] if platform == "liveramp" else create_topics(push_api, 60)
    with outbound_connection(push_api, platform) as (connection_id, fake):
        if platform == "liveramp":  # sold on first-party segments: the topics come from the account
            topic_ids = synced_liveramp_topics(push_api, fake, 60)
        status, batches = push_all(push_api, connection_id, topic_ids)
        creates = len(fake.registered()) if platform == "indexexchange" else fake.server.count(*PLATFORMS[platform][1])

    assert status["status"] == "completed"
    assert (status["totalSegments"], status["totalBatches"]) == (60, 3)
    assert (status["successCount"], status["errorCount"], status["pendingCount"]) == (60, 0, 0)
    assert [len(batch["results"]) for batch in batches] == [25, 25, 10]
    assert creates == 60
    listed = push_api.get("/api/activations", query={"connectionId": connection_id, "limit": "100"})
    activations = listed.json()
    assert len(activations) == 60 and "link" not in listed.headers
    assert {row["status"] for row in activations} == {"active"}
    assert all(row["platformSegmentId"] and row["pushedName"] for row in activations)
    assert not any(row["stale"] for row in activations)


def test_repush_updates_the_same_activations(push_api: ApiClient) -> None:
    topic_ids = create_topics(push_api, 30)
    with outbound_connection(push_api, "custom_api") as (connection_id, fake):
        push_all(push_api, connection_id, topic_ids)
        first = push_api.get("/api/activations", query={"limit": "100"}).json()
        status, _ = push_all(push_api, connection_id, topic_ids, templateKey="name")
        second = push_api.get("/api/activations", query={"limit": "100"}).json()
        creates = fake.server.count("POST", CUSTOM_SEGMENTS_PATH)
        updates = len(fake.server.requests_to("PUT", CUSTOM_SEGMENTS_PATH + "/{segment_id}"))

    assert status["successCount"] == 30
    assert (creates, updates) == (30, 30)
    assert {row["id"] for row in first} == {row["id"] for row in second}
    assert len(second) == 30


def test_platform_refusals_are_errors_and_429s_stay_pending(push_api: ApiClient) -> None:
    topic_ids = create_topics(push_api, 30)
    with outbound_connection(push_api, "custom_api") as (connection_id, fake):
        faults = fake.server.faults("POST", CUSTOM_SEGMENTS_PATH)
        faults.status(400, body={"message": "Segment name rejected"})
        for _ in range(60):  # a 429 storm: more throttling than one batch's retries can absorb
            faults.status(429, retry_after=0)
        status, batches = push_all(push_api, connection_id, topic_ids)
        creates = fake.server.count("POST", CUSTOM_SEGMENTS_PATH)

    results = [result for batch in batches for result in batch["results"]]
    assert status["status"] == "completed"
    assert (status["successCount"], status["errorCount"], status["pendingCount"]) == (29, 1, 0)
    errors = [result for result in results if result["status"] == "error"]
    assert len(errors) == 1
    assert "Segment name rejected" in errors[0]["error"]
    assert sum(result["status"] == "pending" for result in results) >= 1
    assert creates == 29 + 1 + 60  # each segment accepted once; the refused and the throttled attempts on top


def test_ttd_create_carries_provider_ids_and_rates(push_api: ApiClient) -> None:
    topic_ids = create_topics(push_api, 5)
    with outbound_connection(push_api, "tradedesk") as (connection_id, fake):
        status, _ = push_all(push_api, connection_id, topic_ids, cpm=3.25, currency="EUR")
        elements = [request.json() for request in fake.server.requests_to("POST", TTD_ELEMENTS_PATH)]
        rates = fake.rate_batches

    assert status["successCount"] == 5
    assert {element["ProviderElementId"] for element in elements} == set(topic_ids)
    assert all(element["ProviderId"] == fake.provider_id for element in elements)
    amounts = {rate["DataRates"][0]["CPMRate"]["Amount"] for rate in rates}
    assert amounts == {3.25}
    assert {rate["DataRates"][0]["CPMRate"]["CurrencyCode"] for rate in rates} == {"EUR"}


def test_ttd_failed_lines_in_a_200_are_errors(push_api: ApiClient) -> None:
    topic_ids = create_topics(push_api, 4)
    with outbound_connection(push_api, "tradedesk") as (connection_id, fake):
        fake.refused_rates = {topic_ids[1]}
        status, batches = push_all(push_api, connection_id, topic_ids, cpm=0.01)

    results = {result["topicId"]: result for batch in batches for result in batch["results"]}
    assert (status["successCount"], status["errorCount"]) == (3, 1)
    assert results[topic_ids[1]]["status"] == "error"
    assert "CPM is below the provider floor" in results[topic_ids[1]]["error"]


def test_run_rules_cancel_and_cross_org(push_api: ApiClient, token_issuer) -> None:
    topic_ids = create_topics(push_api, 30)
    with outbound_connection(push_api, "custom_api") as (connection_id, fake):
        base = f"/api/connections/{connection_id}/push/run"
        unknown = push_api.post(base, {"segmentIds": [*topic_ids[:2], "tp_01KJA3VF80DCCVQYCP1GDKMM99"]})
        bad_template = push_api.post(base, {"segmentIds": topic_ids[:2], "templateKey": "fancy"})
        empty = push_api.post(base, {"segmentIds": []})
        headers = {"Idempotency-Key": "push-start-0000001"}
        started = push_api.post(base, {"segmentIds": topic_ids}, headers=headers).json()
        retried = push_api.post(base, {"segmentIds": topic_ids}, headers=headers).json()
        second = push_api.post(base, {"segmentIds": topic_ids[:3]})
        first_batch = push_api.post(f"{base}/{started['runId']}/push").json()
        other_org = push_api.get(f"{base}/{started['runId']}/status", token=token_issuer.token("org_b"))
        cancelled = push_api.post(f"{base}/{started['runId']}/cancel").json()
        after = push_api.post(f"{base}/{started['runId']}/push")
        creates = fake.server.count("POST", CUSTOM_SEGMENTS_PATH)

    assert unknown.status == 400
    assert "tp_01KJA3VF80DCCVQYCP1GDKMM99" in unknown.json()["error"]
    assert bad_template.status == 400
    assert empty.status == 400
    assert retried["runId"] == started["runId"]
    assert second.status == 409
    assert started["runId"] in second.json()["error"]
    assert len(first_batch["results"]) == 25
    assert other_org.status == 404
    assert (cancelled["status"], cancelled["pendingCount"]) == ("cancelled", 5)
    assert after.status == 409
    assert creates == 25
    pending = push_api.get("/api/activations", query={"status": "pending"}).json()
    assert len(pending) == 5


def test_inbound_connection_cannot_push(push_api: ApiClient) -> None:
    topic_ids = create_topics(push_api, 1)
    body = {
        "name": "In",
        "platform": "custom_api",
        "direction": "inbound",
        "config": {"base_url": "https://x.example.com", "auth_type": "none"},
    }
    connection_id = push_api.post("/api/connections", body).json()["id"]

    response = push_api.post(f"/api/connections/{connection_id}/push/run", {"segmentIds": topic_ids})

    assert response.status == 400
    assert "outbound" in response.json()["error"]


def test_activations_go_stale_when_the_name_would_change(push_api: ApiClient) -> None:
    with outbound_connection(push_api, "liveramp") as (connection_id, fake):
        topic_ids = synced_liveramp_topics(push_api, fake, 3)
        push_all(push_api, connection_id, topic_ids)
        fresh = push_api.get("/api/activations", query={"stale": "true"}).json()
        push_api.patch(f"/api/connections/{connection_id}", {"config": {"template_key": "iab_code"}})
        stale = push_api.get("/api/activations", query={"stale": "true"}).json()

    assert fresh == []
    assert len(stale) == 3
    row = stale[0]
    assert row["pushedName"] != row["currentPlatformName"]
    assert "IAB" in row["currentPlatformName"]


def test_activations_scope(push_api: ApiClient, issue_api_key) -> None:
    key = issue_api_key("org_a", "activations")
    other = issue_api_key("org_a", "sync")

    assert push_api.get("/api/activations", token=key).status == 200
    assert push_api.get("/api/activations", token=other).status == 403


def test_an_empty_template_key_is_refused_like_any_unknown_one(push_api: ApiClient) -> None:
    # An empty templateKey is not one of openapi.yaml's templates; it used to fall back to the default.
    topic_ids = create_topics(push_api, 1)
    with outbound_connection(push_api, "custom_api") as (connection_id, _fake):
        response = push_api.post(
            f"/api/connections/{connection_id}/push/run", {"segmentIds": topic_ids, "templateKey": ""}
        )

    assert response.status == 400
    assert "Unknown template ''" in response.json()["error"]


def test_a_start_key_reused_with_another_body_is_a_409_not_the_first_run(push_api: ApiClient) -> None:
    # A replay compared the retry's fingerprint with itself, so any body reusing a key got the first run.
    topic_ids = create_topics(push_api, 3)
    with outbound_connection(push_api, "custom_api") as (connection_id, _fake):
        base = f"/api/connections/{connection_id}/push/run"
        headers = {"Idempotency-Key": "push-start-reused-01"}
        started = push_api.post(base, {"segmentIds": topic_ids}, headers=headers)
        same = push_api.post(base, {"segmentIds": topic_ids}, headers=headers)
        other_body = push_api.post(base, {"segmentIds": topic_ids, "templateKey": "AAA"}, headers=headers)

    assert started.status == 200
    assert same.json()["runId"] == started.json()["runId"]
    assert other_body.status == 409
    assert other_body.json() == {"error": "Idempotency-Key was already used with a different request"}
