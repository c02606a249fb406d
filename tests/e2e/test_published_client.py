"""A client written only from the published AudienceGPT pages (docs: api-reference/rate-limits, the
sync guide), run over HTTP against the local stack: what it expects to send and to read back.

``PublishedClient`` knows only the published routes, the Bearer header and the published answer shapes;
each published area gets its own section of tests below (quotas now; keys, activations and topics can
join with their own methods on the client).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import httpx
import pytest

from connections.adapters.dynamodb.usage_meters import DynamoUsageMeters
from connections.domain.quotas import billing_month
from local.dev_stack import TABLE_NAME
from tests.e2e.local_stack import PROJECT_ROOT, LocalStack, bearer, unique_org
from tests.fakes.segment_catalogue import CATALOGUE_CREDENTIALS, catalogue_items, segment_catalogue

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class QuotaExhausted(Exception):
    """What the published rate-limits page says a 429 carries: the limit and when it resets."""

    error: str
    limit: int
    used: int
    reset_at: datetime
    retry_after_seconds: int


class PublishedClient:
    """An API client as its author would write it from the published pages alone."""

    def __init__(self, base_url: str, token: str) -> None:
        self.http = httpx.Client(base_url=base_url, headers=bearer(token), timeout=60)

    def close(self) -> None:
        self.http.close()

    def _send(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, path, json=body)
        if response.status_code == 429:
            answer = response.json()
            raise QuotaExhausted(
                answer["error"],
                answer["limit"],
                answer["used"],
                datetime.fromisoformat(answer["resetAt"].replace("Z", "+00:00")),
                int(response.headers["Retry-After"]),
            )
        response.raise_for_status()
        return response.json()

    # -- connections and syncs (the sync guide: create run + count, page loop, status) -------------

    def create_inbound_connection(self, name: str, config: dict[str, Any], credentials: dict[str, str]) -> str:
        body = {"name": name, "platform": "custom_api", "direction": "inbound", "config": config}
        return str(self._send("POST", "/api/connections", body | {"credentials": credentials})["id"])

    def start_sync(self, connection_id: str) -> dict[str, Any]:
        return dict(self._send("POST", f"/api/connections/{connection_id}/sync/run"))

    def sync_page(self, connection_id: str, run_id: str) -> dict[str, Any]:
        return dict(self._send("POST", f"/api/connections/{connection_id}/sync/run/{run_id}/page"))

    def sync_status(self, connection_id: str, run_id: str) -> dict[str, Any]:
        return dict(self._send("GET", f"/api/connections/{connection_id}/sync/run/{run_id}/status"))

    # -- topics ------------------------------------------------------------------------------------

    def create_topic(self, name: str) -> dict[str, Any]:
        return dict(self._send("POST", "/api/topics", {"topic_name": name}))


def set_plan(stack: LocalStack, org_id: str, plan: str) -> dict[str, Any]:
    """``connections-dev set-plan`` against the stack, as README "Quotas" documents it."""
    import json

    completed = subprocess.run(
        [sys.executable, "-m", "local.cli", "set-plan", "--org", org_id, "--plan", plan],
        cwd=PROJECT_ROOT,
        env=stack.cli_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return dict(json.loads(completed.stdout))


def stack_meters(stack: LocalStack) -> DynamoUsageMeters:
    """The stack's usage counters, read (or filled) directly in its table."""
    client = boto3.client(
        "dynamodb",
        endpoint_url=stack.moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return DynamoUsageMeters(TABLE_NAME, client)


def classifications_used(stack: LocalStack, org_id: str) -> int:
    """The organisation's counter of this month."""
    return stack_meters(stack).used(org_id, billing_month(datetime.now(UTC)), "classifications")


def assert_published_429(exhausted: QuotaExhausted, limit: int, used: int) -> None:
    now = datetime.now(UTC)
    assert (exhausted.limit, exhausted.used) == (limit, used)
    assert exhausted.reset_at > now and (exhausted.reset_at.day, exhausted.reset_at.hour) == (1, 0)
    assert abs(exhausted.retry_after_seconds - (exhausted.reset_at - now).total_seconds()) <= 30


# -- quotas (api-reference/rate-limits) ---------------------------------------------------------------


def test_a_free_organisation_is_told_when_its_classification_quota_is_exhausted(local_stack: LocalStack) -> None:
    org = unique_org("org_quota")
    plan = set_plan(local_stack, org, "free")
    client = PublishedClient(local_stack.base_url, local_stack.session_token(org))
    items, _ = catalogue_items(150)
    try:
        with segment_catalogue(items) as catalogue:
            connection_id = client.create_inbound_connection(
                "Seller catalogue", catalogue.config(page_size=100), CATALOGUE_CREDENTIALS
            )
            run = client.start_sync(connection_id)
            first = client.sync_page(connection_id, run["runId"])
            with pytest.raises(QuotaExhausted) as page_refused:
                client.sync_page(connection_id, run["runId"])
            status = client.sync_status(connection_id, run["runId"])
        with pytest.raises(QuotaExhausted) as topic_refused:
            client.create_topic("A topic by hand")
    finally:
        client.close()

    assert plan["plan"] == "free"
    assert plan["usage"]["classifications"] == {"used": 0, "limit": 100}
    assert first["fetched"] == 100
    assert_published_429(page_refused.value, limit=100, used=100)
    assert_published_429(topic_refused.value, limit=100, used=100)
    assert "classification credits used up" in page_refused.value.error
    assert (status["status"], status["processedPages"]) == ("running", 1)  # the refused page did nothing
    assert classifications_used(local_stack, org) == 100


def test_the_quota_counts_across_authentication_methods(local_stack: LocalStack) -> None:
    org = unique_org("org_quota_keys")
    set_plan(local_stack, org, "free")
    month = billing_month(datetime.now(UTC))
    assert stack_meters(local_stack).reserve(org, month, "classifications", 99, 100) is None  # a busy month
    with_session = PublishedClient(local_stack.base_url, local_stack.session_token(org))
    with_key = PublishedClient(local_stack.base_url, local_stack.api_key(org, "topics:write"))
    try:
        with_session.create_topic("The last credit")
        with pytest.raises(QuotaExhausted) as refused:
            with_key.create_topic("Over the quota")
    finally:
        with_session.close()
        with_key.close()

    assert_published_429(refused.value, limit=100, used=100)


def test_concurrent_page_calls_never_pass_the_quota(local_stack: LocalStack) -> None:
    org = unique_org("org_quota_race")
    set_plan(local_stack, org, "free")
    token = local_stack.session_token(org)
    callers, page_size = 6, 20
    items, _ = catalogue_items(200)  # 10 pages of 20: the Free quota pays for 5 of them
    barrier = threading.Barrier(callers)

    def call_until_refused(connection_id: str, run_id: str) -> Counter[str]:
        client = PublishedClient(local_stack.base_url, token)
        answers: Counter[str] = Counter()
        try:
            client.http.get("/openapi.json")  # connected before the race starts
            barrier.wait(timeout=30)
            for _ in range(40):
                try:
                    page = client.sync_page(connection_id, run_id)
                except QuotaExhausted as exhausted:
                    assert exhausted.limit == 100 and exhausted.used <= 100
                    answers["429"] += 1
                    return answers
                except httpx.HTTPStatusError as refused:
                    assert refused.response.status_code == 409, refused.response.text
                    answers["409"] += 1  # every open page is held by another caller: poll as a client would
                    time.sleep(0.3)
                    continue
                answers["items"] += page["fetched"]
            raise AssertionError("no 429 in 40 calls")
        finally:
            client.close()

    owner = PublishedClient(local_stack.base_url, token)
    try:
        with segment_catalogue(items) as catalogue:
            connection_id = owner.create_inbound_connection(
                "Seller catalogue", catalogue.config(page_size=page_size), CATALOGUE_CREDENTIALS
            )
            run_id = owner.start_sync(connection_id)["runId"]
            with ThreadPoolExecutor(max_workers=callers) as pool:
                answers = list(pool.map(lambda _: call_until_refused(connection_id, run_id), range(callers)))
            status = owner.sync_status(connection_id, run_id)
    finally:
        owner.close()

    assert sum(answer["items"] for answer in answers) == 100
    assert all(answer["429"] == 1 for answer in answers)  # every caller was told, none was passed
    assert status["processedPages"] == 5
    assert status["successCount"] + status["duplicateCount"] + status["errorCount"] == 100
    assert classifications_used(local_stack, org) == 100


def test_an_enterprise_organisation_is_not_metered(local_stack: LocalStack) -> None:
    org = unique_org("org_quota_default")
    client = PublishedClient(local_stack.base_url, local_stack.session_token(org))
    try:
        for number in range(3):
            client.create_topic(f"Unmetered topic {number}")
    finally:
        client.close()

    assert classifications_used(local_stack, org) == 0  # no plan item: Enterprise, and no counter at all


def test_a_scheduled_run_over_the_quota_fails_with_the_quota_message(local_stack: LocalStack) -> None:
    org = unique_org("org_quota_scheduled")
    set_plan(local_stack, org, "free")
    client = PublishedClient(local_stack.base_url, local_stack.session_token(org))
    items, _ = catalogue_items(250)
    try:
        with segment_catalogue(items) as catalogue:
            config = catalogue.config(page_size=50) | {"schedule": "cron(0 2 * * ? *)"}
            connection_id = client.create_inbound_connection("Nightly catalogue", config, CATALOGUE_CREDENTIALS)
            result = local_stack.trigger_sync(org, connection_id)
    finally:
        client.close()

    run = result["run"]
    assert run["status"] == "failed", local_stack.log_tail()
    assert "Monthly quota of 100 classification credits" in run["lastError"], run
    assert run["successCount"] + run["duplicateCount"] + run["errorCount"] <= 100
    assert classifications_used(local_stack, org) <= 100
