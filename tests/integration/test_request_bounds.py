"""Every number and string the API stores is bounded: out of bounds is a 400 naming the field and
nothing is written (never a 500 from DynamoDB). Integers written as 3.0 are integers. A repeated
Idempotency-Key whose result is gone is a 409."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from connections.adapters.dynamodb.item_codec import from_item
from connections.domain.connection_size import CIPHERTEXT_HEADROOM_BYTES, MAX_CREDENTIALS_BYTES
from connections.domain.storage_limits import MAX_ITEM_BYTES, item_bytes
from local.provision import LocalResources
from tests.fakes.segment_catalogue import catalogue_items, segment_catalogue
from tests.integration.conftest import ApiClient, create_inbound_connection, inbound_connection, outbound_liveramp


def fields(response) -> set[str]:
    return {detail["field"] for detail in response.json().get("details", [])}


def assert_refused(response, field: str) -> None:
    assert response.status == 400, response.text
    assert field in fields(response), response.text


def assert_no_connections(api: ApiClient) -> None:
    assert api.get("/api/connections").json() == []


def assert_no_topics(api: ApiClient) -> None:
    assert api.get("/api/topics").json()["total"] == 0


def inbound_config(**overrides: Any) -> dict[str, Any]:
    return inbound_connection()["config"] | overrides


def table(aws: LocalResources) -> Any:
    return boto3.client("dynamodb")


# -- connection config --------------------------------------------------------------------------------


def test_field_mappings_that_would_overflow_the_item_are_a_400(api: ApiClient) -> None:
    # 100 sources of 5,000 characters: the item would be over DynamoDB's 400 KB (a 500 before).
    mappings = {f"x{'a' * 5000}{index}": "topic_name" for index in range(100)}

    response = api.post("/api/connections", inbound_connection(config=inbound_config(field_mappings=mappings)))

    assert_refused(response, "config.field_mappings")
    assert "256 characters" in response.json()["details"][0]["message"]
    assert len(response.text) < 2000  # the long key is not echoed back
    assert_no_connections(api)


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"field_mappings": {"name": ["topic_name"]}}, "config.field_mappings"),  # unhashable target (a 500 before)
        ({"field_mappings": {"name\n": "topic_name"}}, "config.field_mappings"),
        ({"items_path": "data.segments\n"}, "config.items_path"),
        ({"items_path": "a" * 257}, "config.items_path"),
        ({"count_path": "d." * 200 + "total"}, "config.count_path"),
        ({"page_param": "page\n"}, "config.page_param"),
        ({"page_size": 100.5}, "config.page_size"),
        ({"page_size": 1e300}, "config.page_size"),
        ({"page_size": True}, "config.page_size"),
        ({"page_size": "100"}, "config.page_size"),
        ({"first_page": 0.5}, "config.first_page"),
        ({"base_url": "https://api.example.com/\x00segments"}, "config.base_url"),
        ({"headers": {"X-Trace": "a\rb"}}, "config.headers"),
        ({"headers": {"X-Trace": "caf\u00e9"}}, "config.headers"),
        ({"headers": {"X-Trace": "a" * 1025}}, "config.headers"),
        ({"headers": {"X-Trace\n": "a"}}, "config.headers"),
    ],
)
def test_inbound_config_values_out_of_bounds(api: ApiClient, config: dict, field: str) -> None:
    response = api.post("/api/connections", inbound_connection(config=inbound_config(**config)))

    assert_refused(response, field)
    assert_no_connections(api)


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"default_cpm": 1e-300}, "config.default_cpm"),  # underflows DynamoDB (a 500 before)
        ({"default_cpm": 1e40}, "config.default_cpm"),
        ({"data_source_location": "US\n"}, "config.data_source_location"),
        ({"template_key": "default\n"}, "config.template_key"),
    ],
)
def test_outbound_config_values_out_of_bounds(api: ApiClient, config: dict, field: str) -> None:
    body = outbound_liveramp()
    body["config"] |= config

    response = api.post("/api/connections", body)

    assert_refused(response, field)
    assert_no_connections(api)


def test_a_long_unknown_config_key_is_named_without_echoing_it(api: ApiClient) -> None:
    key = "k" * 100_000

    response = api.post("/api/connections", inbound_connection(config=inbound_config(**{key: 1})))

    assert response.status == 400
    [detail] = response.json()["details"]
    assert detail["field"] == f"config.{'k' * 64}..."
    assert len(response.text) < 1000
    assert_no_connections(api)


def test_integral_floats_in_config_are_stored_and_echoed_as_integers(api: ApiClient) -> None:
    created = api.post("/api/connections", inbound_connection(config=inbound_config(page_size=100.0, first_page=1.0)))
    assert created.status == 201, created.text
    path = f"/api/connections/{created.json()['id']}"

    stored = api.get(path).json()["config"]
    patched = api.patch(path, {"config": {"page_size": 250.0}}).json()["config"]

    assert stored["page_size"] == 100 and type(stored["page_size"]) is int
    assert stored["first_page"] == 1 and type(stored["first_page"]) is int
    assert patched["page_size"] == 250 and type(patched["page_size"]) is int


def test_patch_out_of_bounds_changes_nothing(api: ApiClient) -> None:
    created = api.post("/api/connections", inbound_connection())
    path = f"/api/connections/{created.json()['id']}"
    before = api.get(path).json()

    response = api.patch(path, {"config": {"field_mappings": {"a" * 300: "topic_name"}}})

    assert_refused(response, "config.field_mappings")
    assert api.get(path).json() == before


# -- credentials ----------------------------------------------------------------------------------------


def test_a_credential_value_over_8192_bytes_is_a_400(api: ApiClient) -> None:
    # 8,192 characters (the character limit) but 32 KB in UTF-8.
    response = api.post("/api/connections", inbound_connection(credentials={"api_key": "\U0001f600" * 8192}))

    assert_refused(response, "credentials.api_key")
    assert "bytes" in response.json()["details"][0]["message"]
    assert_no_connections(api)


def test_credentials_over_the_total_byte_budget_are_a_400(api: ApiClient) -> None:
    values = {key: "s" * 8000 for key in ("username", "password", "client_id", "client_secret", "org_id")}

    response = api.post("/api/connections", outbound_liveramp(credentials=values))

    assert_refused(response, "credentials")
    assert_no_connections(api)


def test_control_characters_in_a_credential_are_a_400(api: ApiClient) -> None:
    # Each would take six bytes in the encrypted JSON: refused, so the ciphertext stays within its headroom.
    response = api.post("/api/connections", inbound_connection(credentials={"api_key": "abcdefgh\x01" * 100}))

    assert_refused(response, "credentials.api_key")
    assert "abcdefgh" not in response.text
    assert_no_connections(api)


def test_the_largest_credentials_allowed_fit_their_headroom(api: ApiClient, aws: LocalResources) -> None:
    # The worst case for the encrypted size: 2-byte characters (escaped as 6 bytes each in the JSON),
    # as many as the byte budget allows, in the largest config the bounds allow.
    value = "\u00e9" * (MAX_CREDENTIALS_BYTES // 4)
    letters = "\U0001d400" * 252  # a letter of 4 bytes in UTF-8
    mappings = {f"f{index:02d}{letters}": "topic_name" for index in range(100)}
    headers = {f"X-H{index:02d}": "v" * 1024 for index in range(20)}
    body = inbound_connection(
        config=inbound_config(field_mappings=mappings, headers=headers, auth_type="basic"),
        credentials={"username": value, "password": value},
    )

    created = api.post("/api/connections", body)

    assert created.status == 201, created.text
    item = table(aws).get_item(
        TableName=aws.table_name, Key={"pk": {"S": "ORG#org_a"}, "sk": {"S": f"CONN#{created.json()['id']}"}}
    )["Item"]
    ciphertext = item["credentialsCiphertext"]["B"]
    assert len(ciphertext) <= CIPHERTEXT_HEADROOM_BYTES
    assert api.get(f"/api/connections/{created.json()['id']}").status == 200
    assert item_bytes(from_item(item)) < MAX_ITEM_BYTES


# -- names, headers, query strings ---------------------------------------------------------------------


def test_idempotency_key_with_a_trailing_newline_is_a_400(api: ApiClient) -> None:
    response = api.post("/api/connections", inbound_connection(), headers={"Idempotency-Key": "abcdefgh12\n"})

    assert response.status == 400
    assert "Idempotency-Key" in response.json()["error"]
    assert_no_connections(api)


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/topics", {"page": "100001"}, "page"),
        ("/api/topics", {"page": "9" * 400}, "page"),
        ("/api/topics", {"connectionId": "c" * 65}, "connectionId"),
        ("/api/topics", {"iabCode": "i" * 65}, "iabCode"),
        ("/api/activations", {"page": "99999999999999999999"}, "page"),
        ("/api/activations", {"connectionId": "c" * 5000}, "connectionId"),
        ("/api/activations", {"platform": "p" * 5000}, "platform"),
    ],
)
def test_query_parameters_are_bounded(api: ApiClient, path: str, query: dict, field: str) -> None:
    response = api.get(path, query=query)

    assert_refused(response, field)


# -- topics ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"topic_name": "Big", "audience_size": 100000000000000000000000000000000000000}', "audience_size"),
        (b'{"topic_name": "Big", "audience_size": 1e38}', "audience_size"),
        (b'{"topic_name": "Big", "audience_size": 1000000000001}', "audience_size"),
        (b'{"topic_name": "Big", "audience_size": 3.5}', "audience_size"),
        (b'{"topic_name": "Big", "audience_size": true}', "audience_size"),
        (b'{"topic_name": "Big", "audience_size": "12"}', "audience_size"),
        (b'{"topic_name": "Big", "cpm": 1e-300}', "cpm"),
        (b'{"topic_name": "Big", "cpm": 1e40}', "cpm"),
        (b'{"topic_name": "Big", "cpm": NaN}', "cpm"),
        (b'{"topic_name": "Big", "cpm": Infinity}', "cpm"),
        (b'{"topic_name": "' + b"n" * 201 + b'"}', "topic_name"),
        (b'{"topic_name": "Big", "description": "' + b"d" * 1001 + b'"}', "description"),
        (b'{"topic_name": "Big", "keywords": [' + b",".join([b'"k"'] * 51) + b"]}", "keywords"),
        (b'{"topic_name": "Big", "keywords": ["' + b"k" * 101 + b'"]}', "keywords.0"),
        (b'{"topic_name": "Big", "category": "' + b"c" * 1001 + b'"}', "category"),
        (b'{"topic_name": "Big", "taxonomy_path": "' + b"t" * 1001 + b'"}', "taxonomy_path"),
        (b'{"topic_name": "Big", "external_id": "e"}', "external_id"),
    ],
)
def test_topic_fields_out_of_bounds(api: ApiClient, body: bytes, field: str) -> None:
    response = api.request("POST", "/api/topics", body=body)

    assert_refused(response, field)
    assert_no_topics(api)


def test_topic_integers_written_as_floats_are_integers(api: ApiClient) -> None:
    response = api.request("POST", "/api/topics", body=b'{"topic_name": "Auto Intenders", "audience_size": 38643802.0}')

    assert response.status == 201, response.text
    size = response.json()["audienceSize"]
    assert size == 38643802 and type(size) is int
    listed = api.get("/api/topics").json()["topics"][0]["audienceSize"]
    assert type(listed) is int


# -- sync page numbers ----------------------------------------------------------------------------------


@pytest.fixture
def sync_api(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")
    return api


def test_page_numbers_written_as_floats_and_huge_page_numbers(sync_api: ApiClient) -> None:
    items, _ = catalogue_items(250)
    with segment_catalogue(items) as catalogue:
        base = f"/api/connections/{create_inbound_connection(sync_api, catalogue, 'Catalogue')}/sync/run"
        run_id = sync_api.post(base).json()["runId"]

        huge = sync_api.request("POST", f"{base}/{run_id}/page", body=b'{"page": 1e300}')
        fractional = sync_api.request("POST", f"{base}/{run_id}/page", body=b'{"page": 2.5}')
        integral = sync_api.request("POST", f"{base}/{run_id}/page", body=b'{"page": 2.0}')

    assert_refused(huge, "page")
    assert_refused(fractional, "page")
    assert integral.status == 200, integral.text
    assert integral.json()["page"] == 2 and type(integral.json()["page"]) is int


# -- Idempotency-Key replays whose result is gone -------------------------------------------------------


def test_create_replayed_after_the_connection_was_deleted_is_a_409(api: ApiClient) -> None:
    headers = {"Idempotency-Key": "create-then-delete-1"}
    created = api.post("/api/connections", inbound_connection(), headers=headers)
    assert api.delete(f"/api/connections/{created.json()['id']}").status == 200

    replay = api.post("/api/connections", inbound_connection(), headers=headers)
    fresh = api.post("/api/connections", inbound_connection(), headers={"Idempotency-Key": "create-then-delete-2"})

    assert replay.status == 409
    assert "deleted" in replay.json()["error"] and "new Idempotency-Key" in replay.json()["error"]
    assert fresh.status == 201
    assert [connection["id"] for connection in api.get("/api/connections").json()] == [fresh.json()["id"]]


def test_sync_start_replayed_after_the_run_is_gone_is_a_409(sync_api: ApiClient, aws: LocalResources) -> None:
    headers = {"Idempotency-Key": "sync-start-gone-01"}
    with segment_catalogue(catalogue_items(10)[0]) as catalogue:
        base = f"/api/connections/{create_inbound_connection(sync_api, catalogue, 'Catalogue')}/sync/run"
        run_id = sync_api.post(base, headers=headers).json()["runId"]
        assert sync_api.post(f"{base}/{run_id}/cancel").status == 200
        # The run expired (its TTL) while the key is still remembered.
        table(aws).delete_item(
            TableName=aws.table_name, Key={"pk": {"S": "ORG#org_a"}, "sk": {"S": f"SYNCRUN#{run_id}"}}
        )

        replay = sync_api.post(base, headers=headers)

    assert replay.status == 409, replay.text
    assert "new Idempotency-Key" in replay.json()["error"]


def test_push_start_replayed_after_the_run_is_gone_is_a_409(api: ApiClient, aws: LocalResources) -> None:
    headers = {"Idempotency-Key": "push-start-gone-01"}
    connection_id = api.post("/api/connections", outbound_liveramp()).json()["id"]
    topic_id = api.post("/api/topics", {"topic_name": "Auto Intenders"}).json()["id"]
    base = f"/api/connections/{connection_id}/push/run"
    run_id = api.post(base, {"segmentIds": [topic_id]}, headers=headers).json()["runId"]
    assert api.post(f"{base}/{run_id}/cancel").status == 200
    table(aws).delete_item(TableName=aws.table_name, Key={"pk": {"S": "ORG#org_a"}, "sk": {"S": f"PUSHRUN#{run_id}"}})

    replay = api.post(base, {"segmentIds": [topic_id]}, headers=headers)

    assert replay.status == 409, replay.text
    assert "new Idempotency-Key" in replay.json()["error"]
