"""A platform that echoes the credentials it was sent (inside items, error bodies, response headers
and segment ids) never gets them shown back: not in test results, sync pages, run status, stored
topics, push results or activations, and not anywhere in DynamoDB."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest

from local.provision import LocalResources
from tests.fakes.platforms import CustomApiFake, custom_api_fake
from tests.integration.conftest import ApiClient

CREDENTIALS = {"username": "echo-account-1138", "password": "echo-pass-Zx81-Spectrum"}


@pytest.fixture
def echo_api(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")  # the fake listens on 127.0.0.1 over http
    return api


def secret_strings() -> list[str]:
    """The credential values and the Basic token the platform sees (and echoes)."""
    pair = f"{CREDENTIALS['username']}:{CREDENTIALS['password']}".encode()
    return [*CREDENTIALS.values(), base64.b64encode(pair).decode()]


def assert_no_secret(text: str) -> None:
    leaked = [secret for secret in secret_strings() if secret in text]
    assert not leaked, f"credential forms found: {leaked}"


def table_text(aws: LocalResources) -> str:
    items = boto3.client("dynamodb").scan(TableName=aws.table_name)["Items"]
    return json.dumps(items, default=str)


@contextmanager
def echoing_connection(api: ApiClient, direction: str) -> Iterator[tuple[str, CustomApiFake]]:
    with custom_api_fake(auth_type="basic", echo=True) as fake:
        fake.credentials = dict(CREDENTIALS)
        config = fake.inbound_config() if direction == "inbound" else fake.outbound_config()
        body = {
            "name": f"Echoing {direction}",
            "platform": "custom_api",
            "direction": direction,
            "config": config,
            "credentials": CREDENTIALS,
        }
        response = api.post("/api/connections", body)
        assert response.status == 201, response.text
        yield response.json()["id"], fake


def test_the_fake_really_echoes(echo_api: ApiClient) -> None:
    # Guards the tests below: without an echo they would pass for nothing.
    import httpx

    with custom_api_fake(auth_type="basic", echo=True) as fake:
        fake.credentials = dict(CREDENTIALS)
        token = secret_strings()[2]
        answer = httpx.get(fake.server.url + "/api/segments", headers={"Authorization": f"Basic {token}"})
        fake.echo_errors = 1
        refused = httpx.get(fake.server.url + "/api/segments", headers={"Authorization": f"Basic {token}"})

    assert token in answer.text and answer.headers["x-echo-credential"] == token
    assert refused.status_code == 422 and token in refused.text


def test_test_endpoint_redacts_the_sample_and_the_error(echo_api: ApiClient, aws: LocalResources) -> None:
    with echoing_connection(echo_api, "inbound") as (connection_id, fake):
        passed = echo_api.post(f"/api/connections/{connection_id}/test")
        fake.echo_errors = 1
        failed = echo_api.post(f"/api/connections/{connection_id}/test")
        record = echo_api.get(f"/api/connections/{connection_id}")

    sample = passed.json()
    assert sample["success"] is True, sample
    assert sample["sampleItem"]["description"] == "Seen with [redacted]"
    assert sample["sampleItem"]["request"] == {"authorization": "Basic [redacted]"}
    assert sample["mappedItem"]["description"] == "Seen with [redacted]"
    assert failed.json() == {
        "success": False,
        "error": "Platform returned HTTP 422: credential [redacted] is not valid for this request",
    }
    for response in (passed, failed, record):
        assert_no_secret(response.text)
    assert_no_secret(table_text(aws))


def test_sync_pages_run_status_and_topics_are_redacted(echo_api: ApiClient, aws: LocalResources) -> None:
    with echoing_connection(echo_api, "inbound") as (connection_id, fake):
        started = echo_api.post(f"/api/connections/{connection_id}/sync/run")
        assert started.status == 200, started.text
        run = f"/api/connections/{connection_id}/sync/run/{started.json()['runId']}"
        fake.echo_errors = 1
        failed_page = echo_api.post(f"{run}/page")
        failed_status = echo_api.get(f"{run}/status")
        pages = [echo_api.post(f"{run}/page") for _ in range(3)]
        status = echo_api.get(f"{run}/status")
        topics = echo_api.get("/api/topics", query={"connectionId": connection_id})

    assert "[redacted]" in failed_page.json()["error"]
    assert "[redacted]" in failed_status.json()["lastError"]
    assert status.json()["status"] == "completed", status.text
    assert status.json()["successCount"] == 7
    stored = topics.json()["topics"]
    assert len(stored) == 7
    assert {topic["description"] for topic in stored} == {"Seen with [redacted]"}
    for response in (failed_page, failed_status, *pages, status, topics):
        assert_no_secret(response.text)
    assert_no_secret(table_text(aws))


def create_topics(api: ApiClient, count: int) -> list[str]:
    ids = []
    for number in range(count):
        response = api.post("/api/topics", {"topic_name": f"Pet Owners > Dogs {number}"})
        assert response.status == 201, response.text
        ids.append(response.json()["id"])
    return ids


def test_push_results_and_activations_are_redacted(echo_api: ApiClient, aws: LocalResources) -> None:
    topic_ids = create_topics(echo_api, 3)
    with echoing_connection(echo_api, "outbound") as (connection_id, fake):
        tested = echo_api.post(f"/api/connections/{connection_id}/test")
        started = echo_api.post(f"/api/connections/{connection_id}/push/run", {"segmentIds": topic_ids})
        assert started.status == 200, started.text
        run = f"/api/connections/{connection_id}/push/run/{started.json()['runId']}"
        fake.echo_errors = 1
        batch = echo_api.post(f"{run}/push")
        status = echo_api.get(f"{run}/status")
        activations = echo_api.get("/api/activations", query={"connectionId": connection_id})

    assert tested.json()["success"] is True, tested.text
    results: list[dict[str, Any]] = batch.json()["results"]
    errors = [result for result in results if result["status"] == "error"]
    assert len(errors) == 1, results
    assert errors[0]["error"] == "Platform returned HTTP 422: credential [redacted] is not valid for this request"
    rows = activations.json()
    assert sorted(row["platformSegmentId"] for row in rows if row["status"] == "active")[0].endswith("_[redacted]")
    for response in (tested, started, batch, status, activations):
        assert_no_secret(response.text)
    assert_no_secret(table_text(aws))
