"""The API key store's limit and lookups, the same on the in-memory fake and on DynamoDB: the limit is
the transaction's ``limit`` part refusing, and a refused add writes nothing."""

from __future__ import annotations

from collections.abc import Iterator

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

    with pytest.raises(Conflict, match="at most 2 keys"):
        keys.add(api_key(2), "digest-2", max_per_org=2)

    assert keys.find_by_digest("digest-1") == api_key(1)
    assert keys.find_by_digest("digest-2") is None
    with pytest.raises(NotFound):
        keys.revoke(ORG, "key_2", NOW)
