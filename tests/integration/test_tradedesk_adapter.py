"""The Trade Desk adapter against the strict fake: account ids where AudienceGPT's guide puts them, the
configured parent, ids it must not send, and rate limits answered with 429 + Retry-After."""

from __future__ import annotations

import pytest

from connections.adapters.platforms.factory import PlatformClientFactory
from connections.domain.credential_redaction import CredentialRedactor
from connections.domain.outbound_errors import UpstreamStatusError
from connections.domain.push_service import is_transient
from connections.ports.platforms import SegmentSpec
from tests.fakes.tradedesk import TTD_ELEMENTS_PATH, TTD_QUERY_PATH, TTD_RATES_PATH, tradedesk_fake
from tests.support.platform_checks import SEGMENT, RecordingSleep, deadline, failure

# Fixtures: factory, http, logs, sleep, tokens.
pytest_plugins = ["tests.support.platform_fixtures"]


def test_provider_and_brand_ids_in_credentials_are_used(factory: PlatformClientFactory) -> None:
    with tradedesk_fake(ids_in_credentials=True) as fake:
        credentials = fake.credentials | {"brand_id": "dav2delvrai"}
        assert "provider_id" not in fake.outbound_config()
        destination = factory.destination("tradedesk", fake.outbound_config(), credentials, "conn_1")

        assert destination.test(deadline()) == "Connected to The Trade Desk API"
        destination.create_segment(SEGMENT, deadline())

        assert fake.server.requests_to("POST", TTD_QUERY_PATH)[0].json()["ProviderId"] == "acme-data"
        assert fake.elements[SEGMENT.external_id]["ProviderId"] == "acme-data"
        assert fake.rate_batches[0]["ProviderId"] == "acme-data"
        assert fake.rate_batches[0]["DataRates"][0]["BrandId"] == "dav2delvrai"


def test_a_brand_id_in_config_prices_for_that_brand(factory: PlatformClientFactory) -> None:
    with tradedesk_fake() as fake:
        config = fake.outbound_config() | {"brand_id": "brand-7"}
        factory.destination("tradedesk", config, fake.credentials, "conn_1").create_segment(SEGMENT, deadline())

        assert fake.rate_batches[0]["DataRates"][0]["BrandId"] == "brand-7"


def test_credentials_win_over_config_for_the_provider_id(factory: PlatformClientFactory) -> None:
    with tradedesk_fake() as fake:
        config = fake.outbound_config() | {"provider_id": "someone-else"}
        credentials = fake.credentials | {"provider_id": fake.provider_id}
        factory.destination("tradedesk", config, credentials, "conn_1").create_segment(SEGMENT, deadline())

        assert fake.elements[SEGMENT.external_id]["ProviderId"] == fake.provider_id


def test_elements_hang_under_the_configured_parent_and_keep_it(factory: PlatformClientFactory) -> None:
    with tradedesk_fake() as fake:
        config = fake.outbound_config() | {"parent_element_id": "ttd-0001"}
        destination = factory.destination("tradedesk", config, fake.credentials, "conn_1")
        destination.create_segment(SEGMENT, deadline())

        # A later parent applies to new elements only: the update leaves this one where it is.
        moved = factory.destination("tradedesk", config | {"parent_element_id": "ttd-0002"}, fake.credentials, "c")
        moved.update_segment(SEGMENT.external_id, SEGMENT, deadline())

        assert fake.server.requests_to("POST", TTD_ELEMENTS_PATH)[0].json()["ParentElementId"] == "ttd-0001"
        assert "ParentElementId" not in fake.server.requests_to("PUT", TTD_ELEMENTS_PATH)[0].json()
        assert fake.elements[SEGMENT.external_id]["ParentElementId"] == "ttd-0001"


def test_an_element_id_over_512_characters_is_refused_before_sending(factory: PlatformClientFactory) -> None:
    with tradedesk_fake() as fake:
        destination = factory.destination("tradedesk", fake.outbound_config(), fake.credentials, "conn_1")
        too_long = SegmentSpec(external_id="t" * 513, name="Auto Intenders")

        error = failure(lambda: destination.create_segment(too_long, deadline()))

        assert error.message == "The Trade Desk's ProviderElementId must be 1 to 512 characters"
        assert not is_transient(error)
        assert fake.server.requests == []


def test_a_segment_without_a_cpm_is_created_without_a_rate(factory: PlatformClientFactory) -> None:
    with tradedesk_fake() as fake:
        config = {key: value for key, value in fake.outbound_config().items() if key != "default_cpm"}
        unpriced = SegmentSpec(external_id="topic_unpriced", name="Pet Owners")
        factory.destination("tradedesk", config, fake.credentials, "conn_1").create_segment(unpriced, deadline())

        assert "Description" not in fake.elements["topic_unpriced"]
        assert fake.server.count("POST", TTD_RATES_PATH) == 0


def test_a_429_is_retried_after_retry_after_without_a_second_element(
    factory: PlatformClientFactory, sleep: RecordingSleep
) -> None:
    with tradedesk_fake() as fake:
        throttled = {"ErrorCode": "TooManyRequests", "Message": "Rate limit exceeded"}
        fake.server.faults("POST", TTD_ELEMENTS_PATH).status(429, throttled, retry_after=3)
        fake.server.faults("POST", TTD_RATES_PATH).status(429, throttled, retry_after=2)
        destination = factory.destination("tradedesk", fake.outbound_config(), fake.credentials, "conn_1")

        pushed = destination.create_segment(SEGMENT, deadline(30))

        assert pushed.platform_segment_id == SEGMENT.external_id
        assert sleep.waits == [3.0, 2.0]
        assert fake.server.count("POST", TTD_ELEMENTS_PATH) == 2
        assert len(fake.rate_batches) == 1


def test_a_429_that_persists_is_transient(factory: PlatformClientFactory) -> None:
    with tradedesk_fake() as fake:
        faults = fake.server.faults("PUT", TTD_ELEMENTS_PATH)
        for _ in range(3):
            faults.status(429, {"ErrorCode": "TooManyRequests", "Message": "Rate limit exceeded"}, retry_after=0)
        destination = factory.destination("tradedesk", fake.outbound_config(), fake.credentials, "conn_1")

        error = failure(lambda: destination.update_segment("ttd-0001", SEGMENT, deadline()))

        assert isinstance(error, UpstreamStatusError) and error.status == 429
        assert is_transient(error)  # the push leaves the segment pending and tries it again later
        assert fake.server.count("PUT", TTD_ELEMENTS_PATH) == 3


def test_the_documented_error_message_is_quoted(factory: PlatformClientFactory) -> None:
    with tradedesk_fake() as fake:
        refused = {"ErrorCode": "IncorrectContent", "Message": "DisplayName contains a forbidden word"}
        fake.server.faults("POST", TTD_ELEMENTS_PATH).status(400, refused)
        destination = factory.destination("tradedesk", fake.outbound_config(), fake.credentials, "conn_1")

        error = failure(lambda: destination.create_segment(SEGMENT, deadline()))

        assert error.message == "Platform returned HTTP 400: DisplayName contains a forbidden word"


@pytest.mark.parametrize("key", ["provider_id", "brand_id"])
def test_account_ids_in_credentials_are_not_redacted_but_secrets_are(key: str) -> None:
    # An 8+ character id would otherwise be masked in every element a platform lists back.
    redactor = CredentialRedactor({"api_key": "ttd-longlived-6b5a4c3d2e1f", key: "acme-data-provider"})

    text = redactor.text('{"ProviderId": "acme-data-provider", "echo": "ttd-longlived-6b5a4c3d2e1f"}')

    assert text == '{"ProviderId": "acme-data-provider", "echo": "[redacted]"}'
