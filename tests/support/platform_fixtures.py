"""Fixtures of the platform adapter tests (a pytest plugin: ``pytest_plugins`` names this module).

A safe client that may reach 127.0.0.1 and records retry waits instead of sleeping, a fresh token
cache and factory per test (bodies capped at MAX_BYTES), and a log capture on the root logger at
INFO, as Lambda runs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from connections.adapters.outbound.safe_client import SafeHttpClient
from connections.adapters.platforms.factory import PlatformClientFactory
from connections.adapters.platforms.token_cache import TokenCache
from tests.support.platform_checks import MAX_BYTES, CapturedLogs, RecordingSleep


@pytest.fixture
def logs() -> Iterator[CapturedLogs]:
    root = logging.getLogger()
    handler, level = CapturedLogs(), root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def http(sleep: RecordingSleep) -> Iterator[SafeHttpClient]:
    client = SafeHttpClient(allow_private_targets=True, sleep=sleep)
    yield client
    client.close()


@pytest.fixture
def tokens() -> TokenCache:
    return TokenCache()


@pytest.fixture
def factory(http: SafeHttpClient, tokens: TokenCache) -> PlatformClientFactory:
    return PlatformClientFactory(http, token_cache=tokens, max_response_bytes=MAX_BYTES)
