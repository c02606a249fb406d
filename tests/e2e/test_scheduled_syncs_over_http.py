"""Scheduled syncs on the local stack (`make dev`): a connection created over HTTP with a schedule,
`connections-dev trigger-sync` running its scheduled sync now, the stack's page workers processing the
pages, and the run's status read back over HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.local_stack import LocalStack, bearer, unique_org
from tests.fakes.segment_catalogue import CATALOGUE_CREDENTIALS, catalogue_items, segment_catalogue

pytestmark = pytest.mark.e2e


def test_trigger_sync_runs_a_scheduled_sync_through_the_stacks_workers(local_stack: LocalStack) -> None:
    org = unique_org("org_scheduled")
    session = bearer(local_stack.session_token(org))
    items, expected = catalogue_items(320, duplicate_every=40, bad_every=50)
    with segment_catalogue(items) as catalogue, httpx.Client(base_url=local_stack.base_url, timeout=30) as client:
        body = {
            "name": "Nightly catalogue",
            "platform": "custom_api",
            "direction": "inbound",
            "config": catalogue.config() | {"schedule": "cron(0 2 * * ? *)"},
            "credentials": CATALOGUE_CREDENTIALS,
        }
        created = client.post("/api/connections", json=body, headers=session)
        assert created.status_code == 201, created.text
        connection_id = created.json()["id"]

        result = local_stack.trigger_sync(org, connection_id)
        again = local_stack.trigger_sync(org, connection_id)
        run_status = client.get(f"/api/connections/{connection_id}/sync/run/{result['runId']}/status", headers=session)
        unscheduled = client.patch(
            f"/api/connections/{connection_id}", json={"config": {"schedule": None}}, headers=session
        )
        after_unscheduling = local_stack.trigger_sync(org, connection_id, wait_seconds=None)

    assert result["status"] == "started", local_stack.log_tail()
    assert (result["totalPages"], result["pagesEnqueued"]) == (4, 4)
    run = result["run"]
    assert run["status"] == "completed", local_stack.log_tail()
    assert (run["successCount"], run["duplicateCount"], run["errorCount"]) == (
        expected["unique"],
        expected["duplicates"],
        expected["errors"],
    )
    assert run_status.status_code == 200 and run_status.json() == run
    # The first run had finished, so the trigger started the next one, which finds only duplicates.
    assert again["status"] == "started" and again["runId"] != result["runId"]
    assert again["run"]["status"] == "completed"
    assert again["run"]["duplicateCount"] == expected["unique"] + expected["duplicates"]
    assert unscheduled.status_code == 200
    assert (after_unscheduling["status"], after_unscheduling["reason"]) == ("skipped", "connection has no schedule")
