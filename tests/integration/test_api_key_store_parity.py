"""The API key store's limit and lookups, the same on the in-memory fake and on DynamoDB: the limit is
the transaction's ``limit`` part refusing, and a refused add writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from connections.adapters.dynamodb.api_key_repository import DynamoApiKeyRepository
from connections.domain.api_keys import ApiKey
from connections.domain.errors import Conflict, NotFound
from connections.ports.api_key_repository import ApiKeyRepository
from local.provision import LocalResources
from tests.fakes.key_store import InMemoryApiKeys

ORG = "org_a"
NOW = "2026-02-25T10:00:00.000Z"


@pytest.fixture(params=["in_memory", "dynamodb"])
def keys(request: pytest.FixtureRequest) -> Iterator[ApiKeyRepository]:
    if request.param == "in_memory":
        yield InMemoryApiKeys()
        return
    aws: LocalResources = request.getfixturevalue("aws")
    yield DynamoApiKeyRepository(aws.table_name)


def api_key(number: int) -> ApiKey:
    return ApiKey(key_id=f"key_{number}", org_id=ORG, name=f"Key {number}", scopes=frozenset({"sync"}), created_at=NOW)


def test_keys_past_the_limit_are_refused_and_not_stored(keys: ApiKeyRepository) -> None:
    for number in range(2):
        keys.add(api_key(number), f"digest-{number}", max_per_org=2)

    with pytest.raises(Conflict, match="at most 2 active keys"):
        keys.add(api_key(2), "digest-2", max_per_org=2)

    assert keys.find_by_digest("digest-1") == api_key(1)
    assert keys.find_by_digest("digest-2") is None
    with pytest.raises(NotFound):
        keys.revoke(ORG, "key_2", NOW)


def test_revoking_frees_one_slot_once_and_answers_the_revoked_record(keys: ApiKeyRepository) -> None:
    for number in range(2):
        keys.add(api_key(number), f"digest-{number}", max_per_org=2)

    revoked = keys.revoke(ORG, "key_0", NOW)
    again = keys.revoke(ORG, "key_0", "2026-02-25T11:00:00.000Z")
    keys.add(api_key(2), "digest-2", max_per_org=2)

    assert revoked == again == replace(api_key(0), revoked_at=NOW)
    with pytest.raises(Conflict):
        keys.add(api_key(3), "digest-3", max_per_org=2)
    assert [key.key_id for key in keys.list_keys(ORG)] == ["key_2", "key_1", "key_0"]
    assert keys.list_keys("org_other") == []
    with pytest.raises(NotFound):
        keys.revoke("org_other", "key_1", NOW)


def test_a_use_is_recorded_only_when_the_last_one_is_older_than_the_cutoff(keys: ApiKeyRepository) -> None:
    keys.add(api_key(0), "digest-0", max_per_org=2)

    keys.record_use("digest-0", "2026-02-25T10:00:00.000Z", "2026-02-25T09:59:00.000Z")
    keys.record_use("digest-0", "2026-02-25T10:00:30.000Z", "2026-02-25T09:59:30.000Z")
    first = keys.find_by_digest("digest-0")
    keys.record_use("digest-0", "2026-02-25T10:01:01.000Z", "2026-02-25T10:00:01.000Z")
    keys.record_use("digest-unknown", "2026-02-25T10:01:01.000Z", "2026-02-25T10:00:01.000Z")

    assert first is not None and first.last_used_at == "2026-02-25T10:00:00.000Z"
    assert keys.find_by_digest("digest-0").last_used_at == "2026-02-25T10:01:01.000Z"  # type: ignore[union-attr]
    assert keys.list_keys(ORG)[0].last_used_at == "2026-02-25T10:01:01.000Z"
    assert keys.find_by_digest("digest-unknown") is None


def test_a_key_is_revoked_even_when_the_counter_has_no_slot_to_free(aws: LocalResources) -> None:
    import boto3

    from connections.adapters.dynamodb.keys import meta_key

    keys = DynamoApiKeyRepository(aws.table_name)
    keys.add(api_key(0), "digest-0", max_per_org=2)
    # A counter that lost track (0): revoking must not fail, nor take it below 0.
    boto3.client("dynamodb").update_item(
        TableName=aws.table_name,
        Key=meta_key(ORG),
        UpdateExpression="SET apiKeyCount = :zero",
        ExpressionAttributeValues={":zero": {"N": "0"}},
    )

    revoked = keys.revoke(ORG, "key_0", NOW)

    assert revoked.revoked_at == NOW
    assert keys.find_by_digest("digest-0").revoked_at == NOW  # type: ignore[union-attr]
    meta = boto3.client("dynamodb").get_item(TableName=aws.table_name, Key=meta_key(ORG))["Item"]
    assert meta["apiKeyCount"] == {"N": "0"}
