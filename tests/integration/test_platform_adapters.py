"""Platform adapters against fake platforms on 127.0.0.1: each platform's happy path, its auth and
token caching (token requests counted), refreshing an expired token once, the custom API's
pagination styles and outbound contract, and that no secret reaches a result, a message or a log.

Faults common to every platform (429, 5xx, malformed JSON, oversized and never-ending answers, the
deadline) are in test_platform_faults.py.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from moto import mock_aws

from connections.adapters.outbound.safe_client import SafeHttpClient
from connections.adapters.platforms.factory import PlatformClientFactory
from connections.adapters.platforms.platform_errors import IncompleteConnection, UndocumentedOperation
from connections.adapters.platforms.token_cache import TokenCache
from connections.domain.outbound_errors import MalformedResponse, TargetNotAllowed, UpstreamStatusError
from connections.ports.platforms import SegmentSpec
from tests.fakes.platforms import (
    CUSTOM_BASE_PATH,
    CUSTOM_COUNT_PATH,
    CUSTOM_SEGMENTS_PATH,
    IX_SEGMENTS_PATH,
    IX_TOKEN_PATH,
    LIVERAMP_SEGMENTS_PATH,
    LIVERAMP_TOKEN_PATH,
    TTD_AUTH_PATH,
    TTD_ELEMENTS_PATH,
    TTD_QUERY_PATH,
    TTD_RATES_PATH,
    custom_api_fake,
    indexexchange_fake,
    liveramp_fake,
    tradedesk_fake,
)
from tests.support.platform_checks import (
    SEGMENT,
    CapturedLogs,
    RecordingSleep,
    assert_no_secrets,
    deadline,
    failure,
)

# Fixtures: factory, http, logs, sleep, tokens.
pytest_plugins = ["tests.support.platform_fixtures"]


# ------------------------------------------------------------------------------------- custom inbound
@pytest.mark.parametrize(
    ("options", "expected_query"),
    [
        ({}, [{"page": ["1"], "page_size": ["3"]}, {"page": ["2"], "page_size": ["3"]}]),
        ({"first_page": 0}, [{"page": ["0"], "page_size": ["3"]}, {"page": ["1"], "page_size": ["3"]}]),
        ({"pagination": "offset"}, [{"offset": ["0"], "page_size": ["3"]}, {"offset": ["3"], "page_size": ["3"]}]),
        (
            {"page_param": "p", "page_size_param": "per_page", "items_path": "results", "count_path": "meta.count"},
            [{"p": ["1"], "per_page": ["3"]}, {"p": ["2"], "per_page": ["3"]}],
        ),
        ({"items_path": "payload.data.items", "count_path": None}, None),
        ({"items_path": None, "count_path": None}, None),
    ],
    ids=["page-from-1", "page-from-0", "offset", "renamed-params", "nested-no-count", "bare-list"],
)
def test_custom_source_reads_every_pagination_style(
    factory: PlatformClientFactory, logs: CapturedLogs, options: dict[str, Any], expected_query: Any
) -> None:
    with custom_api_fake(total=7, **options) as fake:
        source = factory.source("custom_api", fake.inbound_config(), fake.credentials)
        pages = [source.fetch_page(index, 3, deadline()) for index in range(3)]

        assert [item for page in pages for item in page.items] == fake.items
        assert [len(page.items) for page in pages] == [3, 3, 1]
        expected_total = 7 if fake.count_path else None
        assert {page.total for page in pages} == {expected_total}
        sent = fake.server.requests_to("GET", CUSTOM_SEGMENTS_PATH)
        if expected_query is not None:
            assert [request.query for request in sent[:2]] == expected_query
        assert_no_secrets(fake, logs, pages)


@pytest.mark.parametrize("auth_type", ["bearer", "basic", "api_key", "none"])
def test_custom_source_authorises_by_auth_type(
    factory: PlatformClientFactory, logs: CapturedLogs, auth_type: str
) -> None:
    with custom_api_fake(auth_type=auth_type) as fake:
        page = factory.source("custom_api", fake.inbound_config(), fake.credentials).fetch_page(0, 1, deadline())

        assert page.items == fake.items[:1]
        assert page.total == len(fake.items)
        assert_no_secrets(fake, logs, page)


def test_custom_source_sends_the_api_key_in_the_configured_header(factory: PlatformClientFactory) -> None:
    with custom_api_fake(auth_type="api_key", api_key_header="X-Partner-Key") as fake:
        factory.source("custom_api", fake.inbound_config(), fake.credentials).fetch_page(0, 1, deadline())

        sent = fake.server.requests_to("GET", CUSTOM_SEGMENTS_PATH)[0]
        assert sent.header("x-partner-key") == fake.credentials["api_key"]
        assert sent.header("x-api-key") is None


def test_custom_source_sends_extra_headers(factory: PlatformClientFactory) -> None:
    with custom_api_fake() as fake:
        config = fake.inbound_config() | {"headers": {"X-Tenant": "acme", "Accept-Language": "en"}}
        factory.source("custom_api", config, fake.credentials).fetch_page(0, 1, deadline())

        sent = fake.server.requests_to("GET", CUSTOM_SEGMENTS_PATH)[0]
        assert sent.header("x-tenant") == "acme"
        assert sent.header("authorization") == f"Bearer {fake.credentials['token']}"


@pytest.mark.parametrize("auth_type", ["bearer", "basic", "api_key"])
def test_custom_source_with_wrong_credentials_fails_authentication(
    factory: PlatformClientFactory, logs: CapturedLogs, auth_type: str
) -> None:
    with custom_api_fake(auth_type=auth_type) as fake:
        wrong = {key: value + "-wrong" for key, value in fake.credentials.items()}
        source = factory.source("custom_api", fake.inbound_config(), wrong)

        error = failure(lambda: source.fetch_page(0, 1, deadline()))

        assert error.message == "Authentication failed (401)"
        assert fake.server.count("GET", CUSTOM_SEGMENTS_PATH) == 1
        assert_no_secrets(fake, logs, error)
        for value in wrong.values():
            assert value not in error.message and value not in logs.text


def test_custom_source_names_a_missing_items_path(factory: PlatformClientFactory) -> None:
    with custom_api_fake(items_path="data.segments") as fake:
        config = fake.inbound_config() | {"items_path": "data.items"}
        error = failure(lambda: factory.source("custom_api", config, fake.credentials).fetch_page(0, 1, deadline()))

        assert isinstance(error, MalformedResponse)
        assert error.message == "items_path 'data.items' not found in response"


def test_custom_source_names_a_missing_count_path(factory: PlatformClientFactory) -> None:
    with custom_api_fake(count_path=None) as fake:
        config = fake.inbound_config() | {"count_path": "data.total"}
        error = failure(lambda: factory.source("custom_api", config, fake.credentials).fetch_page(0, 1, deadline()))

        assert error.message == "count_path 'data.total' not found in response"


def test_custom_source_without_items_path_needs_a_list(factory: PlatformClientFactory) -> None:
    with custom_api_fake() as fake:
        config = {key: value for key, value in fake.inbound_config().items() if key != "items_path"}
        error = failure(lambda: factory.source("custom_api", config, fake.credentials).fetch_page(0, 1, deadline()))

        assert "set items_path" in error.message


def test_missing_credentials_fail_before_anything_is_sent(factory: PlatformClientFactory) -> None:
    with custom_api_fake(auth_type="basic") as fake:
        error = failure(lambda: factory.source("custom_api", fake.inbound_config(), {"username": "only"}))

        assert error.message == "auth_type 'basic' needs the credentials username and password"
        assert fake.server.requests == []


# ------------------------------------------------------------------------------------ custom outbound
def test_custom_destination_follows_the_documented_contract(factory: PlatformClientFactory, logs: CapturedLogs) -> None:
    with custom_api_fake(auth_type="bearer") as fake:
        destination = factory.destination("custom_api", fake.outbound_config(), fake.credentials, "conn_1")

        assert destination.display_name == "Custom"
        assert destination.test(deadline()) == "Connected to Custom API"
        created = destination.create_segment(SEGMENT, deadline())
        updated = destination.update_segment(created.platform_segment_id, SEGMENT, deadline())
        destination.deactivate_segment(created.platform_segment_id, deadline())
        destination.deactivate_segment(created.platform_segment_id, deadline())  # already gone: still fine

        assert created.platform_segment_id == updated.platform_segment_id == "cs_1"
        assert fake.deleted == ["cs_1"]
        posted = fake.server.requests_to("POST", CUSTOM_SEGMENTS_PATH)[0]
        assert posted.json() == {
            "external_id": "topic_01HZX",
            "name": "Auto Intenders > SUVs",
            "description": "In-market for an SUV",
            "cpm": 2.25,
            "currency": "USD",
            "taxonomy_path": ["Automotive", "SUV"],
            "data_source_location": "US",
        }
        assert posted.header("content-type") == "application/json"
        assert fake.server.requests_to("PUT", CUSTOM_SEGMENTS_PATH + "/{segment_id}")[0].path == "/api/segments/cs_1"
        assert fake.server.count("GET", CUSTOM_BASE_PATH) == 1
        assert_no_secrets(fake, logs, created, updated)


def test_custom_destination_falls_back_to_config_prices(factory: PlatformClientFactory) -> None:
    with custom_api_fake() as fake:
        destination = factory.destination("custom_api", fake.outbound_config(), fake.credentials, "conn_1")
        destination.create_segment(SegmentSpec(external_id="t1", name="Gardeners", currency=""), deadline())

        body = fake.server.requests_to("POST", CUSTOM_SEGMENTS_PATH)[0].json()
        assert (body["cpm"], body["currency"], body["taxonomy_path"]) == (3.0, "EUR", [])


def test_custom_destination_quotes_the_platform_reason_for_a_client_error(factory: PlatformClientFactory) -> None:
    with custom_api_fake() as fake:
        destination = factory.destination("custom_api", fake.outbound_config(), fake.credentials, "conn_1")
        fake.server.faults("POST", CUSTOM_SEGMENTS_PATH).status(422, {"message": "name is too long"})

        error = failure(lambda: destination.create_segment(SEGMENT, deadline()))

        assert error.message == "Platform returned HTTP 422: name is too long"


def test_custom_create_is_not_resent_after_a_server_error(factory: PlatformClientFactory) -> None:
    with custom_api_fake() as fake:
        destination = factory.destination("custom_api", fake.outbound_config(), fake.credentials, "conn_1")
        fake.server.faults("POST", CUSTOM_SEGMENTS_PATH).status(502)

        error = failure(lambda: destination.create_segment(SEGMENT, deadline()))

        assert isinstance(error, UpstreamStatusError) and error.status == 502
        assert error.message.startswith("Platform returned HTTP 502")
        assert fake.server.count("POST", CUSTOM_SEGMENTS_PATH) == 1


def test_custom_create_is_retried_after_429_with_retry_after(
    factory: PlatformClientFactory, sleep: RecordingSleep
) -> None:
    with custom_api_fake() as fake:
        destination = factory.destination("custom_api", fake.outbound_config(), fake.credentials, "conn_1")
        fake.server.faults("POST", CUSTOM_SEGMENTS_PATH).status(429, retry_after=1)

        assert destination.create_segment(SEGMENT, deadline()).platform_segment_id == "cs_1"
        assert sleep.waits == [1.0]
        assert fake.server.count("POST", CUSTOM_SEGMENTS_PATH) == 2


def test_custom_create_without_an_id_is_malformed(factory: PlatformClientFactory) -> None:
    with custom_api_fake() as fake:
        fake.server.faults("POST", CUSTOM_SEGMENTS_PATH).status(201, {"created": True})
        destination = factory.destination("custom_api", fake.outbound_config(), fake.credentials, "conn_1")

        error = failure(lambda: destination.create_segment(SEGMENT, deadline()))

        assert error.message == "Custom API did not return the new segment's id"


def test_custom_destination_needs_an_api_base_url(factory: PlatformClientFactory) -> None:
    error = failure(lambda: factory.destination("custom_api", {"auth_type": "none"}, {}, "conn_1"))
    assert error.message == "config.api_base_url is required to push to a custom API"


# ------------------------------------------------------------------------------------------ LiveRamp
@pytest.mark.parametrize("grant", ["password", "client_credentials"])
def test_liveramp_test_obtains_a_token_and_makes_an_authorised_read(
    factory: PlatformClientFactory, logs: CapturedLogs, grant: str
) -> None:
    with liveramp_fake(grant=grant) as fake:
        destination = factory.destination("liveramp", fake.outbound_config(), fake.credentials, "conn_1")

        message = destination.test(deadline())

        assert message == "Connected to LiveRamp API"
        assert destination.display_name == "LiveRamp"
        token_request = fake.server.requests_to("POST", LIVERAMP_TOKEN_PATH)[0]
        assert token_request.header("content-type") == "application/x-www-form-urlencoded"
        read = fake.server.requests_to("GET", LIVERAMP_SEGMENTS_PATH)[0]
        assert read.header("authorization") == f"Bearer {fake.tokens.issued[0]}"
        assert read.header("lr-org-id") == fake.org_id
        assert read.query == {"limit": ["1"]}
        assert_no_secrets(fake, logs, message)


def test_liveramp_token_is_cached_between_calls(factory: PlatformClientFactory) -> None:
    with liveramp_fake() as fake:
        for _ in range(2):
            destination = factory.destination("liveramp", fake.outbound_config(), fake.credentials, "conn_1")
            destination.test(deadline())
        source = factory.source("liveramp", fake.config, fake.credentials)
        page = source.fetch_page(0, 2, deadline())

        assert fake.token_requests() == 1
        assert fake.server.count("GET", LIVERAMP_SEGMENTS_PATH) == 3
        assert page.total == 3 and len(page.items) == 2


@pytest.mark.parametrize("expired_status", [401, 403])
def test_liveramp_expired_token_is_refreshed_once(
    factory: PlatformClientFactory, logs: CapturedLogs, expired_status: int
) -> None:
    with liveramp_fake(expired_status=expired_status) as fake:
        destination = factory.destination("liveramp", fake.outbound_config(), fake.credentials, "conn_1")
        destination.test(deadline())
        fake.tokens.expire_all()

        assert destination.test(deadline()) == "Connected to LiveRamp API"
        assert fake.token_requests() == 2
        assert fake.server.count("GET", LIVERAMP_SEGMENTS_PATH) == 3
        assert_no_secrets(fake, logs)


def test_liveramp_refreshes_only_once_then_reports_the_failure(
    factory: PlatformClientFactory, logs: CapturedLogs
) -> None:
    with liveramp_fake() as fake:
        destination = factory.destination("liveramp", fake.outbound_config(), fake.credentials, "conn_1")
        destination.test(deadline())
        fake.server.faults("GET", LIVERAMP_SEGMENTS_PATH).status(401).status(401)

        error = failure(lambda: destination.test(deadline()))

        assert error.message == "Authentication failed (401)"
        assert fake.token_requests() == 2
        assert fake.server.count("GET", LIVERAMP_SEGMENTS_PATH) == 3
        assert_no_secrets(fake, logs, error)


def test_liveramp_rejection_of_a_fresh_token_is_not_retried(factory: PlatformClientFactory) -> None:
    with liveramp_fake() as fake:
        fake.server.faults("GET", LIVERAMP_SEGMENTS_PATH).status(401)
        destination = factory.destination("liveramp", fake.outbound_config(), fake.credentials, "conn_1")

        assert failure(lambda: destination.test(deadline())).message == "Authentication failed (401)"
        assert fake.token_requests() == 1


def test_liveramp_token_expired_on_arrival_fails_without_a_loop(
    factory: PlatformClientFactory, logs: CapturedLogs
) -> None:
    with liveramp_fake() as fake:
        fake.tokens.dead_on_arrival = True
        destination = factory.destination("liveramp", fake.outbound_config(), fake.credentials, "conn_1")

        error = failure(lambda: destination.test(deadline()))

        assert error.message == "Authentication failed (401)"
        assert fake.token_requests() == 1
        assert_no_secrets(fake, logs, error)


def test_liveramp_permission_denial_is_not_mistaken_for_expiry(factory: PlatformClientFactory) -> None:
    with liveramp_fake() as fake:
        credentials = fake.credentials | {"org_id": "some-other-org"}
        destination = factory.destination("liveramp", fake.outbound_config(), credentials, "conn_1")

        first = failure(lambda: destination.test(deadline()))
        second = failure(lambda: destination.test(deadline()))

        assert first.message == second.message == "Access denied (403)"
        assert fake.token_requests() == 1


def test_liveramp_wrong_credentials_fail_authentication(factory: PlatformClientFactory, logs: CapturedLogs) -> None:
    with liveramp_fake() as fake:
        wrong = fake.credentials | {"password": "not-the-secret-key"}
        destination = factory.destination("liveramp", fake.outbound_config(), wrong, "conn_1")

        error = failure(lambda: destination.test(deadline()))

        assert error.message == "Authentication failed (401)"
        assert fake.server.count("GET", LIVERAMP_SEGMENTS_PATH) == 0
        assert_no_secrets(fake, logs, error)
        assert "not-the-secret-key" not in logs.text


def test_liveramp_token_is_requested_again_once_its_lifetime_is_over(http: SafeHttpClient) -> None:
    clock = [0.0]
    factory = PlatformClientFactory(http, token_cache=TokenCache(clock=lambda: clock[0]))
    with liveramp_fake(expires_in=600) as fake:
        destination = factory.destination("liveramp", fake.outbound_config(), fake.credentials, "conn_1")
        destination.test(deadline())
        clock[0] += 500
        destination.test(deadline())
        assert fake.token_requests() == 1

        clock[0] += 100  # 600 s later: past expires_in minus the margin
        destination.test(deadline())
        assert fake.token_requests() == 2


def test_liveramp_needs_a_complete_login(factory: PlatformClientFactory) -> None:
    error = failure(lambda: factory.destination("liveramp", {}, {"username": "acct"}, "conn_1"))
    assert error.message == "LiveRamp needs the credentials username + password, or client_id + client_secret"


def test_liveramp_segments_are_created_on_a_first_party_segment_and_updated_without_pricing(
    factory: PlatformClientFactory, logs: CapturedLogs
) -> None:
    with liveramp_fake() as fake:
        destination = factory.destination("liveramp", fake.outbound_config(), fake.credentials, "conn_1")
        segment = replace(SEGMENT, extra={"activation_segment_id": "lr-0001"})

        created = destination.create_segment(segment, deadline())
        fake.distribute(created.platform_segment_id)  # pricing is fixed from now on
        destination.update_segment(created.platform_segment_id, replace(segment, cpm=9.0), deadline())

        assert created.platform_segment_id == "1001"
        body = fake.server.requests_to("POST", LIVERAMP_SEGMENTS_PATH)[0].json()
        assert body["activationSegmentId"] == "lr-0001"
        assert body["name"] == SEGMENT.name and body["segmentType"] == "SYNDICATED"
        assert body["restrictions"] == {"permittedUseCases": ["TARGETING"]}
        assert body["pricing"] == {"currency": "USD", "cpm": 2.25}
        assert body["dataSourceLocation"] == "US"
        assert "allowedPlatforms" not in body
        update = fake.server.requests_to("PATCH", LIVERAMP_SEGMENTS_PATH + "/{segment_id}")[0].json()
        assert not {"pricing", "activationSegmentId", "segmentId", "restrictions"} & update.keys()
        assert fake.segments["1001"]["pricing"] == {"currency": "USD", "cpm": 2.25}
        assert fake.token_requests() == 1
        assert_no_secrets(fake, logs, created)


def test_liveramp_custom_segments_carry_the_configured_allowlist_and_use_cases(factory: PlatformClientFactory) -> None:
    with liveramp_fake() as fake:
        config = fake.outbound_config() | {
            "segment_type": "CUSTOM",
            "allowed_platforms": ["THE_TRADE_DESK"],
            "permitted_use_cases": ["TARGETING", "MEASUREMENT"],
        }
        destination = factory.destination("liveramp", config, fake.credentials, "conn_1")

        created = destination.create_segment(replace(SEGMENT, extra={"activation_segment_id": "lr-0002"}), deadline())

        assert fake.segments[created.platform_segment_id]["segmentType"] == "CUSTOM"
        assert fake.segments[created.platform_segment_id]["allowedPlatforms"] == ["THE_TRADE_DESK"]
        body = fake.server.requests_to("POST", LIVERAMP_SEGMENTS_PATH)[0].json()
        assert body["restrictions"] == {"permittedUseCases": ["TARGETING", "MEASUREMENT"]}


def test_liveramp_sends_nothing_for_a_topic_without_a_first_party_segment_or_for_deactivation(
    factory: PlatformClientFactory,
) -> None:
    with liveramp_fake() as fake:
        destination = factory.destination("liveramp", fake.outbound_config(), fake.credentials, "conn_1")

        with pytest.raises(IncompleteConnection, match="first-party segment"):
            destination.create_segment(SEGMENT, deadline())
        with pytest.raises(UndocumentedOperation, match="documents no deactivation"):
            destination.deactivate_segment("1001", deadline())

        assert fake.server.count("POST", LIVERAMP_SEGMENTS_PATH) == 0
        assert fake.server.count("PATCH", LIVERAMP_SEGMENTS_PATH + "/{segment_id}") == 0


# ------------------------------------------------------------------------------------ The Trade Desk
def test_tradedesk_test_queries_the_provider_taxonomy_with_the_api_token(
    factory: PlatformClientFactory, logs: CapturedLogs
) -> None:
    with tradedesk_fake() as fake:
        destination = factory.destination("tradedesk", fake.outbound_config(), fake.credentials, "conn_1")

        assert destination.test(deadline()) == "Connected to The Trade Desk API"
        query = fake.server.requests_to("POST", TTD_QUERY_PATH)[0]
        assert query.header("ttd-auth") == fake.api_key
        assert query.json() == {"ProviderId": "acme-data", "PageStartIndex": 0, "PageSize": 1}
        assert fake.token_requests() == 0
        assert_no_secrets(fake, logs)


def test_tradedesk_login_token_is_cached_and_refreshed_once_when_expired(
    factory: PlatformClientFactory, logs: CapturedLogs
) -> None:
    with tradedesk_fake(login=True) as fake:
        destination = factory.destination("tradedesk", fake.outbound_config(), fake.credentials, "conn_1")
        destination.test(deadline())
        destination.test(deadline())
        assert fake.token_requests() == 1
        login = fake.server.requests_to("POST", TTD_AUTH_PATH)[0].json()
        assert login == {"Login": "ttd-user@example.com", "Password": "ttd-pass-8h7g6f", "TokenExpirationInMinutes": 60}

        fake.tokens.expire_all()
        destination.test(deadline())

        assert fake.token_requests() == 2
        sent = fake.server.requests_to("POST", TTD_QUERY_PATH)
        assert sent[-1].header("ttd-auth") == fake.tokens.issued[-1]
        assert_no_secrets(fake, logs)


def test_tradedesk_wrong_api_token_fails_authentication(factory: PlatformClientFactory, logs: CapturedLogs) -> None:
    with tradedesk_fake() as fake:
        destination = factory.destination("tradedesk", fake.outbound_config(), {"api_key": "stale-token-1"}, "c")

        error = failure(lambda: destination.test(deadline()))

        assert error.message == "Authentication failed (401)"
        assert fake.server.count("POST", TTD_QUERY_PATH) == 1
        assert "stale-token-1" not in logs.text


def test_tradedesk_wrong_login_fails_authentication(factory: PlatformClientFactory, logs: CapturedLogs) -> None:
    with tradedesk_fake(login=True) as fake:
        wrong = fake.credentials | {"password": "guessed-password"}
        destination = factory.destination("tradedesk", fake.outbound_config(), wrong, "conn_1")

        error = failure(lambda: destination.test(deadline()))

        assert error.message == "Authentication failed (401)"
        assert "guessed-password" not in logs.text + error.message
        assert_no_secrets(fake, logs, error)


def test_tradedesk_another_providers_taxonomy_is_denied(factory: PlatformClientFactory) -> None:
    with tradedesk_fake() as fake:
        config = fake.outbound_config() | {"provider_id": "someone-else"}
        destination = factory.destination("tradedesk", config, fake.credentials, "conn_1")

        assert failure(lambda: destination.test(deadline())).message == "Access denied (403)"


def test_tradedesk_needs_a_provider_id(factory: PlatformClientFactory) -> None:
    with tradedesk_fake() as fake:
        config = {key: value for key, value in fake.outbound_config().items() if key != "provider_id"}
        destination = factory.destination("tradedesk", config, fake.credentials, "conn_1")

        error = failure(lambda: destination.test(deadline()))

        assert error.message == "The Trade Desk needs provider_id (your data provider id) in credentials or config"
        assert fake.server.requests == []


def test_tradedesk_segments_are_created_under_root_priced_and_updated_without_immutable_fields(
    factory: PlatformClientFactory,
) -> None:
    with tradedesk_fake() as fake:
        destination = factory.destination("tradedesk", fake.outbound_config(), fake.credentials, "conn_1")

        created = destination.create_segment(SEGMENT, deadline())
        renamed = SegmentSpec(external_id=SEGMENT.external_id, name="Auto Intenders > Large SUVs", cpm=2.5)
        destination.update_segment(created.platform_segment_id, renamed, deadline())

        assert created.platform_segment_id == "topic_01HZX"
        assert fake.server.requests_to("POST", TTD_ELEMENTS_PATH)[0].json() == {
            "ProviderId": "acme-data",
            "ProviderElementId": "topic_01HZX",
            "ParentElementId": "ROOT",
            "DisplayName": SEGMENT.name,
            "Description": SEGMENT.description,
            "Buyable": True,
        }
        # ParentElementId cannot change once created: an update names the element and sends what may change.
        assert fake.server.requests_to("PUT", TTD_ELEMENTS_PATH)[0].json() == {
            "ProviderId": "acme-data",
            "ProviderElementId": "topic_01HZX",
            "DisplayName": "Auto Intenders > Large SUVs",
        }
        assert fake.elements["topic_01HZX"]["ParentElementId"] == "ROOT"
        assert [batch["DataRates"] for batch in fake.rate_batches] == [
            [
                {
                    "ProviderElementId": "topic_01HZX",
                    "RateLevel": "System",
                    "RateType": "CPM",
                    "CPMRate": {"Amount": amount, "CurrencyCode": "USD"},
                }
            ]
            for amount in (2.25, 2.5)
        ]


def test_tradedesk_deactivation_sends_nothing(factory: PlatformClientFactory) -> None:
    with tradedesk_fake() as fake:
        destination = factory.destination("tradedesk", fake.outbound_config(), fake.credentials, "conn_1")
        destination.create_segment(SEGMENT, deadline())
        fake.server.clear_log()

        # No source documents removing or expiring a third-party data element: only the record changes.
        destination.deactivate_segment(SEGMENT.external_id, deadline())

        assert fake.server.requests == []
        assert fake.elements[SEGMENT.external_id]["Buyable"] is True


def test_tradedesk_create_of_an_existing_element_updates_it(factory: PlatformClientFactory) -> None:
    with tradedesk_fake() as fake:
        destination = factory.destination("tradedesk", fake.outbound_config(), fake.credentials, "conn_1")
        destination.create_segment(SEGMENT, deadline())

        # ProviderElementId is the topic id: "already exists" means this segment, so it is updated.
        pushed = destination.create_segment(SEGMENT, deadline())

        assert pushed.platform_segment_id == SEGMENT.external_id
        assert fake.server.count("PUT", TTD_ELEMENTS_PATH) == 1
        assert fake.server.count("POST", TTD_RATES_PATH) == 2


# ------------------------------------------------------------------------------------ Index Exchange
# Inbound reads use Index's API token; pushes deliver taxonomy files to the connection's S3 bucket.
def test_indexexchange_source_obtains_a_token_and_caches_it(factory: PlatformClientFactory, logs: CapturedLogs) -> None:
    with indexexchange_fake() as fake:
        source = factory.source("indexexchange", fake.inbound_config(), fake.credentials)
        source.fetch_page(0, 5, deadline())
        source.fetch_page(1, 5, deadline())

        assert fake.server.requests_to("POST", IX_TOKEN_PATH)[0].json() == {
            "username": fake.credentials["username"],
            "key": fake.credentials["key"],
        }
        assert fake.token_requests() == 1
        assert {r.header("authorization") for r in fake.server.requests if r.path != IX_TOKEN_PATH} == {
            f"Bearer {fake.tokens.issued[0]}"
        }
        assert_no_secrets(fake, logs)


def test_indexexchange_expired_token_is_refreshed_once(factory: PlatformClientFactory) -> None:
    with indexexchange_fake() as fake:
        source = factory.source("indexexchange", fake.inbound_config(), fake.credentials)
        source.fetch_page(0, 5, deadline())
        fake.tokens.expire_all()

        source.fetch_page(0, 5, deadline())

        assert fake.token_requests() == 2
        assert fake.server.count("GET", IX_SEGMENTS_PATH) == 3  # the refused read, then its retry


def test_indexexchange_wrong_key_fails_authentication(factory: PlatformClientFactory, logs: CapturedLogs) -> None:
    with indexexchange_fake() as fake:
        wrong = fake.credentials | {"key": "revoked-api-key"}
        source = factory.source("indexexchange", fake.inbound_config(), wrong)

        error = failure(lambda: source.fetch_page(0, 5, deadline()))

        assert error.message == "Authentication failed (401)"
        assert "revoked-api-key" not in logs.text
        assert_no_secrets(fake, logs, error)


def test_indexexchange_pushes_write_valid_taxonomy_files_to_s3(factory: PlatformClientFactory) -> None:
    with mock_aws(), indexexchange_fake() as fake:
        destination = factory.destination("indexexchange", fake.outbound_config(), fake.credentials, "conn_1")

        assert destination.test(deadline()) == "Connected to Index Exchange taxonomy bucket"
        created = destination.create_segment(SEGMENT, deadline())
        renamed = replace(SEGMENT, name="Auto Intenders (renamed) " + "x" * 200)
        destination.update_segment(created.platform_segment_id, renamed, deadline())

        assert destination.display_name == "Index Exchange"
        assert created.platform_segment_id == SEGMENT.external_id
        assert fake.registered() == {SEGMENT.external_id: renamed.name}
        assert fake.inbox.refusals == {}
        assert list(fake.inbox.files()) == [f"taxonomy/audiencegpt-{SEGMENT.external_id}.json"]  # rewritten in place
        assert fake.token_requests() == 0  # the file channel needs no API token


def test_indexexchange_takes_255_character_names_and_refuses_longer_ones_before_writing(
    factory: PlatformClientFactory,
) -> None:
    with mock_aws(), indexexchange_fake() as fake:
        destination = factory.destination("indexexchange", fake.outbound_config(), fake.credentials, "conn_1")

        destination.create_segment(replace(SEGMENT, name="é" * 255), deadline())
        with pytest.raises(IncompleteConnection, match="externalSegmentName of 1 to 255"):
            destination.create_segment(replace(SEGMENT, external_id="topic_02", name="é" * 256), deadline())

        assert fake.registered() == {SEGMENT.external_id: "é" * 255}


def test_indexexchange_deactivation_and_a_missing_bucket(factory: PlatformClientFactory) -> None:
    with mock_aws(), indexexchange_fake() as fake:
        destination = factory.destination("indexexchange", fake.outbound_config(), fake.credentials, "conn_1")
        elsewhere = fake.outbound_config() | {"s3_bucket": "no-such-bucket"}
        missing = factory.destination("indexexchange", elsewhere, fake.credentials, "conn_1")

        with pytest.raises(UndocumentedOperation, match="pause the segment in the Index UI"):
            destination.deactivate_segment(SEGMENT.external_id, deadline())
        error = failure(lambda: missing.create_segment(SEGMENT, deadline()))

        assert isinstance(error, UpstreamStatusError) and error.status == 404
        assert "no-such-bucket" in error.message and "NoSuchBucket" in error.message
        assert fake.inbox.files() == {}


def test_indexexchange_token_lifetime_follows_the_answer(http: SafeHttpClient) -> None:
    clock = [0.0]
    factory = PlatformClientFactory(http, token_cache=TokenCache(clock=lambda: clock[0]))
    with indexexchange_fake(expires_in=120) as fake:
        source = factory.source("indexexchange", fake.inbound_config(), fake.credentials)
        source.fetch_page(0, 5, deadline())
        clock[0] += 61  # 120 s token: kept for 60 s
        source.fetch_page(0, 5, deadline())

        assert fake.token_requests() == 2


# ---------------------------------------------------------------------------------- custom count_url
def test_custom_source_counts_at_the_count_url_with_the_same_auth_and_headers(
    factory: PlatformClientFactory, logs: CapturedLogs
) -> None:
    with custom_api_fake(total=7, count_endpoint=True, required_headers={"X-Tenant": "acme"}) as fake:
        source = factory.source("custom_api", fake.inbound_config(), fake.credentials)
        total = source.count_items(deadline())
        page = source.fetch_page(0, 3, deadline())

        assert total == 7
        assert page.items == fake.items[:3]
        assert page.total is None  # the pages of this API carry no count
        counted = fake.server.requests_to("GET", CUSTOM_COUNT_PATH)
        assert len(counted) == 1
        assert fake.server.requests_to("GET", CUSTOM_SEGMENTS_PATH)[0].query == {"page": ["1"], "page_size": ["3"]}
        for sent in (counted[0], fake.server.requests_to("GET", CUSTOM_SEGMENTS_PATH)[0]):
            assert sent.header("x-tenant") == "acme"
            assert sent.header("authorization") == f"Bearer {fake.credentials['token']}"
        assert_no_secrets(fake, logs, page)


def test_custom_source_without_a_count_url_counts_with_one_probe_page(factory: PlatformClientFactory) -> None:
    with custom_api_fake(total=7) as fake:
        total = factory.source("custom_api", fake.inbound_config(), fake.credentials).count_items(deadline())

        assert total == 7
        assert [request.query for request in fake.server.requests_to("GET", CUSTOM_SEGMENTS_PATH)] == [
            {"page": ["1"], "page_size": ["1"]}
        ]
        assert fake.server.requests_to("GET", CUSTOM_COUNT_PATH) == []


def test_the_fake_refuses_a_request_without_its_required_headers(factory: PlatformClientFactory) -> None:
    with custom_api_fake(count_endpoint=True, required_headers={"X-Tenant": "acme"}) as fake:
        config = fake.inbound_config()
        del config["headers"]
        source = factory.source("custom_api", config, fake.credentials)

        with pytest.raises(UpstreamStatusError):
            source.count_items(deadline())
        with pytest.raises(UpstreamStatusError):
            source.fetch_page(0, 1, deadline())


def test_a_count_url_on_a_private_address_is_refused_before_it_is_called(tokens: TokenCache) -> None:
    # The count endpoint goes through the same safe client as the pages: the same address rules.
    public_only = PlatformClientFactory(SafeHttpClient(), token_cache=tokens)
    config = {
        "base_url": "https://api.example.com/segments",
        "count_url": "https://169.254.169.254/latest/meta-data/",
        "count_path": "total",
        "auth_type": "none",
    }

    with pytest.raises(TargetNotAllowed):
        public_only.source("custom_api", config, {}).count_items(deadline())
