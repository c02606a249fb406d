"""Faults of every platform adapter against the fakes: 5xx and 429 (with ``Retry-After``) retried,
persistent errors reported by status, malformed JSON, oversized bodies (declared and chunked), and
answers that hang or never finish cut off at the deadline, token requests included.

Deadlines are shortened to 2 s; retry waits are recorded, not slept.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Any

import pytest

from connections.adapters.platforms.factory import PlatformClientFactory
from connections.domain.deadline import Deadline
from connections.domain.outbound_errors import (
    DeadlineExceeded,
    MalformedResponse,
    ResponseTooLarge,
    UpstreamStatusError,
)
from tests.fakes.platforms import (
    CUSTOM_BASE_PATH,
    CUSTOM_SEGMENTS_PATH,
    IX_SEGMENTS_PATH,
    IX_TOKEN_PATH,
    LIVERAMP_SEGMENTS_PATH,
    LIVERAMP_TOKEN_PATH,
    TTD_AUTH_PATH,
    TTD_QUERY_PATH,
    CustomApiFake,
    IndexExchangeFake,
    LiveRampFake,
    TradeDeskFake,
    custom_api_fake,
    indexexchange_fake,
    liveramp_fake,
    tradedesk_fake,
)
from tests.support.platform_checks import (
    MAX_BYTES,
    SEGMENT,
    SHORT,
    CapturedLogs,
    RecordingSleep,
    assert_no_secrets,
    deadline,
    failure,
)

# Fixtures: factory, http, logs, sleep, tokens.
pytest_plugins = ["tests.support.platform_fixtures"]


@dataclass(frozen=True)
class Target:
    """One request of one adapter that a fault is injected into, and the call that sends it."""

    name: str
    start: Callable[[], AbstractContextManager[Any]]
    method: str
    path: str
    call: Callable[[PlatformClientFactory, Any, Deadline], object]


def _custom_listing(factory: PlatformClientFactory, fake: CustomApiFake, limit: Deadline) -> object:
    return factory.source("custom_api", fake.inbound_config(), fake.credentials).fetch_page(0, 2, limit)


def _custom_test(factory: PlatformClientFactory, fake: CustomApiFake, limit: Deadline) -> object:
    return factory.destination("custom_api", fake.outbound_config(), fake.credentials, "c").test(limit)


def _liveramp_test(factory: PlatformClientFactory, fake: LiveRampFake, limit: Deadline) -> object:
    return factory.destination("liveramp", fake.outbound_config(), fake.credentials, "c").test(limit)


def _liveramp_listing(factory: PlatformClientFactory, fake: LiveRampFake, limit: Deadline) -> object:
    return factory.source("liveramp", fake.config, fake.credentials).fetch_page(0, 2, limit)


def _tradedesk_test(factory: PlatformClientFactory, fake: TradeDeskFake, limit: Deadline) -> object:
    return factory.destination("tradedesk", fake.outbound_config(), fake.credentials, "c").test(limit)


def _liveramp_create(factory: PlatformClientFactory, fake: LiveRampFake, limit: Deadline) -> object:
    segment = replace(SEGMENT, extra={"activation_segment_id": "lr-0001"})
    return factory.destination("liveramp", fake.outbound_config(), fake.credentials, "c").create_segment(segment, limit)


def _indexexchange_listing(factory: PlatformClientFactory, fake: IndexExchangeFake, limit: Deadline) -> object:
    # Index Exchange's API (and its token) serve inbound reads; pushes are taxonomy files on S3.
    return factory.source("indexexchange", fake.inbound_config(), fake.credentials).fetch_page(0, 2, limit)


TARGETS = [
    Target("custom-listing", custom_api_fake, "GET", CUSTOM_SEGMENTS_PATH, _custom_listing),
    Target("custom-test", custom_api_fake, "GET", CUSTOM_BASE_PATH, _custom_test),
    Target("liveramp-token", liveramp_fake, "POST", LIVERAMP_TOKEN_PATH, _liveramp_test),
    Target("liveramp-read", liveramp_fake, "GET", LIVERAMP_SEGMENTS_PATH, _liveramp_test),
    Target("liveramp-inbound", liveramp_fake, "GET", LIVERAMP_SEGMENTS_PATH, _liveramp_listing),
    Target("tradedesk-query", tradedesk_fake, "POST", TTD_QUERY_PATH, _tradedesk_test),
    Target("tradedesk-login", lambda: tradedesk_fake(login=True), "POST", TTD_AUTH_PATH, _tradedesk_test),
    Target("liveramp-create", liveramp_fake, "POST", LIVERAMP_SEGMENTS_PATH, _liveramp_create),
    Target("ix-token", indexexchange_fake, "POST", IX_TOKEN_PATH, _indexexchange_listing),
    Target("ix-inbound", indexexchange_fake, "GET", IX_SEGMENTS_PATH, _indexexchange_listing),
]
TARGET_IDS = [target.name for target in TARGETS]


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_a_server_error_is_retried_except_after_a_create(
    factory: PlatformClientFactory, sleep: RecordingSleep, target: Target
) -> None:
    with target.start() as fake:
        fake.server.faults(target.method, target.path).status(503)
        if target.name != "liveramp-create":
            target.call(factory, fake, deadline())
            assert fake.server.count(target.method, target.path) == 2
            assert len(sleep.waits) == 1
        else:  # a create is never resent after a 5xx
            error = failure(lambda: target.call(factory, fake, deadline()))
            assert error.message.startswith("Platform returned HTTP 503")
            assert fake.server.count(target.method, target.path) == 1


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_429_is_retried_after_the_time_retry_after_asks_for(
    factory: PlatformClientFactory, sleep: RecordingSleep, logs: CapturedLogs, target: Target
) -> None:
    with target.start() as fake:
        fake.server.faults(target.method, target.path).status(429, retry_after=1)

        target.call(factory, fake, deadline())

        assert sleep.waits == [1.0]
        assert fake.server.count(target.method, target.path) == 2
        assert_no_secrets(fake, logs)


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_429_asking_to_wait_past_the_deadline_fails_at_once(
    factory: PlatformClientFactory, sleep: RecordingSleep, target: Target
) -> None:
    with target.start() as fake:
        fake.server.faults(target.method, target.path).status(429, retry_after=60)

        error = failure(lambda: target.call(factory, fake, deadline(SHORT)))

        assert isinstance(error, UpstreamStatusError) and error.status == 429
        assert error.message.startswith("Platform returned HTTP 429")
        assert sleep.waits == []


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_persistent_server_errors_are_reported_by_status(
    factory: PlatformClientFactory, logs: CapturedLogs, target: Target
) -> None:
    with target.start() as fake:
        fake.server.faults(target.method, target.path).status(500).status(500).status(500)

        error = failure(lambda: target.call(factory, fake, deadline()))

        assert isinstance(error, UpstreamStatusError) and error.status == 500
        assert error.message.startswith("Platform returned HTTP 500")
        assert_no_secrets(fake, logs, error)


# The custom API test only needs a 2xx (its contract says nothing of the body).
JSON_READERS = [target for target in TARGETS if target.name != "custom-test"]


@pytest.mark.parametrize("target", JSON_READERS, ids=[target.name for target in JSON_READERS])
def test_malformed_json_is_reported(factory: PlatformClientFactory, target: Target) -> None:
    with target.start() as fake:
        fake.server.faults(target.method, target.path).malformed_json()

        error = failure(lambda: target.call(factory, fake, deadline()))

        assert isinstance(error, MalformedResponse)
        assert error.message == "Platform returned a response that is not valid JSON"


@pytest.mark.parametrize("declare_length", [True, False], ids=["declared", "chunked"])
@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_oversized_bodies_are_refused(factory: PlatformClientFactory, target: Target, declare_length: bool) -> None:
    with target.start() as fake:
        fake.server.faults(target.method, target.path).oversized(200_000, declare_length=declare_length)

        error = failure(lambda: target.call(factory, fake, deadline()))

        assert isinstance(error, ResponseTooLarge)
        assert error.message == f"Response is larger than the limit of {MAX_BYTES} bytes"


# A body that never ends is read chunk by chunk: one target per platform shows the cut-off holds there too.
TRICKLE = [
    target
    for target in TARGETS
    if target.name in ("custom-listing", "liveramp-token", "tradedesk-query", "ix-register")
]


@pytest.mark.parametrize(
    ("target", "fault"),
    [(target, "hang") for target in TARGETS] + [(target, "trickle") for target in TRICKLE],
    ids=[f"{target.name}-hang" for target in TARGETS] + [f"{target.name}-trickle" for target in TRICKLE],
)
def test_a_platform_that_never_finishes_is_cut_off_at_the_deadline(
    factory: PlatformClientFactory, logs: CapturedLogs, target: Target, fault: str
) -> None:
    with target.start() as fake:
        queue = fake.server.faults(target.method, target.path)
        if fault == "hang":
            queue.hang()
        else:
            queue.trickle(interval=0.05)

        error = failure(lambda: target.call(factory, fake, deadline(SHORT)))

        assert isinstance(error, DeadlineExceeded)
        assert error.message == "Connection timed out after 2 seconds"
        assert_no_secrets(fake, logs, error)


@pytest.mark.parametrize(
    ("start", "token_path", "target_method", "target_path", "call"),
    [
        (liveramp_fake, LIVERAMP_TOKEN_PATH, "GET", LIVERAMP_SEGMENTS_PATH, _liveramp_test),
        (lambda: tradedesk_fake(login=True), TTD_AUTH_PATH, "POST", TTD_QUERY_PATH, _tradedesk_test),
        (indexexchange_fake, IX_TOKEN_PATH, "GET", IX_SEGMENTS_PATH, _indexexchange_listing),
    ],
    ids=["liveramp", "tradedesk", "indexexchange"],
)
def test_the_token_request_counts_against_the_same_deadline(
    factory: PlatformClientFactory,
    start: Callable[[], AbstractContextManager[Any]],
    token_path: str,
    target_method: str,
    target_path: str,
    call: Callable[[PlatformClientFactory, Any, Deadline], object],
) -> None:
    # Each step alone fits in the deadline; together they do not, so only a shared deadline fails.
    with start() as fake:
        fake.server.faults("POST", token_path).delay(1.2)
        fake.server.faults(target_method, target_path).delay(1.2)

        error = failure(lambda: call(factory, fake, deadline(SHORT)))

        assert isinstance(error, DeadlineExceeded)
        assert fake.token_requests() == 1
