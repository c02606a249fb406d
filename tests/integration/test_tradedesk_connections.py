"""Trade Desk connections through the real handlers: the provider id is required up front (in config or
credentials, where AudienceGPT's guide puts it), and a full push runs against the strict fake."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.tradedesk import TTD_ELEMENTS_PATH, tradedesk_fake
from tests.integration.conftest import ApiClient
from tests.integration.test_push_runs import create_topics, push_all, push_api  # noqa: F401 - push_api is a fixture

API_KEY = "ttd-longlived-6b5a4c3d2e1f"


def connection(config: dict[str, Any], credentials: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "TTD out", "platform": "tradedesk", "direction": "outbound", "config": config}
    if credentials is not None:
        body["credentials"] = credentials
    return body | fields


def problems(response: Any) -> dict[str, str]:
    return {detail["field"]: detail["message"] for detail in response.json()["details"]}


@pytest.mark.parametrize("direction", ["outbound", "bidirectional"])
@pytest.mark.parametrize("credentials", [None, {"api_key": API_KEY}], ids=["no-credentials", "api-key"])
def test_a_pushing_connection_without_a_provider_id_is_refused(
    api: ApiClient, direction: str, credentials: dict[str, str] | None
) -> None:
    config = {"base_url": "https://api.example.com/segments"} if direction == "bidirectional" else {}
    response = api.post("/api/connections", connection(config, credentials, direction=direction))

    assert response.status == 400, response.text
    assert problems(response) == {
        "credentials.provider_id": "The Trade Desk needs provider_id in credentials or config.provider_id"
    }
    assert api.get("/api/connections").json() == []


def test_an_inbound_connection_needs_no_provider_id(api: ApiClient) -> None:
    body = connection({"base_url": "https://api.example.com/segments"}, {"api_key": API_KEY}, direction="inbound")

    assert api.post("/api/connections", body).status == 201


@pytest.mark.parametrize(
    ("config", "credentials"),
    [
        ({"provider_id": "acme-data"}, {"api_key": API_KEY}),
        ({}, {"api_key": API_KEY, "provider_id": "acme-data"}),
        ({}, {"api_key": API_KEY, "provider_id": "p1", "brand_id": "dav2delvrai"}),
        ({"brand_id": "dav2delvrai", "parent_element_id": "acme-auto"}, {"api_key": API_KEY, "provider_id": "p1"}),
    ],
    ids=["config", "credentials", "credentials-with-brand", "config-brand-and-parent"],
)
def test_the_ids_are_taken_where_the_guide_and_the_config_put_them(
    api: ApiClient, config: dict[str, Any], credentials: dict[str, str]
) -> None:
    response = api.post("/api/connections", connection(config, credentials))

    assert response.status == 201, response.text
    shown = api.get(f"/api/connections/{response.json()['id']}").json()
    assert shown["config"] == config  # credential ids stay with the credentials, never shown


@pytest.mark.parametrize(
    ("config", "credentials", "field"),
    [
        ({}, {"api_key": API_KEY, "provider_id": "not an id"}, "credentials.provider_id"),
        ({"provider_id": "acme"}, {"api_key": API_KEY, "brand_id": "x" * 65}, "credentials.brand_id"),
        ({"provider_id": "acme", "parent_element_id": "p" * 513}, {"api_key": API_KEY}, "config.parent_element_id"),
        ({"provider_id": "acme", "parent_element_id": "  "}, {"api_key": API_KEY}, "config.parent_element_id"),
        ({"provider_id": "acme", "brand_id": "has space"}, {"api_key": API_KEY}, "config.brand_id"),
    ],
)
def test_bad_ids_are_400s_naming_the_field(
    api: ApiClient, config: dict[str, Any], credentials: dict[str, str], field: str
) -> None:
    response = api.post("/api/connections", connection(config, credentials))

    assert response.status == 400, response.text
    assert field in problems(response)


def test_the_ttd_keys_belong_to_tradedesk_only(api: ApiClient) -> None:
    body = connection({"parent_element_id": "ROOT"}, {"username": "ix", "key": "ix-key-42"}, platform="indexexchange")
    body["config"] |= {"brand_id": "b1", "s3_bucket": "ix-taxonomy"}  # the bucket: what Index Exchange needs

    response = api.post("/api/connections", body)

    assert response.status == 400
    assert set(problems(response)) == {"config.parent_element_id", "config.brand_id"}


def test_patch_keeps_a_provider_id_in_config_or_in_the_stored_credentials(api: ApiClient) -> None:
    in_credentials = api.post("/api/connections", connection({}, {"api_key": API_KEY, "provider_id": "acme"})).json()
    in_config = api.post("/api/connections", connection({"provider_id": "acme"}, {"api_key": API_KEY})).json()

    # The stored credentials hold it: dropping nothing, renaming is fine.
    assert api.patch(f"/api/connections/{in_credentials['id']}", {"name": "Renamed"}).status == 200
    # Removing it from config leaves none: refused, and the connection is unchanged.
    removed = api.patch(f"/api/connections/{in_config['id']}", {"config": {"provider_id": None}})
    # New credentials that carry it make the same change fine.
    moved = api.patch(
        f"/api/connections/{in_config['id']}",
        {"config": {"provider_id": None}, "credentials": {"api_key": API_KEY, "provider_id": "acme"}},
    )

    assert removed.status == 400, removed.text
    assert "credentials.provider_id" in problems(removed)
    assert moved.status == 200, moved.text
    assert moved.json()["config"] == {}
    # And new credentials without it, on a connection whose config has none, are refused.
    dropped = api.patch(f"/api/connections/{in_credentials['id']}", {"credentials": {"api_key": API_KEY}})
    assert dropped.status == 400
    assert "credentials.provider_id" in problems(dropped)


@pytest.fixture
def decrypts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The connection ids whose stored credentials the handlers decrypt."""
    from connections.adapters.kms_credential_cipher import KmsCredentialCipher

    calls: list[str] = []
    original = KmsCredentialCipher.decrypt

    def counted(self: Any, ciphertext: bytes, *, org_id: str, connection_id: str) -> dict[str, str]:
        calls.append(connection_id)
        return original(self, ciphertext, org_id=org_id, connection_id=connection_id)

    monkeypatch.setattr(KmsCredentialCipher, "decrypt", counted)
    return calls


def test_patch_finds_the_provider_id_in_the_stored_credentials(api: ApiClient, decrypts: list[str]) -> None:
    stored = {"api_key": API_KEY, "provider_id": "acme"}
    both = api.post("/api/connections", connection({"provider_id": "acme"}, stored)).json()["id"]
    inbound = connection({"base_url": "https://api.example.com/segments"}, stored, direction="inbound")
    pulling = api.post("/api/connections", inbound).json()["id"]
    config_only = api.post("/api/connections", connection({"provider_id": "acme"}, {"api_key": API_KEY})).json()["id"]

    dropped = api.patch(f"/api/connections/{both}", {"config": {"provider_id": None}})
    renamed = api.patch(f"/api/connections/{both}", {"name": "Renamed"})
    pushing = api.patch(f"/api/connections/{pulling}", {"direction": "bidirectional"})
    refused = api.patch(f"/api/connections/{config_only}", {"config": {"provider_id": None}})
    kept = api.patch(f"/api/connections/{config_only}", {"name": "Renamed"})

    assert dropped.status == 200, dropped.text
    assert dropped.json()["config"] == {}
    assert renamed.status == 200
    assert pushing.status == 200, pushing.text
    assert refused.status == 400
    assert problems(refused) == {
        "credentials.provider_id": "The Trade Desk needs provider_id in credentials or config.provider_id"
    }
    assert kept.status == 200
    # One decrypt for each PATCH that left an id to find; none once the record vouches for it, none
    # while config holds it.
    assert decrypts == [both, pulling, config_only]


def test_full_push_and_repush_with_the_ids_in_credentials(push_api: ApiClient) -> None:  # noqa: F811
    topic_ids = create_topics(push_api, 30)
    with tradedesk_fake(ids_in_credentials=True) as fake:
        config = fake.outbound_config() | {"parent_element_id": "ttd-0001"}
        body = connection(config, fake.credentials | {"brand_id": "dav2delvrai"})
        created = push_api.post("/api/connections", body)
        assert created.status == 201, created.text
        connection_id = created.json()["id"]

        first, _ = push_all(push_api, connection_id, topic_ids, cpm=2.5)
        second, _ = push_all(push_api, connection_id, topic_ids, cpm=3.0)
        creates = [request.json() for request in fake.server.requests_to("POST", TTD_ELEMENTS_PATH)]
        updates = [request.json() for request in fake.server.requests_to("PUT", TTD_ELEMENTS_PATH)]
        rates = [row for batch in fake.rate_batches for row in batch["DataRates"]]

    assert (first["successCount"], first["errorCount"], first["pendingCount"]) == (30, 0, 0)
    assert (second["successCount"], second["errorCount"]) == (30, 0)
    assert sorted(element["ProviderElementId"] for element in creates) == sorted(topic_ids)
    assert {(element["ProviderId"], element["ParentElementId"]) for element in creates} == {("acme-data", "ttd-0001")}
    assert sorted(element["ProviderElementId"] for element in updates) == sorted(topic_ids)
    assert not any("ParentElementId" in element or "Buyable" in element for element in updates)
    assert {row["BrandId"] for row in rates} == {"dav2delvrai"}
    assert sorted(row["CPMRate"]["Amount"] for row in rates) == [2.5] * 30 + [3.0] * 30


def test_patch_that_starts_pushing_needs_the_provider_id(api: ApiClient) -> None:
    inbound = connection({"base_url": "https://api.example.com/segments"}, {"api_key": API_KEY}, direction="inbound")
    connection_id = api.post("/api/connections", inbound).json()["id"]

    refused = api.patch(f"/api/connections/{connection_id}", {"direction": "bidirectional"})
    taken = api.patch(
        f"/api/connections/{connection_id}", {"direction": "bidirectional", "config": {"provider_id": "acme"}}
    )

    assert refused.status == 400
    assert "credentials.provider_id" in problems(refused)
    assert taken.status == 200, taken.text
    assert api.get(f"/api/connections/{connection_id}").json()["direction"] == "bidirectional"
