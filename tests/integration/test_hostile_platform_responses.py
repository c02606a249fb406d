"""A platform's answer is untrusted input: counts of Infinity or 1e300, JSON nested 5,000 deep, sizes
and CPMs out of bounds, keywords that would make a topic item over 400 KB and external ids longer
than a DynamoDB key allows. Served as raw bytes by the fake catalogue and pushed through the real
handlers (start run, page, test endpoint): never a 5xx, bad items are item errors with a reason, bad
pages are page failures, and nothing out of bounds reaches DynamoDB."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from connections.domain.field_mapping import MAX_EXTERNAL_ID_BYTES, MAX_KEYWORDS
from connections.domain.sync_service import MAX_PAGE_ATTEMPTS
from local.provision import LocalResources
from tests.fakes.segment_catalogue import (
    CATALOGUE_PATH,
    catalogue_items,
    segment_catalogue,
)
from tests.integration.conftest import ApiClient, create_inbound_connection

EMOJI_ID = "\U0001f600" * 400  # 400 characters, 1,600 bytes in UTF-8
DEEP_5000 = b'{"data": {"segments": ' + b"[" * 5000 + b"]" * 5000 + b', "total": 1}}'


@pytest.fixture
def hostile_api(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")  # the catalogue listens on 127.0.0.1
    return api


def page_body(segments_json: str, total: str = "1") -> bytes:
    return f'{{"data": {{"segments": {segments_json}, "total": {total}}}}}'.encode()


def table_items(aws: LocalResources) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": aws.table_name}
    while True:
        page = client.scan(**request)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def sort_keys(aws: LocalResources, prefix: str) -> list[str]:
    return [item["sk"]["S"] for item in table_items(aws) if item["sk"]["S"].startswith(prefix)]


# -- starting a run: the count -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "total",
    ["Infinity", "-Infinity", "NaN", "1e300", "1e999", "-1", "123456789012345678901234567890", '"12.5"', "{}"],
)
def test_a_count_that_is_no_count_fails_the_start_with_502_and_stores_no_run(
    hostile_api: ApiClient, aws: LocalResources, total: str
) -> None:
    with segment_catalogue(catalogue_items(3)[0]) as catalogue:
        connection_id = create_inbound_connection(hostile_api, catalogue)
        catalogue.server.faults("GET", CATALOGUE_PATH).raw(page_body('[{"id": "a", "name": "A"}]', total))

        started = hostile_api.post(f"/api/connections/{connection_id}/sync/run")
        retried = hostile_api.post(f"/api/connections/{connection_id}/sync/run")  # the catalogue is fine again

    assert started.status == 502, started.text
    message = started.json()["error"]
    assert "count_path 'data.total'" in message or "not a JSON number" in message
    assert retried.status == 200, retried.text
    assert sort_keys(aws, "SYNCRUN#") == [f"SYNCRUN#{retried.json()['runId']}"]


def test_a_start_on_json_nested_5000_deep_is_a_502(hostile_api: ApiClient, aws: LocalResources) -> None:
    with segment_catalogue(catalogue_items(3)[0]) as catalogue:
        connection_id = create_inbound_connection(hostile_api, catalogue)
        catalogue.server.faults("GET", CATALOGUE_PATH).raw(DEEP_5000)

        started = hostile_api.post(f"/api/connections/{connection_id}/sync/run")

    assert started.status == 502, started.text
    assert started.json() == {"error": "Platform returned JSON nested more than 100 levels deep"}
    assert sort_keys(aws, "SYNCRUN#") == []


# -- pages ---------------------------------------------------------------------------------------------


def test_a_page_nested_5000_deep_is_a_retryable_page_failure_until_the_attempt_limit(
    hostile_api: ApiClient,
) -> None:
    with segment_catalogue(catalogue_items(3)[0]) as catalogue:
        connection_id = create_inbound_connection(hostile_api, catalogue)
        run_id = hostile_api.post(f"/api/connections/{connection_id}/sync/run").json()["runId"]
        catalogue.server.faults("GET", CATALOGUE_PATH).raw(DEEP_5000, times=MAX_PAGE_ATTEMPTS)
        base = f"/api/connections/{connection_id}/sync/run/{run_id}"

        answers = [hostile_api.post(f"{base}/page", {"page": 1}) for _ in range(MAX_PAGE_ATTEMPTS)]
        status = hostile_api.get(f"{base}/status").json()

    assert [answer.status for answer in answers] == [200] * MAX_PAGE_ATTEMPTS
    first, last = answers[0].json(), answers[-1].json()
    assert first["error"] == "Platform returned JSON nested more than 100 levels deep"
    assert first["retryable"] is True
    assert last["retryable"] is False
    assert status["status"] == "failed"
    assert (status["successCount"], status["duplicateCount"], status["errorCount"]) == (0, 0, 0)


def test_an_infinity_literal_makes_the_page_unreadable(hostile_api: ApiClient) -> None:
    with segment_catalogue(catalogue_items(3)[0]) as catalogue:
        connection_id = create_inbound_connection(hostile_api, catalogue)
        run_id = hostile_api.post(f"/api/connections/{connection_id}/sync/run").json()["runId"]
        catalogue.server.faults("GET", CATALOGUE_PATH).raw(page_body('[{"id": "a", "name": "A", "size": NaN}]'))

        answer = hostile_api.post(f"/api/connections/{connection_id}/sync/run/{run_id}/page", {"page": 1})

    assert answer.status == 200, answer.text
    assert answer.json()["error"] == "Platform returned NaN, which is not a JSON number"
    assert answer.json()["retryable"] is True


def hostile_items() -> tuple[str, list[str]]:
    """A page of 10 items as JSON text (numbers JSON allows but no size can be), and the error reasons."""
    nested: Any = "leaf"
    for _ in range(40):
        nested = {"level": nested}
    items: list[Any] = [
        {"id": "ok-1", "name": "Auto Intenders SUV", "size": 1200, "cpm": 2.5},
        {"id": "inf-size", "name": "Infinite Audience", "size": "__1e999__"},
        {"id": "big-size", "name": "Huge Audience", "size": "__1e40__"},
        {"id": "big-cpm", "name": "Pricey Audience", "cpm": "__1e300__"},
        {"id": "neg-size", "name": "Negative Audience", "size": -5},
        {"id": "deep", "name": "Deep Audience", "extra": nested},
        {"id": EMOJI_ID, "name": "Emoji Fans"},
        {"id": "kw", "name": "Keyword Stuffers", "keywords": [f"keyword-{n}-" + "x" * 200 for n in range(20_000)]},
        {"id": "long", "name": "Long " + "n" * 10_000, "description": "d" * 500_000},
        {"id": "ok-2", "name": "Pet Owners Dogs", "tags": "dogs, " * 40_000},
    ]
    text = json.dumps(items, ensure_ascii=False)
    for literal in ("1e999", "1e40", "1e300"):
        text = text.replace(f'"__{literal}__"', literal)
    reasons = [
        "audience_size must be a number from 0 to 1,000,000,000,000 (got inf)",
        "audience_size must be a number from 0 to 1,000,000,000,000 (got 1e+40)",
        "cpm must be a number from 0 to 10,000 (got 1e+300)",
        "audience_size must be a number from 0 to 1,000,000,000,000 (got -5)",
        "item is nested more than 32 levels deep",
        f"external_id is 1,600 bytes long; at most {MAX_EXTERNAL_ID_BYTES} are allowed",
    ]
    return text, reasons


def test_bad_items_in_a_readable_page_are_item_errors_and_never_stored(
    hostile_api: ApiClient, aws: LocalResources
) -> None:
    text, reasons = hostile_items()
    with segment_catalogue(catalogue_items(10)[0]) as catalogue:
        connection_id = create_inbound_connection(hostile_api, catalogue)
        run_id = hostile_api.post(f"/api/connections/{connection_id}/sync/run").json()["runId"]
        catalogue.server.faults("GET", CATALOGUE_PATH).raw(page_body(text, "10"))
        base = f"/api/connections/{connection_id}/sync/run/{run_id}"

        answer = hostile_api.post(f"{base}/page", {"page": 1})
        status = hostile_api.get(f"{base}/status").json()

    assert answer.status == 200, answer.text
    page = answer.json()
    assert (page["fetched"], page["inserted"], page["duplicates"], page["errors"]) == (10, 4, 0, 6)
    assert [sample["reason"] for sample in page["errorSamples"]] == reasons
    assert [sample["index"] for sample in page["errorSamples"]] == [1, 2, 3, 4, 5, 6]
    assert page["errorSamples"][5]["externalId"] is None  # the 1,600-byte id is not kept even there
    assert (status["status"], status["successCount"], status["errorCount"]) == ("completed", 4, 6)
    assert status["successCount"] + status["duplicateCount"] + status["errorCount"] == 10

    topics = {topic["externalId"]: topic for topic in hostile_api.get("/api/topics").json()["topics"]}
    assert set(topics) == {"ok-1", "kw", "long", "ok-2"}
    assert (topics["ok-1"]["audienceSize"], topics["ok-1"]["cpm"]) == (1200, 2.5)
    assert len(topics["kw"]["keywords"]) == MAX_KEYWORDS
    assert len(topics["long"]["name"]) == 200
    assert len(topics["long"]["description"]) == 1000
    assert topics["ok-2"]["keywords"] == ["dogs"] * MAX_KEYWORDS
    stored = json.dumps(table_items(aws), ensure_ascii=False, default=str)
    assert EMOJI_ID not in stored
    assert "Infinite Audience" not in stored and "Deep Audience" not in stored


# -- the test endpoint ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (page_body('[{"id": "a", "name": "A"}]', "Infinity"), "Platform returned Infinity, which is not a JSON number"),
        (page_body('[{"id": "a", "name": "A"}]', "1e300"), "count_path 'data.total' is not an item count"),
        (page_body('[{"id": "a", "name": "A"}]', "-1"), "count_path 'data.total' is not an item count"),
        (DEEP_5000, "Platform returned JSON nested more than 100 levels deep"),
    ],
)
def test_the_test_endpoint_answers_success_false(
    hostile_api: ApiClient, aws: LocalResources, body: bytes, error: str
) -> None:
    with segment_catalogue(catalogue_items(3)[0]) as catalogue:
        connection_id = create_inbound_connection(hostile_api, catalogue)
        catalogue.server.faults("GET", CATALOGUE_PATH).raw(body)

        answer = hostile_api.post(f"/api/connections/{connection_id}/test")
        record = hostile_api.get(f"/api/connections/{connection_id}").json()

    assert answer.status == 200, answer.text
    assert answer.json()["success"] is False
    assert answer.json()["error"].startswith(error)
    assert record["status"] == "error"


def test_the_test_endpoint_warns_about_a_sample_item_out_of_bounds(hostile_api: ApiClient) -> None:
    sample = '[{"id": "' + EMOJI_ID + '", "name": "Emoji Fans", "size": 1e999}]'
    with segment_catalogue(catalogue_items(3)[0]) as catalogue:
        connection_id = create_inbound_connection(hostile_api, catalogue)
        catalogue.server.faults("GET", CATALOGUE_PATH).raw(page_body(sample, "3"))

        answer = hostile_api.post(f"/api/connections/{connection_id}/test")

    assert answer.status == 200, answer.text
    result = answer.json()
    assert result["success"] is True
    assert result["totalItems"] == 3
    assert result["mappedItem"] == {"topic_name": "Emoji Fans"}
    assert result["warnings"] == [
        f"external_id is 1,600 bytes long; at most {MAX_EXTERNAL_ID_BYTES} are allowed",
        "audience_size must be a number from 0 to 1,000,000,000,000 (got inf)",
    ]
