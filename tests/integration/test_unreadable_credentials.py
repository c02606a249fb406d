"""A connection whose stored credentials it cannot read (a ciphertext copied from another connection, a
key that is gone) answers 409 "enter the credentials again" wherever its credentials are needed, before
anything is claimed or counted; a PATCH with the credentials repairs it and the run goes on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from connections.adapters.dynamodb.push_repository import activation_key
from local.provision import LocalResources
from tests.fakes.platforms import CUSTOM_SEGMENTS_PATH, custom_api_fake
from tests.fakes.segment_catalogue import CATALOGUE_CREDENTIALS, SegmentCatalogue, catalogue_items, segment_catalogue
from tests.integration.conftest import ApiClient, create_inbound_connection, create_outbound_connection, create_topics

ORG = "org_a"
UNREADABLE = "Stored credentials could not be read; enter the credentials again"


def connection_key(connection_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"ORG#{ORG}"}, "sk": {"S": f"CONN#{connection_id}"}}


def copy_credentials(resources: LocalResources, source_id: str, target_id: str) -> None:
    """Put the source connection's ciphertext on the target, as a careless copy of an item would."""
    dynamodb = boto3.client("dynamodb")
    item = dynamodb.get_item(TableName=resources.table_name, Key=connection_key(source_id))["Item"]
    dynamodb.update_item(
        TableName=resources.table_name,
        Key=connection_key(target_id),
        UpdateExpression="SET credentialsCiphertext = :ciphertext",
        ExpressionAttributeValues={":ciphertext": item["credentialsCiphertext"]},
    )


def assert_unreadable(response: Any) -> None:
    assert response.status == 409, response.text
    assert response.json() == {"error": UNREADABLE}


@pytest.fixture
def catalogue(monkeypatch: pytest.MonkeyPatch) -> Iterator[SegmentCatalogue]:
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")
    items, _ = catalogue_items(150)
    with segment_catalogue(items) as served:
        yield served


def test_starting_a_sync_with_unreadable_credentials_is_a_409_and_leaves_no_run(
    aws: LocalResources, api: ApiClient, catalogue: SegmentCatalogue
) -> None:
    connection_id = create_inbound_connection(api, catalogue, "Broken")
    copy_credentials(aws, create_inbound_connection(api, catalogue, "Other"), connection_id)

    refused = api.post(f"/api/connections/{connection_id}/sync/run")
    tested = api.post(f"/api/connections/{connection_id}/test")
    fetched_unrepaired = catalogue.server.count("GET", "/v1/segments")
    repaired = api.patch(f"/api/connections/{connection_id}", {"credentials": CATALOGUE_CREDENTIALS})
    started = api.post(f"/api/connections/{connection_id}/sync/run")

    assert_unreadable(refused)
    assert fetched_unrepaired == 0  # nothing was sent without the credentials
    assert tested.status == 200 and tested.json() == {"success": False, "error": UNREADABLE}
    assert repaired.status == 200, repaired.text
    # The refused start held nothing: the connection is free and the next run starts.
    assert started.status in (200, 201), started.text
    assert started.json()["status"] == "running"


def test_a_page_with_unreadable_credentials_is_a_409_released_without_an_attempt(
    aws: LocalResources, api: ApiClient, catalogue: SegmentCatalogue
) -> None:
    from connections import wiring

    connection_id = create_inbound_connection(api, catalogue, "Broken")
    run_id = api.post(f"/api/connections/{connection_id}/sync/run").json()["runId"]
    copy_credentials(aws, create_inbound_connection(api, catalogue, "Other"), connection_id)
    page_url = f"/api/connections/{connection_id}/sync/run/{run_id}/page"

    refused = api.post(page_url, {"page": 1})
    record = wiring.sync_run_repository().pages(ORG, run_id).get(1)
    run = api.get(f"/api/connections/{connection_id}/sync/run/{run_id}/status").json()
    api.patch(f"/api/connections/{connection_id}", {"credentials": CATALOGUE_CREDENTIALS})
    processed = api.post(page_url, {"page": 1})

    assert_unreadable(refused)
    assert record is None or (record.attempts, record.lease_expires) == (0, 0)
    assert (run["status"], run["processedPages"], run["lastError"]) == ("running", 0, None)
    # Repaired: the same page is processed at once (it was released) and counted once.
    assert processed.status == 200, processed.text
    assert processed.json()["fetched"] == 100
    assert processed.json()["run"]["processedPages"] == 1


def test_a_push_batch_with_unreadable_credentials_is_a_409_and_claims_nothing(
    aws: LocalResources, api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")
    topic_ids = create_topics(api, "Pet Owners > Cats", 2)
    with custom_api_fake() as fake:
        connection_id = create_outbound_connection(api, fake, "Broken")
        run = api.post(f"/api/connections/{connection_id}/push/run", {"segmentIds": topic_ids})
        assert run.status == 200, run.text
        copy_credentials(aws, create_outbound_connection(api, fake, "Other"), connection_id)
        push_url = f"/api/connections/{connection_id}/push/run/{run.json()['runId']}/push"

        refused = api.post(push_url)
        activations = [
            boto3.client("dynamodb").get_item(
                TableName=aws.table_name, Key=activation_key(ORG, connection_id, topic_id), ConsistentRead=True
            )["Item"]
            for topic_id in topic_ids
        ]
        api.patch(f"/api/connections/{connection_id}", {"credentials": fake.credentials})
        pushed = api.post(push_url)
        segment_posts = len(fake.server.requests_to("POST", CUSTOM_SEGMENTS_PATH))

    assert_unreadable(refused)
    for item in activations:
        assert item["status"]["S"] == "pending"
        assert "claimToken" not in item and "pushAttempts" not in item
    assert pushed.status == 200, pushed.text
    assert [result["status"] for result in pushed.json()["results"]] == ["active", "active"]
    assert pushed.json()["run"]["status"] == "completed"
    assert segment_posts == 2  # none before the repair, each segment once after it
