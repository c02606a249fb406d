"""Connection config and credential rules, and the service against in-memory fakes (no AWS)."""

from __future__ import annotations

import pytest

from connections.domain.access import AuthType, Caller
from connections.domain.connection_config import merge_config, validate_config
from connections.domain.connection_requests import CreateConnectionRequest, UpdateConnectionRequest
from connections.domain.connection_service import ConnectionService
from connections.domain.credential_shapes import validate_credentials
from connections.domain.errors import ConnectionLimitReached, InvalidInput, NotFound
from connections.domain.list_filters import ConnectionFilters
from connections.domain.platforms import Direction, Platform
from tests.fakes.connection_store import InMemoryConnections
from tests.fakes.credential_ciphers import ContextBoundCipher

CALLER = Caller("org_a", "user_1", AuthType.SESSION)


def problems(config, platform=Platform.CUSTOM_API, direction=Direction.INBOUND) -> dict[str, str]:
    return {problem.field: problem.message for problem in validate_config(config, platform, direction)}


def test_config_keys_are_checked_per_direction() -> None:
    assert problems({"base_url": "https://a.example.com"}) == {}
    assert problems({}) == {"config.base_url": "is required for inbound and bidirectional connections"}
    assert "config.default_cpm" in problems({"base_url": "https://a.example.com", "default_cpm": 1})
    assert problems({"default_cpm": 1, "currency": "EUR"}, Platform.LIVERAMP, Direction.OUTBOUND) == {}
    both = {"base_url": "https://a.example.com", "default_cpm": 1}
    assert problems(both, Platform.LIVERAMP, Direction.BIDIRECTIONAL) == {}


def test_platform_specific_keys() -> None:
    assert problems({"provider_id": "p"}, Platform.TRADEDESK, Direction.OUTBOUND) == {}
    assert (
        "only to platform tradedesk"
        in problems({"provider_id": "p"}, Platform.LIVERAMP, Direction.OUTBOUND)["config.provider_id"]
    )
    headers = {"base_url": "https://a.example.com", "headers": {"Accept": "json"}}
    assert problems(headers) == {}
    assert "config.headers" in problems(headers, Platform.LIVERAMP)


def test_merge_config_sets_and_removes_keys() -> None:
    assert merge_config({"a": 1, "b": 2}, {"b": None, "c": 3}) == {"a": 1, "c": 3}
    assert merge_config({"a": 1}, {"missing": None}) == {"a": 1}


def test_credential_messages_never_contain_values() -> None:
    found = validate_credentials({"client_id": "SECRET-ID-VALUE"}, Platform.LIVERAMP, None)
    assert found
    assert all("SECRET-ID-VALUE" not in problem.message for problem in found)
    complete = {"client_id": "a", "client_secret": "b-secret", "org_id": "o"}
    assert validate_credentials(complete, Platform.LIVERAMP, None) == []
    assert validate_credentials({}, Platform.CUSTOM_API, "none") == []
    assert validate_credentials({"token": "t-secret"}, Platform.CUSTOM_API, "bearer") == []


def test_service_encrypts_with_the_new_records_context() -> None:
    repository, cipher = InMemoryConnections(), ContextBoundCipher()
    service = ConnectionService(repository, cipher)
    request = CreateConnectionRequest.model_validate_json(
        '{"name": " Feed ", "platform": "custom_api", "direction": "inbound",'
        ' "config": {"base_url": "https://a.example.com", "auth_type": "bearer", "items_path": null},'
        ' "credentials": {"token": "t-secret"}}'
    )

    created = service.create(CALLER, request)

    assert created.name == "Feed"
    assert created.config == {"base_url": "https://a.example.com", "auth_type": "bearer"}
    assert cipher.contexts == [("org_a", created.id)]
    assert repository.get_encrypted_credentials("org_a", created.id) is not None
    assert created.has_credentials


def test_service_limit_and_org_isolation() -> None:
    repository = InMemoryConnections()
    service = ConnectionService(repository, ContextBoundCipher(), max_connections=2)
    body = '{"name": "n", "platform": "custom_api", "direction": "inbound", "config": {"base_url": "https://a.b"}}'
    request = CreateConnectionRequest.model_validate_json(body)
    first = service.create(CALLER, request)
    service.create(CALLER, request)

    with pytest.raises(ConnectionLimitReached):
        service.create(CALLER, request)
    other_org = Caller("org_b", "user_2", AuthType.SESSION)
    with pytest.raises(NotFound):
        service.get(other_org, first.id)
    assert service.list(other_org, ConnectionFilters()) == []


def test_update_rejects_platform_change_and_bumps_version() -> None:
    repository = InMemoryConnections()
    service = ConnectionService(repository, ContextBoundCipher())
    body = '{"name": "n", "platform": "custom_api", "direction": "inbound", "config": {"base_url": "https://a.b"}}'
    created = service.create(CALLER, CreateConnectionRequest.model_validate_json(body))

    with pytest.raises(InvalidInput):
        service.update(CALLER, created.id, UpdateConnectionRequest.model_validate_json('{"platform": "liveramp"}'))
    renamed = service.update(CALLER, created.id, UpdateConnectionRequest.model_validate_json('{"name": "m"}'))

    assert renamed.name == "m"
    assert renamed.version == created.version + 1
    stored = repository.get("org_a", created.id)
    assert stored is not None
    assert stored.name == "m"


def test_count_url_is_a_url_with_a_count_path_on_pulling_connections() -> None:
    base = {"base_url": "https://a.example.com/segments", "count_path": "total"}
    assert problems(base | {"count_url": "https://a.example.com/segments/count"}) == {}
    assert problems({"base_url": base["base_url"], "count_url": "https://a.example.com/count"}) == {
        "config.count_path": "is required with count_url (where its answer holds the total)"
    }
    assert problems(base | {"count_url": "ftp://a.example.com/count"}) == {
        "config.count_url": "must be an absolute http(s) URL"
    }
    assert "user name or password" in problems(base | {"count_url": "https://u:p@a.example.com/c"})["config.count_url"]
    outbound = problems({"count_url": "https://a.example.com/c"}, Platform.CUSTOM_API, Direction.OUTBOUND)
    assert outbound == {"config.count_url": "'count_url' applies only to inbound or bidirectional connections"}


def test_changing_the_count_url_needs_the_credentials_again() -> None:
    from connections.domain.connection_config import credential_urls_changed

    before = {"base_url": "https://a.example.com/s", "count_url": "https://a.example.com/count"}
    assert credential_urls_changed(before, before | {"count_url": "https://elsewhere.example.com/count"}) == [
        "count_url"
    ]
    assert credential_urls_changed(before, {"base_url": before["base_url"]}) == ["count_url"]
    assert credential_urls_changed(before, dict(before)) == []


def test_extra_headers_cannot_replace_the_api_key_header() -> None:
    config = {"base_url": "https://a.example.com", "auth_type": "api_key", "api_key_header": "X-Partner"}
    assert problems(config | {"headers": {"X-Tenant": "acme"}}) == {}
    assert problems(config | {"headers": {"x-partner": "guess"}}) == {
        "config.headers": "'x-partner' is the api_key_header; it cannot be overridden"
    }
