"""Monthly quotas through the real handlers (moto in-process): the 429 as published, what a page call
over quota leaves behind, and the DynamoDB work quotas cost (none written for an unlimited plan)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connections.domain.quotas import Meter, Plan
from local.provision import LocalResources
from tests.fakes.segment_catalogue import catalogue_items, segment_catalogue
from tests.integration.conftest import ApiClient, create_inbound_connection
from tests.support.dynamodb_usage import dynamodb_usage

ORG = "org_a"  # the api fixture's organisation


@pytest.fixture
def sync_api(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")  # the fake catalogue is on 127.0.0.1
    return api


def put_on(plan: Plan) -> None:
    from connections.wiring import quotas

    quotas().set_plan(ORG, plan)


def used(meter: Meter) -> int:
    from connections.adapters.dynamodb.usage_meters import DynamoUsageMeters
    from connections.domain.quotas import billing_month
    from connections.settings import settings

    return DynamoUsageMeters(settings().table_name).used(ORG, billing_month(datetime.now(UTC)), meter.value)


def assert_quota_answer(response, limit: int, used_now: int) -> None:
    assert response.status == 429, response.text
    body = response.json()
    assert set(body) == {"error", "limit", "used", "resetAt"}
    assert (body["limit"], body["used"]) == (limit, used_now)
    now = datetime.now(UTC)
    reset = datetime.fromisoformat(body["resetAt"])
    assert (reset.day, reset.hour, reset.minute, reset.second) == (1, 0, 0, 0) and reset > now
    assert body["resetAt"].endswith(".000Z")
    retry_after = int(response.headers["retry-after"])
    assert abs(retry_after - (reset - now).total_seconds()) <= 5


def test_a_topic_over_the_quota_is_429_with_the_published_fields(api: ApiClient) -> None:
    from connections.wiring import quotas

    put_on(Plan.FREE)
    quotas().charge(ORG, Meter.CLASSIFICATIONS, 99)
    assert api.post("/api/topics", {"topic_name": "Last one this month"}).status == 201

    refused = api.post("/api/topics", {"topic_name": "One too many"})

    assert_quota_answer(refused, limit=100, used_now=100)
    assert "classification credits used up" in refused.json()["error"]
    assert used(Meter.CLASSIFICATIONS) == 100
    assert api.post("/api/topics", {"topic_name": "Last one this month"}).status == 429  # refused before its 409


def test_a_page_over_the_quota_processes_nothing_and_the_run_goes_on_later(sync_api: ApiClient) -> None:
    put_on(Plan.FREE)
    items, _ = catalogue_items(150)
    with segment_catalogue(items) as catalogue:
        connection_id = create_inbound_connection(sync_api, catalogue)
        started = sync_api.post(f"/api/connections/{connection_id}/sync/run")
        run_id = started.json()["runId"]
        first = sync_api.post(f"/api/connections/{connection_id}/sync/run/{run_id}/page")
        fetches_before = len(catalogue.server.requests_to("GET", "/v1/segments"))

        refused = sync_api.post(f"/api/connections/{connection_id}/sync/run/{run_id}/page")

        fetches_after = len(catalogue.server.requests_to("GET", "/v1/segments"))
        status = sync_api.get(f"/api/connections/{connection_id}/sync/run/{run_id}/status").json()

    assert first.status == 200 and first.json()["fetched"] == 100
    assert_quota_answer(refused, limit=100, used_now=100)
    assert fetches_after == fetches_before  # nothing was fetched for the refused page
    assert (status["status"], status["processedPages"], status["lastError"]) == ("running", 1, None)
    assert used(Meter.CLASSIFICATIONS) == 100
    assert used(Meter.IMPORTS) == 1


def test_the_sixth_sync_run_of_a_free_month_is_429(sync_api: ApiClient) -> None:
    put_on(Plan.FREE)
    with segment_catalogue([]) as catalogue:  # empty: each run completes as it starts
        connection_id = create_inbound_connection(sync_api, catalogue)
        runs = [sync_api.post(f"/api/connections/{connection_id}/sync/run") for _ in range(6)]

    assert [run.status for run in runs] == [200] * 5 + [429]
    assert_quota_answer(runs[5], limit=5, used_now=5)
    assert "import operations" in runs[5].json()["error"]


def test_an_enterprise_page_costs_one_plan_read_and_no_write(sync_api: ApiClient, aws: LocalResources) -> None:
    items, _ = catalogue_items(300)
    with segment_catalogue(items) as catalogue:
        connection_id = create_inbound_connection(sync_api, catalogue)
        run_id = sync_api.post(f"/api/connections/{connection_id}/sync/run").json()["runId"]
        with dynamodb_usage(aws.table_name) as enterprise:
            assert sync_api.post(f"/api/connections/{connection_id}/sync/run/{run_id}/page").status == 200
        put_on(Plan.PRO)
        with dynamodb_usage(aws.table_name) as pro:
            assert sync_api.post(f"/api/connections/{connection_id}/sync/run/{run_id}/page").status == 200

    quota_writes = [write for write in enterprise.writes if write.key["sk"]["S"].startswith(("USAGE#", "PLAN"))]
    assert quota_writes == []
    assert (f"ORG#{ORG}", "PLAN") in enterprise.keys_read
    assert [key for key in enterprise.keys_read if key[1].startswith(("USAGE#", "PLAN"))] == [(f"ORG#{ORG}", "PLAN")]
    # A metered plan pays one conditional update for the page (its 100 items fit the reservation).
    metered = [(write.operation, write.key["sk"]["S"][:6]) for write in pro.writes]
    assert [write for write in metered if write[1] in ("USAGE#", "PLAN")] == [("UpdateItem", "USAGE#")]
    assert pro.calls["GetItem"] == enterprise.calls["GetItem"]
    assert used(Meter.CLASSIFICATIONS) == 100  # only the page after the plan was set is counted


@pytest.mark.parametrize("store", ["dynamodb", "memory"])
def test_the_in_memory_meters_keep_the_rules_of_the_dynamodb_ones(store: str, aws: LocalResources) -> None:
    from connections.adapters.dynamodb.usage_meters import DynamoUsageMeters
    from tests.fakes.usage_meters import InMemoryUsageMeters

    meters = DynamoUsageMeters(aws.table_name) if store == "dynamodb" else InMemoryUsageMeters()

    assert meters.plan(ORG) is None
    meters.set_plan(ORG, "pro")
    answers = [
        meters.reserve(ORG, "2026-02", "classifications", 60, 100),
        meters.reserve(ORG, "2026-02", "classifications", 41, 100),  # would make 101: refused, says 60
        meters.reserve(ORG, "2026-02", "classifications", 40, 100),  # exactly the limit
        meters.reserve(ORG, "2026-02", "classifications", 1, 100),
        meters.reserve(ORG, "2026-03", "classifications", 100, 100),  # another month, another counter
        meters.reserve(ORG, "2026-02", "imports", 1, 5),
    ]
    meters.give_back(ORG, "2026-02", "classifications", 30)

    assert meters.plan(ORG) == "pro"
    assert answers == [None, 60, None, 100, None, None]
    assert meters.used(ORG, "2026-02", "classifications") == 70
    assert meters.used(ORG, "2026-03", "classifications") == 100
    assert meters.used(ORG, "2026-02", "imports") == 1
    assert meters.used(ORG, "2026-04", "imports") == 0
    assert meters.used("org_other", "2026-02", "classifications") == 0
