"""Inbound sync runs through the real handlers (moto in-process) against a fake segment catalogue."""

from __future__ import annotations

import pytest

from tests.fakes.segment_catalogue import catalogue_items, segment_catalogue
from tests.integration.conftest import ApiClient, create_inbound_connection


@pytest.fixture
def sync_api(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    # The fake catalogue listens on 127.0.0.1 over http: allowed only with this local/test switch.
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")
    return api


def run_sync(api: ApiClient, connection_id: str, max_calls: int = 200) -> tuple[dict, list[dict]]:
    started = api.post(f"/api/connections/{connection_id}/sync/run")
    assert started.status == 200, started.text
    run_id = started.json()["runId"]
    pages: list[dict] = []
    for _ in range(max_calls):
        status = api.get(f"/api/connections/{connection_id}/sync/run/{run_id}/status").json()
        if status["status"] != "running":
            return status, pages
        response = api.post(f"/api/connections/{connection_id}/sync/run/{run_id}/page")
        assert response.status == 200, response.text
        pages.append(response.json())
    raise AssertionError("sync did not finish")


def test_full_sync_of_1050_items_has_exact_counts(sync_api: ApiClient) -> None:
    items, expected = catalogue_items(1050, duplicate_every=50, bad_every=70)
    with segment_catalogue(items) as catalogue:
        connection_id = create_inbound_connection(sync_api, catalogue)

        status, pages = run_sync(sync_api, connection_id)

    assert status["status"] == "completed"
    assert (status["totalItems"], status["totalPages"], status["processedPages"]) == (1050, 11, 11)
    assert status["successCount"] == expected["unique"]
    assert status["duplicateCount"] == expected["duplicates"]
    assert status["errorCount"] == expected["errors"]
    assert status["successCount"] + status["duplicateCount"] + status["errorCount"] == 1050
    assert status["completedAt"] is not None
    assert [page["page"] for page in pages] == list(range(1, 12))
    assert sum(page["fetched"] for page in pages) == 1050
    bad = next(page for page in pages if page["errors"])
    assert bad["errorSamples"][0]["reason"] == "item has no usable name (topic_name)"
    library = sync_api.get("/api/topics", query={"pageSize": "100"}).json()  # every topic here is synced
    assert library["total"] == expected["unique"]
    topic = library["topics"][0]
    assert topic["connectionId"] == connection_id
    assert topic["externalId"].startswith("seg-")
    assert topic["iabCode"] and topic["tier1"] in ("Demographic", "Interest", "Purchase Intent")
    assert topic["engineVersion"]


def test_a_second_sync_finds_only_duplicates_and_enriches(sync_api: ApiClient) -> None:
    items, _ = catalogue_items(120)
    with segment_catalogue(items) as catalogue:
        connection_id = create_inbound_connection(sync_api, catalogue)
        first, _ = run_sync(sync_api, connection_id)
        for item in catalogue.items:
            item["category"] = "Seller category"
        second, _ = run_sync(sync_api, connection_id)

    assert (first["successCount"], first["duplicateCount"]) == (120, 0)
    assert (second["successCount"], second["duplicateCount"], second["errorCount"]) == (0, 120, 0)
    topics = sync_api.get("/api/topics", query={"pageSize": "100"}).json()
    assert topics["total"] == 120
    assert {topic["category"] for topic in topics["topics"]} == {"Seller category"}


def test_same_name_from_another_connection_is_a_duplicate(sync_api: ApiClient) -> None:
    items, _ = catalogue_items(30)
    with segment_catalogue(items) as catalogue:
        first = create_inbound_connection(sync_api, catalogue)
        second = create_inbound_connection(sync_api, catalogue, items_path="data.segments")
        run_sync(sync_api, first)
        status, _ = run_sync(sync_api, second)

    assert (status["successCount"], status["duplicateCount"]) == (0, 30)
    assert sync_api.get("/api/topics").json()["total"] == 30


@pytest.mark.parametrize(
    "style",
    [
        {"pagination": "page", "first_page": 0},
        {"pagination": "page", "first_page": 1},
        {"pagination": "offset", "first_page": 1},
        {"pagination": "page", "first_page": 1, "with_total": False},
    ],
)
def test_pagination_styles(sync_api: ApiClient, style: dict) -> None:
    items, expected = catalogue_items(250)
    with segment_catalogue(items, **style) as catalogue:
        connection_id = create_inbound_connection(sync_api, catalogue)
        status, pages = run_sync(sync_api, connection_id)

    assert status["status"] == "completed"
    assert status["successCount"] == expected["unique"] == 250
    assert status["totalPages"] == 3
    assert status["totalItems"] == 250
    assert [page["fetched"] for page in pages] == [100, 100, 50]


def test_unknown_total_completes_on_an_empty_page(sync_api: ApiClient) -> None:
    items, _ = catalogue_items(200)
    with segment_catalogue(items, with_total=False) as catalogue:
        connection_id = create_inbound_connection(sync_api, catalogue)
        status, pages = run_sync(sync_api, connection_id)

    assert [page["fetched"] for page in pages] == [100, 100, 0]
    assert (status["status"], status["totalPages"], status["totalItems"]) == ("completed", 3, 200)


def test_reposting_a_processed_page_returns_it_and_changes_nothing(sync_api: ApiClient) -> None:
    items, _ = catalogue_items(250)
    with segment_catalogue(items) as catalogue:
        connection_id = create_inbound_connection(sync_api, catalogue)
        run_id = sync_api.post(f"/api/connections/{connection_id}/sync/run").json()["runId"]
        base = f"/api/connections/{connection_id}/sync/run/{run_id}"
        first = sync_api.post(f"{base}/page", {"page": 2}).json()
        fetches = catalogue.server.count("GET", "/v1/segments")

        again = sync_api.post(f"{base}/page", {"page": 2}).json()
        status = sync_api.get(f"{base}/status").json()

    assert {key: again[key] for key in ("page", "fetched", "inserted")} == {
        key: first[key] for key in ("page", "fetched", "inserted")
    }
    assert catalogue.server.count("GET", "/v1/segments") == fetches
    assert (status["processedPages"], status["successCount"]) == (1, 100)


def test_run_rules(sync_api: ApiClient, token_issuer) -> None:
    items, _ = catalogue_items(150)
    with segment_catalogue(items) as catalogue:
        connection_id = create_inbound_connection(sync_api, catalogue)
        base = f"/api/connections/{connection_id}/sync/run"
        headers = {"Idempotency-Key": "sync-start-000001"}
        started = sync_api.post(base, headers=headers).json()
        retried = sync_api.post(base, headers=headers).json()
        second = sync_api.post(base)
        out_of_range = sync_api.post(f"{base}/{started['runId']}/page", {"page": 3})
        bad_body = sync_api.post(f"{base}/{started['runId']}/page", {"page": "one"})
        other_org = sync_api.get(f"{base}/{started['runId']}/status", token=token_issuer.token("org_b"))
        cancelled = sync_api.post(f"{base}/{started['runId']}/cancel").json()
        after_cancel = sync_api.post(f"{base}/{started['runId']}/page")
        restarted = sync_api.post(base)

    assert started["status"] == "running"
    assert (started["totalItems"], started["totalPages"]) == (150, 2)
    assert retried["runId"] == started["runId"]
    assert second.status == 409
    assert started["runId"] in second.json()["error"]
    assert out_of_range.status == 400
    assert bad_body.status == 400
    assert other_org.status == 404
    assert cancelled["status"] == "cancelled"
    assert after_cancel.status == 409
    assert restarted.status == 200
    assert restarted.json()["runId"] != started["runId"]


def test_outbound_connection_cannot_sync(sync_api: ApiClient) -> None:
    body = {"name": "LR", "platform": "liveramp", "direction": "outbound", "config": {}}
    connection_id = sync_api.post("/api/connections", body).json()["id"]

    response = sync_api.post(f"/api/connections/{connection_id}/sync/run")

    assert response.status == 400
    assert "inbound" in response.json()["error"]


def test_sync_scope_is_needed(sync_api: ApiClient, issue_api_key) -> None:
    with segment_catalogue(catalogue_items(10)[0]) as catalogue:
        connection_id = create_inbound_connection(sync_api, catalogue)
        sync_key = issue_api_key("org_a", "sync")
        topics_key = issue_api_key("org_a", "topics:read")

        allowed = sync_api.post(f"/api/connections/{connection_id}/sync/run", token=sync_key)
        refused = sync_api.post(f"/api/connections/{connection_id}/sync/run", token=topics_key)

    assert allowed.status == 200
    assert refused.status == 403


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (lambda queue: queue.status(500).status(500).status(500), "HTTP 500"),
        (lambda queue: queue.malformed_json(), "not valid JSON"),
    ],
)
def test_a_failing_page_stays_retryable(sync_api: ApiClient, fault, message: str) -> None:
    items, _ = catalogue_items(150)
    with segment_catalogue(items) as catalogue:
        connection_id = create_inbound_connection(sync_api, catalogue)
        base = f"/api/connections/{connection_id}/sync/run"
        run_id = sync_api.post(base).json()["runId"]
        fault(catalogue.server.faults("GET", "/v1/segments"))

        failed = sync_api.post(f"{base}/{run_id}/page").json()
        during = sync_api.get(f"{base}/{run_id}/status").json()
        status, _ = _finish(sync_api, base, run_id)

    assert failed["page"] == 1
    assert message.lower() in failed["error"].lower()
    assert failed["retryable"] is True
    assert during["status"] == "running"
    assert message.lower() in during["lastError"].lower()
    assert (during["processedPages"], during["successCount"]) == (0, 0)
    assert (status["status"], status["successCount"], status["lastError"]) == ("completed", 150, None)


def test_items_path_missing_is_reported(sync_api: ApiClient) -> None:
    with segment_catalogue(catalogue_items(5)[0]) as catalogue:
        good = create_inbound_connection(sync_api, catalogue)
        wrong = create_inbound_connection(sync_api, catalogue, items_path="data.items", count_path=None)
        base = f"/api/connections/{good}/sync/run"
        run_id = sync_api.post(base).json()["runId"]
        # The seller changes its response shape after the run started.
        sync_api.patch(f"/api/connections/{good}", {"config": {"items_path": "data.items"}})
        failed = sync_api.post(f"{base}/{run_id}/page").json()
        # A run cannot start when the first request already fails; nothing is left behind.
        refused = sync_api.post(f"/api/connections/{wrong}/sync/run")
        again = sync_api.post(f"/api/connections/{wrong}/sync/run")

    assert failed["error"] == "items_path 'data.items' not found in response"
    assert failed["retryable"] is True
    assert refused.status == 502
    assert refused.json() == {"error": "items_path 'data.items' not found in response"}
    assert again.status == 502


def _finish(api: ApiClient, base: str, run_id: str) -> tuple[dict, list[dict]]:
    pages: list[dict] = []
    for _ in range(50):
        status = api.get(f"{base}/{run_id}/status").json()
        if status["status"] != "running":
            return status, pages
        pages.append(api.post(f"{base}/{run_id}/page").json())
    raise AssertionError("run did not finish")


def test_deleting_the_connection_cancels_its_running_sync(sync_api: ApiClient) -> None:
    with segment_catalogue(catalogue_items(150)[0]) as catalogue:
        connection_id = create_inbound_connection(sync_api, catalogue)
        base = f"/api/connections/{connection_id}/sync/run"
        run_id = sync_api.post(base).json()["runId"]

        assert sync_api.delete(f"/api/connections/{connection_id}").status == 200

    from connections.wiring import sync_run_repository

    run = sync_run_repository().get("org_a", run_id)
    assert run is not None
    assert (run.status.value, run.last_error) == ("cancelled", "Connection was deleted")
    # The run's record outlives the connection, so a client polling it learns why it stopped.
    assert sync_api.get(f"{base}/{run_id}/status").json()["status"] == "cancelled"
