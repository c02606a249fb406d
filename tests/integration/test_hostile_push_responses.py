"""A platform's answers to pushes are untrusted input too: a segment id of 500 KB, FailedLines that are
not a list, error bodies nested 5,000 deep. Each is that segment's error (the batch answers 200) and
nothing out of bounds is stored on the activation."""

from __future__ import annotations

import pytest

from tests.fakes.platforms import CUSTOM_SEGMENTS_PATH, LIVERAMP_SEGMENTS_PATH, TTD_RATES_PATH
from tests.integration.conftest import ApiClient, synced_liveramp_topics
from tests.integration.test_push_runs import create_topics, outbound_connection, push_all

DEEP_5000 = b'{"error": ' + b"[" * 5000 + b"]" * 5000 + b"}"


@pytest.fixture
def push_api(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")  # the fakes listen on 127.0.0.1 over http
    return api


@pytest.mark.parametrize(
    ("platform", "path", "status", "body", "error"),
    [
        (
            "custom_api",
            CUSTOM_SEGMENTS_PATH,
            201,
            b'{"id": "' + b"x" * 500_000 + b'"}',
            "Custom API did not return the new segment's id",
        ),
        (
            "liveramp",
            LIVERAMP_SEGMENTS_PATH,
            201,
            b'{"segmentId": "' + "\U0001f600".encode() * 400 + b'"}',  # 1,600 bytes
            "LiveRamp did not return the new segment's id",
        ),
        ("liveramp", LIVERAMP_SEGMENTS_PATH, 201, b'{"segmentId": Infinity}', "Platform returned Infinity"),
        ("custom_api", CUSTOM_SEGMENTS_PATH, 400, DEEP_5000, "Platform returned HTTP 400"),
        (
            "tradedesk",
            TTD_RATES_PATH,
            200,
            b'{"BatchId": "b-1", "FailedLines": {"0": "refused"}}',
            "The Trade Desk refused the segment",
        ),
    ],
)
def test_a_hostile_answer_is_the_segments_error(
    push_api: ApiClient, platform: str, path: str, status: int, body: bytes, error: str
) -> None:
    topic_ids = [] if platform == "liveramp" else create_topics(push_api, 2)
    with outbound_connection(push_api, platform) as (connection_id, fake):
        if platform == "liveramp":  # sold on first-party segments: the topics come from the account
            topic_ids = synced_liveramp_topics(push_api, fake, 2)
        fake.server.faults("POST", path).raw(body, status=status)
        run, batches = push_all(push_api, connection_id, topic_ids)

    assert run["status"] == "completed"
    assert (run["successCount"], run["errorCount"]) == (1, 1)
    failed = [result for batch in batches for result in batch["results"] if result["status"] == "error"]
    assert len(failed) == 1
    assert failed[0]["error"].startswith(error)
    activations = push_api.get("/api/activations", query={"connectionId": connection_id}).json()
    by_status = {row["status"]: row for row in activations}
    assert set(by_status) == {"active", "error"}
    assert by_status["error"].get("platformSegmentId") is None
    assert len(by_status["active"]["platformSegmentId"]) < 100
