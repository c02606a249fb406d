"""A segment whose platform call fails for now (a 503, a 429, a timeout) stays pending and is pushed
again by the next batch, but each such failure counts as one of its attempts: a platform that never
recovers fails the push run at MAX_PUSH_ATTEMPTS with ``lastError`` set, instead of leaving it
running for ever. Against the custom API fake on 127.0.0.1, whose segment create answers 503 from a
fault queue."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connections.domain.push_service import MAX_PUSH_ATTEMPTS
from tests.fakes.platforms import CUSTOM_SEGMENTS_PATH, CustomApiFake, custom_api_fake
from tests.integration.conftest import ApiClient, create_outbound_connection, create_topics
from tests.integration.test_run_failures import push_attempts

TOPICS = 3


@pytest.fixture
def destination(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[str], CustomApiFake]]:
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")
    topic_ids = create_topics(api, "Travel > Beach Vacations", TOPICS)
    with custom_api_fake() as fake:
        yield create_outbound_connection(api, fake), topic_ids, fake


def platform_unavailable(fake: CustomApiFake, answers: int) -> None:
    queue = fake.server.faults("POST", CUSTOM_SEGMENTS_PATH)
    for _ in range(answers):
        queue.status(503, {"error": "Service temporarily unavailable"})


def start(api: ApiClient, connection_id: str, topic_ids: list[str]) -> str:
    response = api.post(f"/api/connections/{connection_id}/push/run", {"segmentIds": topic_ids})
    assert response.status == 200, response.text
    return str(response.json()["runId"])


def test_a_platform_that_keeps_failing_fails_the_run_at_the_attempt_limit(
    api: ApiClient, destination: tuple[str, list[str], CustomApiFake]
) -> None:
    connection_id, topic_ids, fake = destination
    platform_unavailable(fake, answers=1000)  # it never recovers
    run_id = start(api, connection_id, topic_ids)
    push_url = f"/api/connections/{connection_id}/push/run/{run_id}/push"

    for attempt in range(1, MAX_PUSH_ATTEMPTS + 1):
        response = api.post(push_url)
        body: dict[str, Any] = response.json()

        assert response.status == 200, response.text
        assert [result["status"] for result in body["results"]] == ["pending"] * TOPICS
        # Released at once (the next call pushes them again), each failure counted on its segment.
        assert [push_attempts(connection_id, topic_id) for topic_id in topic_ids] == [attempt] * TOPICS
        if attempt < MAX_PUSH_ATTEMPTS:
            assert body["run"]["status"] == "running"
            assert body["run"]["lastError"] == body["results"][0]["error"]
            assert "503" in body["run"]["lastError"]

    assert body["run"]["status"] == "failed"
    assert body["retryable"] is False
    assert body["error"].startswith(f"A segment's push failed {MAX_PUSH_ATTEMPTS} times: ")
    status = api.get(f"/api/connections/{connection_id}/push/run/{run_id}/status").json()
    assert (status["status"], status["lastError"]) == ("failed", body["error"])
    assert (status["successCount"], status["errorCount"]) == (0, 0)
    assert status["completedAt"] is not None
    assert len(fake.server.requests_to("POST", CUSTOM_SEGMENTS_PATH)) == TOPICS * MAX_PUSH_ATTEMPTS
    assert api.post(push_url).status == 409  # over: no more batches


def test_a_platform_that_recovers_completes_the_run_and_each_segment_is_pushed_once(
    api: ApiClient, destination: tuple[str, list[str], CustomApiFake]
) -> None:
    connection_id, topic_ids, fake = destination
    platform_unavailable(fake, answers=TOPICS * (MAX_PUSH_ATTEMPTS - 1))  # recovers just before the limit
    run_id = start(api, connection_id, topic_ids)
    push_url = f"/api/connections/{connection_id}/push/run/{run_id}/push"

    failing = [api.post(push_url).json() for _ in range(MAX_PUSH_ATTEMPTS - 1)]
    pushed = api.post(push_url).json()
    status = api.get(f"/api/connections/{connection_id}/push/run/{run_id}/status").json()

    assert [run["run"]["status"] for run in failing] == ["running"] * (MAX_PUSH_ATTEMPTS - 1)
    assert [result["status"] for result in pushed["results"]] == ["active"] * TOPICS
    assert (status["status"], status["successCount"], status["errorCount"]) == ("completed", TOPICS, 0)
    assert status["lastError"] is None  # the success clears the run's error, as after a crashed batch
    assert len(fake.pushed) == TOPICS  # created once each
    listed = api.get("/api/activations", query={"connectionId": connection_id}).json()
    assert {(row["status"], row["lastError"]) for row in listed} == {("active", None)}
    assert len(listed) == TOPICS
