"""Activations over HTTP against the local server, as a client written from the published activations
page uses them: the bare array paged through its Link header, deactivate, refresh after a template
change, bulk; and concurrent refreshes of one activation making one platform call."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.local_stack import LocalStack, unique_org
from tests.e2e.test_push_over_http import PushClient
from tests.fakes.platforms import CUSTOM_SEGMENTS_PATH, CustomApiFake, custom_api_fake
from tests.support.link_pages import next_link

CUSTOM_SEGMENT_PATH = CUSTOM_SEGMENTS_PATH + "/{segment_id}"
TOPICS = 30
PUBLISHED_FIELDS = {
    "id",
    "orgTopicId",
    "connectionId",
    "platform",
    "topicName",
    "status",
    "platformSegmentId",
    "pushedName",
    "pushedDescription",
    "engineVersionAtPush",
    "currentPlatformName",
    "currentPlatformDesc",
    "currentEngineVersion",
    "activatedAt",
    "createdAt",
}


@pytest.fixture(scope="module")
def session(local_stack: LocalStack) -> Iterator[PushClient]:
    client = PushClient(local_stack, local_stack.session_token(unique_org("org_acts")))
    yield client
    client.close()


@pytest.fixture(scope="module")
def pushed(session: PushClient) -> Iterator[tuple[str, CustomApiFake]]:
    """A custom API connection with TOPICS topics pushed to it."""
    with custom_api_fake() as fake:
        connection_id = session.create_outbound("custom_api", fake)
        status, _ = session.drive(connection_id, session.start_run(connection_id, session.create_topics(TOPICS)))
        assert status["status"] == "completed", status
        yield connection_id, fake


def pages(session: PushClient, url: str) -> list[list[dict[str, Any]]]:
    """Every page of a listing, following the Link header from ``url``."""
    found: list[list[dict[str, Any]]] = []
    following: str | None = url
    while following is not None:
        response = session.client.get(following)
        assert response.status_code == 200, response.text
        assert isinstance(response.json(), list)
        found.append(response.json())
        following = next_link(response.headers)
        assert len(found) < 20, "the listing did not end"
    return found


def test_the_listing_is_a_bare_array_paged_by_its_link_header(
    session: PushClient, pushed: tuple[str, CustomApiFake]
) -> None:
    connection_id, _fake = pushed

    listed = pages(session, f"/api/activations?connectionId={connection_id}&limit=12")

    assert [len(page) for page in listed] == [12, 12, 6]
    rows = [row for page in listed for row in page]
    assert len({row["id"] for row in rows}) == TOPICS
    assert all(set(row) >= PUBLISHED_FIELDS for row in rows)
    assert all(row["currentPlatformDesc"] == row["pushedDescription"] for row in rows)


def test_deactivate_and_refresh_after_a_template_change(session: PushClient, pushed: tuple[str, CustomApiFake]) -> None:
    connection_id, fake = pushed
    renamed = session.client.patch(f"/api/connections/{connection_id}", json={"config": {"template_key": "iab_code"}})
    assert renamed.status_code == 200, renamed.text
    stale = [row for page in pages(session, "/api/activations?stale=true&limit=100") for row in page]
    first, second = stale[0], stale[1]

    refreshed = session.client.post(f"/api/activations/{first['id']}/refresh")
    refreshed_again = session.client.post(f"/api/activations/{first['id']}/refresh")
    deactivated = session.client.post(f"/api/activations/{second['id']}/deactivate")
    deactivated_again = session.client.post(f"/api/activations/{second['id']}/deactivate")
    by_bulk = session.client.post(
        "/api/activations/bulk", json={"action": "deactivate", "ids": [second["id"], stale[2]["id"]]}
    )

    assert len(stale) == TOPICS and all(row["stale"] for row in stale)
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["pushedName"] == first["currentPlatformName"] != first["pushedName"]
    assert refreshed.json()["stale"] is False and refreshed_again.json() == refreshed.json()
    assert deactivated.status_code == 200 and deactivated.json()["status"] == "deactivated"
    assert deactivated_again.json() == deactivated.json()
    assert by_bulk.json()["results"] == [
        {"id": second["id"], "status": "unchanged"},
        {"id": stale[2]["id"], "status": "deactivated"},
    ]
    puts = Counter(request.path for request in fake.server.requests_to("PUT", CUSTOM_SEGMENT_PATH))
    deletes = Counter(request.path for request in fake.server.requests_to("DELETE", CUSTOM_SEGMENT_PATH))
    assert puts == Counter({f"{CUSTOM_SEGMENTS_PATH}/{first['platformSegmentId']}": 1})
    assert deletes == Counter(
        {
            f"{CUSTOM_SEGMENTS_PATH}/{second['platformSegmentId']}": 1,
            f"{CUSTOM_SEGMENTS_PATH}/{stale[2]['platformSegmentId']}": 1,
        }
    )


def test_concurrent_refreshes_of_one_activation_make_one_platform_call(
    local_stack: LocalStack, session: PushClient, pushed: tuple[str, CustomApiFake]
) -> None:
    connection_id, fake = pushed
    session.client.patch(f"/api/connections/{connection_id}", json={"config": {"template_key": "provider"}})
    target = next(
        row
        for page in pages(session, f"/api/activations?connectionId={connection_id}&stale=true&limit=100")
        for row in page
        if row["status"] == "active"
    )
    before = fake.server.count("PUT", CUSTOM_SEGMENT_PATH)
    threads = 5
    barrier = threading.Barrier(threads)
    token = session.client.headers["authorization"].removeprefix("Bearer ")

    def refresh(_: int) -> tuple[int, dict[str, Any]]:
        client = PushClient(local_stack, token)
        try:
            barrier.wait(timeout=30)
            response = client.client.post(f"/api/activations/{target['id']}/refresh")
            return response.status_code, response.json()
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        answers = list(pool.map(refresh, range(threads)))
    after = session.client.post(f"/api/activations/{target['id']}/refresh").json()

    assert fake.server.count("PUT", CUSTOM_SEGMENT_PATH) - before == 1
    assert {status for status, _ in answers} <= {200, 409}
    assert all("being pushed or changed" in body["error"] for status, body in answers if status == 409)
    refreshed = [body for status, body in answers if status == 200]
    assert refreshed and all(body == after for body in refreshed)
    assert after["stale"] is False and after["pushedName"] == target["currentPlatformName"]
