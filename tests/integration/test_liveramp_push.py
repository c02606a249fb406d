"""A LiveRamp push through the real handlers against the strict Data Seller API fake: topics synced
in from the account's first-party segments are sold on them, re-pushes never re-send pricing, and a
connection that LiveRamp would refuse is refused up front."""

from __future__ import annotations

import pytest

from tests.fakes.platforms import LIVERAMP_SEGMENTS_PATH
from tests.integration.conftest import ApiClient, synced_liveramp_topics
from tests.integration.test_push_runs import create_topics, outbound_connection, push_all

UPDATES = ("PATCH", LIVERAMP_SEGMENTS_PATH + "/{segment_id}")


@pytest.fixture
def push_api(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")  # the fake listens on 127.0.0.1 over http
    return api


def test_a_repush_of_distributed_segments_updates_them_without_pricing(push_api: ApiClient) -> None:
    with outbound_connection(push_api, "liveramp") as (connection_id, fake):
        topic_ids = synced_liveramp_topics(push_api, fake, 5)
        first, _ = push_all(push_api, connection_id, topic_ids)
        for segment_id in fake.segments:
            fake.distribute(segment_id)
        second, _ = push_all(push_api, connection_id, topic_ids, cpm=9.5)
        updates = [request.json() for request in fake.server.requests_to(*UPDATES)]

    assert (first["successCount"], second["successCount"], second["errorCount"]) == (5, 5, 0)
    assert len(fake.segments) == 5 and len(updates) == 5
    assert all(not {"pricing", "activationSegmentId", "restrictions"} & update.keys() for update in updates)
    assert {segment["pricing"]["cpm"] for segment in fake.segments.values()} == {2.5}
    assert sorted(segment["activationSegmentId"] for segment in fake.segments.values()) == sorted(fake.first_party)


def test_a_topic_without_a_first_party_segment_is_that_segments_error(push_api: ApiClient) -> None:
    manual = create_topics(push_api, 1)
    with outbound_connection(push_api, "liveramp") as (connection_id, fake):
        synced = synced_liveramp_topics(push_api, fake, 1)
        run, batches = push_all(push_api, connection_id, manual + synced)

    assert (run["successCount"], run["errorCount"]) == (1, 1)
    failed = [result for batch in batches for result in batch["results"] if result["status"] == "error"]
    assert failed[0]["topicId"] == manual[0] and "first-party segment" in failed[0]["error"]
    assert fake.server.count("POST", LIVERAMP_SEGMENTS_PATH) == 1


def test_a_push_without_any_price_is_a_400_naming_cpm(push_api: ApiClient) -> None:
    with outbound_connection(push_api, "liveramp") as (connection_id, fake):
        topic_ids = synced_liveramp_topics(push_api, fake, 1)
        push_api.patch(f"/api/connections/{connection_id}", {"config": {"default_cpm": None}})
        refused = push_api.post(f"/api/connections/{connection_id}/push/run", {"segmentIds": topic_ids})
        priced = push_api.post(f"/api/connections/{connection_id}/push/run", {"segmentIds": topic_ids, "cpm": 1.0})

    assert refused.status == 400
    assert refused.json()["details"] == [
        {"field": "cpm", "message": "is required when the connection has no default_cpm"}
    ]
    assert priced.status == 200


def test_custom_segments_without_an_allowlist_are_refused_at_setup(push_api: ApiClient) -> None:
    with outbound_connection(push_api, "liveramp") as (connection_id, _fake):
        custom = push_api.patch(f"/api/connections/{connection_id}", {"config": {"segment_type": "CUSTOM"}})
        allowlisted = push_api.patch(
            f"/api/connections/{connection_id}",
            {"config": {"segment_type": "DIRECT", "allowed_platforms": ["THE_TRADE_DESK"]}},
        )
        syndicated = push_api.patch(f"/api/connections/{connection_id}", {"config": {"segment_type": "SYNDICATED"}})

    assert custom.status == 400
    assert custom.json()["details"][0]["field"] == "config.allowed_platforms"
    assert allowlisted.status == 200
    assert syndicated.status == 400
    assert "must not be set for segment_type SYNDICATED" in syndicated.json()["details"][0]["message"]
