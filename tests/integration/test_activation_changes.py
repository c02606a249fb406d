"""Deactivating and refreshing activations through the real handlers (moto in-process) against each
platform's fake: what each platform is sent (counted on the fake), that a retry sends nothing again,
that a claimed activation is changed by one call only, the bulk route's results and bounds, and who
may call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from connections.adapters.dynamodb.activation_repository import DynamoActivationRepository
from connections.domain.activation import MAX_BULK_ACTIVATIONS
from local.dev_keys import SigningKey
from local.provision import LocalResources
from tests.fakes.platforms import CUSTOM_SEGMENTS_PATH, LIVERAMP_SEGMENTS_PATH, TTD_ELEMENTS_PATH
from tests.integration.conftest import ApiClient, synced_liveramp_topics
from tests.integration.test_push_runs import create_topics, outbound_connection, push_all

CUSTOM_SEGMENT_PATH = CUSTOM_SEGMENTS_PATH + "/{segment_id}"
# platform -> (the platform's update call, counted on its fake; a template that renames its segments)
UPDATES: dict[str, tuple[tuple[str, str] | None, str]] = {
    "liveramp": (("PATCH", LIVERAMP_SEGMENTS_PATH + "/{segment_id}"), "iab_code"),
    "tradedesk": (("PUT", TTD_ELEMENTS_PATH), "iab_code"),
    "indexexchange": (None, "name"),  # taxonomy files: read from the fake's inbox
    "custom_api": (("PUT", CUSTOM_SEGMENT_PATH), "iab_code"),
}


@pytest.fixture
def push_api(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")  # the fakes listen on 127.0.0.1 over http
    return api


def pushed(api: ApiClient, platform: str, fake: Any, connection_id: str, count: int) -> list[dict[str, Any]]:
    """``count`` topics pushed to the connection; their activations, newest first."""
    topic_ids = synced_liveramp_topics(api, fake, count) if platform == "liveramp" else create_topics(api, count)
    status, _ = push_all(api, connection_id, topic_ids)
    assert status["status"] == "completed", status
    listed = api.get("/api/activations", query={"connectionId": connection_id}).json()
    assert len(listed) == count and {row["status"] for row in listed} == {"active"}
    return listed


def platform_writes(platform: str, fake: Any) -> Any:
    """Everything the platform was sent that could change a segment (its files, for Index Exchange)."""
    if platform == "indexexchange":
        return fake.inbox.files()
    return [(r.method, r.path) for r in fake.server.requests if r.method in {"POST", "PUT", "PATCH", "DELETE"}]


@pytest.mark.parametrize("platform", sorted(UPDATES))
def test_deactivate_per_platform_then_a_retry_sends_nothing(push_api: ApiClient, platform: str) -> None:
    with outbound_connection(push_api, platform) as (connection_id, fake):
        first, second = pushed(push_api, platform, fake, connection_id, 2)
        before = platform_writes(platform, fake)
        deactivated = push_api.post(f"/api/activations/{first['id']}/deactivate")
        after_first = platform_writes(platform, fake)
        again = push_api.post(f"/api/activations/{first['id']}/deactivate")
        after_retry = platform_writes(platform, fake)
        listed = {row["id"]: row for row in push_api.get("/api/activations").json()}

    assert deactivated.status == again.status == 200, deactivated.text
    record = deactivated.json()
    assert record["status"] == "deactivated" and record["platformSegmentId"] == first["platformSegmentId"]
    assert again.json() == record  # the retry answers the same record, without a platform call
    assert after_retry == after_first
    if platform == "custom_api":  # the only platform with a documented removal
        sent = after_first[len(before) :] if isinstance(before, list) else []
        assert sent == [("DELETE", f"{CUSTOM_SEGMENTS_PATH}/{first['platformSegmentId']}")]
        assert fake.server.count("DELETE", CUSTOM_SEGMENT_PATH) == 1
        assert record["platformNote"] is None
    else:
        assert after_first == before  # nothing sent: nothing documented to send
        if platform == "tradedesk":
            assert record["platformNote"] is None
        else:  # LiveRamp, Index Exchange: the segment may still be live; the note says where to stop it
            assert record["platformNote"] and (
                "LiveRamp Connect" in record["platformNote"] or "Index UI" in record["platformNote"]
            )
    assert listed[first["id"]]["status"] == "deactivated" and listed[second["id"]]["status"] == "active"


@pytest.mark.parametrize("platform", sorted(UPDATES))
def test_refresh_pushes_a_stale_activation_again_once(push_api: ApiClient, platform: str) -> None:
    update, template = UPDATES[platform]
    with outbound_connection(push_api, platform) as (connection_id, fake):
        (activation,) = pushed(push_api, platform, fake, connection_id, 1)
        fresh = push_api.post(f"/api/activations/{activation['id']}/refresh")
        writes_when_fresh = platform_writes(platform, fake)
        renamed = push_api.patch(f"/api/connections/{connection_id}", {"config": {"template_key": template}})
        assert renamed.status == 200, renamed.text
        (stale,) = push_api.get("/api/activations", query={"stale": "true"}).json()
        refreshed = push_api.post(f"/api/activations/{activation['id']}/refresh")
        writes_after = platform_writes(platform, fake)
        again = push_api.post(f"/api/activations/{activation['id']}/refresh")
        writes_after_retry = platform_writes(platform, fake)
        updates = fake.server.count(*update) if update else None
        files = fake.inbox.registered() if platform == "indexexchange" else {}

    assert fresh.status == 200 and fresh.json()["stale"] is False
    assert stale["pushedName"] != stale["currentPlatformName"]
    assert refreshed.status == 200, refreshed.text
    record = refreshed.json()
    assert (record["status"], record["stale"]) == ("active", False)
    assert record["pushedName"] == record["currentPlatformName"] == stale["currentPlatformName"]
    assert record["pushedDescription"] == record["currentPlatformDesc"]
    assert record["platformSegmentId"] == activation["platformSegmentId"]  # updated, never created again
    assert again.status == 200 and again.json() == record
    assert writes_after_retry == writes_after != writes_when_fresh
    if update:
        assert updates == 1
    else:
        assert files == {activation["platformSegmentId"]: record["pushedName"]}


def test_a_platform_refusal_is_a_409_and_leaves_the_activation_as_it_was(push_api: ApiClient) -> None:
    with outbound_connection(push_api, "custom_api") as (connection_id, fake):
        (activation,) = pushed(push_api, "custom_api", fake, connection_id, 1)
        fake.server.faults("DELETE", CUSTOM_SEGMENT_PATH).status(422, {"message": "segment is locked by a campaign"})
        refused = push_api.post(f"/api/activations/{activation['id']}/deactivate")
        (after,) = push_api.get("/api/activations").json()
        fake.server.faults("DELETE", CUSTOM_SEGMENT_PATH).status(404)  # already gone there: fine
        gone = push_api.post(f"/api/activations/{activation['id']}/deactivate")

    assert refused.status == 409
    assert refused.json()["error"] == (
        "The platform did not deactivate the segment: Platform returned HTTP 422: segment is locked by a campaign"
    )
    assert after == activation  # unchanged, and not left claimed: the next call went through
    assert gone.status == 200 and gone.json()["status"] == "deactivated"


def test_an_activation_claimed_by_a_change_in_flight_is_not_changed_again(
    aws: LocalResources, push_api: ApiClient
) -> None:
    repository = DynamoActivationRepository(aws.table_name, boto3.client("dynamodb"))
    with outbound_connection(push_api, "custom_api") as (connection_id, fake):
        (row,) = pushed(push_api, "custom_api", fake, connection_id, 1)
        push_api.patch(f"/api/connections/{connection_id}", {"config": {"template_key": "iab_code"}})
        activation = repository.find("org_a", row["id"])
        assert activation is not None
        # A refresh in flight holds the claim while it waits for the platform.
        held = repository.claim_change(activation, "in-flight", 60)
        assert held is not None and repository.claim_change(activation, "another", 60) is None
        refresh = push_api.post(f"/api/activations/{row['id']}/refresh")
        deactivate = push_api.post(f"/api/activations/{row['id']}/deactivate")
        in_bulk = push_api.post("/api/activations/bulk", {"action": "refresh", "ids": [row["id"]]})
        updates_while_held = fake.server.count("PUT", CUSTOM_SEGMENT_PATH)
        repository.release(held, "in-flight")
        refreshed = push_api.post(f"/api/activations/{row['id']}/refresh")
        again = push_api.post(f"/api/activations/{row['id']}/refresh")
        updates = fake.server.count("PUT", CUSTOM_SEGMENT_PATH)

    assert refresh.status == deactivate.status == 409
    assert "being pushed or changed by another request" in refresh.json()["error"]
    assert in_bulk.json()["results"][0]["status"] == "error"
    assert updates_while_held == 0
    assert refreshed.status == 200 and refreshed.json()["stale"] is False
    assert again.json() == refreshed.json() and updates == 1


def test_a_pending_activation_deactivated_during_its_run_is_not_pushed(push_api: ApiClient) -> None:
    topic_ids = create_topics(push_api, 3)
    with outbound_connection(push_api, "custom_api") as (connection_id, fake):
        started = push_api.post(f"/api/connections/{connection_id}/push/run", {"segmentIds": topic_ids}).json()
        pending = push_api.get("/api/activations", query={"status": "pending"}).json()
        dropped = push_api.post(f"/api/activations/{pending[0]['id']}/deactivate")
        base = f"/api/connections/{connection_id}/push/run/{started['runId']}"
        batch = push_api.post(f"{base}/push").json()
        # The run still counts the deactivated segment as to do; the next push call finds none left.
        last = push_api.post(f"{base}/push").json()
        creates = fake.server.count("POST", CUSTOM_SEGMENTS_PATH)

    assert dropped.status == 200
    assert (dropped.json()["status"], dropped.json()["platformNote"]) == ("deactivated", None)  # never pushed
    assert creates == 2 and len(batch["results"]) == 2
    assert pending[0]["orgTopicId"] not in {result["topicId"] for result in batch["results"]}
    assert (last["results"], last["run"]["status"]) == ([], "completed")


def test_refreshing_what_cannot_be_refreshed_is_a_409(push_api: ApiClient) -> None:
    with outbound_connection(push_api, "custom_api") as (connection_id, fake):
        first, second = pushed(push_api, "custom_api", fake, connection_id, 2)
        push_api.post(f"/api/activations/{first['id']}/deactivate")
        push_api.patch(f"/api/connections/{connection_id}", {"config": {"template_key": "iab_code"}})
        deactivated = push_api.post(f"/api/activations/{first['id']}/refresh")
        in_bulk = bulk(push_api, {"action": "refresh", "ids": [first["id"]]})
        unknown = push_api.post("/api/activations/act_01KJA3VF80DCCVQYCP1GDKMM99/refresh")
        malformed = push_api.post("/api/activations/nope/deactivate")
        fake.server.faults("PUT", CUSTOM_SEGMENT_PATH).status(503).status(503).status(503).status(503)
        unavailable = push_api.post(f"/api/activations/{second['id']}/refresh")
        (still,) = [row for row in push_api.get("/api/activations").json() if row["id"] == second["id"]]

    assert deactivated.status == 409 and "deactivated" in deactivated.json()["error"]
    # In bulk ("refresh every stale one") a deactivated activation is skipped, not a failure.
    assert in_bulk.json()["results"] == [{"id": first["id"], "status": "unchanged"}]
    assert unknown.status == malformed.status == 404
    assert unavailable.status == 409 and unavailable.json()["error"].endswith("; retry later")
    assert still["stale"] is True and still["pushedName"] == second["pushedName"]


def bulk(api: ApiClient, body: dict[str, Any], **kwargs: Any) -> Any:
    return api.post("/api/activations/bulk", body, **kwargs)


def test_bulk_by_ids_answers_each_and_a_retry_changes_nothing_twice(push_api: ApiClient) -> None:
    with outbound_connection(push_api, "custom_api") as (connection_id, fake):
        rows = pushed(push_api, "custom_api", fake, connection_id, 3)
        ids = [row["id"] for row in rows] + ["act_01KJA3VF80DCCVQYCP1GDKMM99", rows[0]["id"]]
        first = bulk(push_api, {"action": "deactivate", "ids": ids})
        retried = bulk(push_api, {"action": "deactivate", "ids": ids})
        deletes = fake.server.count("DELETE", CUSTOM_SEGMENT_PATH)

    assert first.status == 200, first.text
    assert first.json()["results"] == [{"id": row["id"], "status": "deactivated"} for row in rows] + [
        {"id": "act_01KJA3VF80DCCVQYCP1GDKMM99", "status": "not_found"}
    ]
    assert first.json()["nextCursor"] is None
    assert [result["status"] for result in retried.json()["results"]] == ["unchanged"] * 3 + ["not_found"]
    assert deletes == 3


def test_bulk_refresh_by_filter_goes_on_by_cursor_and_is_bounded(push_api: ApiClient) -> None:
    with outbound_connection(push_api, "custom_api") as (connection_id, fake):
        rows = pushed(push_api, "custom_api", fake, connection_id, 30)
        push_api.patch(f"/api/connections/{connection_id}", {"config": {"template_key": "iab_code"}})
        fake.server.faults("PUT", CUSTOM_SEGMENT_PATH).status(422, {"message": "name taken"})
        body: dict[str, Any] = {"action": "refresh", "filter": {"stale": True, "connectionId": connection_id}}
        first = bulk(push_api, body).json()
        second = bulk(push_api, body | {"cursor": first["nextCursor"]}).json()
        updates = fake.server.count("PUT", CUSTOM_SEGMENT_PATH)
        stale = push_api.get("/api/activations", query={"stale": "true"}).json()

    assert len(first["results"]) == MAX_BULK_ACTIVATIONS and first["nextCursor"] is not None
    assert [result["id"] for result in first["results"] + second["results"]] == [row["id"] for row in rows]
    assert second["nextCursor"] is None
    errors = [result for result in first["results"] if result["status"] == "error"]
    assert len(errors) == 1 and "name taken" in errors[0]["error"]
    assert {result["status"] for result in first["results"] + second["results"]} == {"refreshed", "error"}
    assert updates == 30  # one each; the refused one was not retried by the second call
    assert [row["id"] for row in stale] == [errors[0]["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "refresh"}, "ids"),
        ({"action": "refresh", "ids": ["act_1"], "filter": {"stale": True}}, "ids"),
        ({"action": "refresh", "filter": {}}, "filter"),
        ({"action": "refresh", "ids": []}, "ids"),
        ({"action": "refresh", "ids": [f"act_{n}" for n in range(26)]}, "ids"),
        ({"action": "refresh", "ids": ["act_1"], "cursor": "abc"}, "cursor"),
        ({"action": "refresh", "filter": {"stale": True}, "cursor": "abc"}, "cursor"),
        ({"action": "delete", "ids": ["act_1"]}, "action"),
        ({"action": "refresh", "filter": {"stale": "yes"}}, "filter.stale"),
        ({"action": "refresh", "filter": {"name": "x"}}, "filter.name"),
        ({"action": "refresh", "ids": ["act_1"], "cursor": None}, "cursor"),
        ({"action": "refresh", "ids": None, "filter": {"stale": True}}, "ids"),
        ({"action": "refresh", "filter": {"stale": None, "connectionId": "conn_1"}}, "filter.stale"),
    ],
)
def test_bulk_bodies_outside_the_rules_are_a_400(api: ApiClient, body: dict[str, Any], field: str) -> None:
    response = bulk(api, body)

    assert response.status == 400, response.text
    assert field in {detail["field"] for detail in response.json()["details"]}


@pytest.mark.parametrize(
    ("call", "deletes_when_allowed"),
    [
        (lambda api, activation_id, token: api.post(f"/api/activations/{activation_id}/deactivate", token=token), 1),
        (lambda api, activation_id, token: api.post(f"/api/activations/{activation_id}/refresh", token=token), 0),
        (lambda api, activation_id, token: bulk(api, {"action": "deactivate", "ids": [activation_id]}, token=token), 1),
    ],
)
def test_changes_need_the_activations_scope_or_a_session_that_writes(
    push_api: ApiClient,
    token_issuer: SigningKey,
    issue_api_key: Callable[..., str],
    call: Callable[[ApiClient, str, str], Any],
    deletes_when_allowed: int,
) -> None:
    with outbound_connection(push_api, "custom_api") as (connection_id, fake):
        (activation,) = pushed(push_api, "custom_api", fake, connection_id, 1)
        viewer = call(push_api, activation["id"], token_issuer.token("org_a", user_id="user_v", role="viewer"))
        sync_key = call(push_api, activation["id"], issue_api_key("org_a", "sync"))
        other_org = call(push_api, activation["id"], token_issuer.token("org_b"))
        deletes_before = fake.server.count("DELETE", CUSTOM_SEGMENT_PATH)
        allowed = call(push_api, activation["id"], issue_api_key("org_a", "activations"))
        deletes = fake.server.count("DELETE", CUSTOM_SEGMENT_PATH)

    assert viewer.status == sync_key.status == 403
    # Another organisation's id is unknown to it: 404 by id, not_found in bulk; nothing sent.
    if other_org.status == 200:
        assert other_org.json()["results"] == [{"id": activation["id"], "status": "not_found"}]
    else:
        assert other_org.status == 404
    assert deletes_before == 0
    assert allowed.status == 200
    assert deletes == deletes_when_allowed


def test_activations_of_a_deleted_connection_are_deactivated_without_a_call(push_api: ApiClient) -> None:
    with outbound_connection(push_api, "custom_api") as (connection_id, fake):
        (first, _) = pushed(push_api, "custom_api", fake, connection_id, 2)
        assert push_api.delete(f"/api/connections/{connection_id}").status == 200
        refreshed = push_api.post(f"/api/activations/{first['id']}/refresh")
        deactivated = push_api.post(f"/api/activations/{first['id']}/deactivate")
        sent = [r for r in fake.server.requests if r.method in {"PUT", "DELETE"}]

    assert refreshed.status == 409 and "connection was deleted" in refreshed.json()["error"]
    assert deactivated.status == 200
    assert deactivated.json()["status"] == "deactivated"
    assert deactivated.json()["platformNote"] == "The connection was deleted, so nothing was sent to the platform"
    assert sent == []
