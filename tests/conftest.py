"""Settings shared by every test: no real AWS account, region or tracing is ever used."""

from __future__ import annotations

import os

import pytest

# Set before any boto3 client exists: tests must never find real credentials or endpoints.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_SERVICE_NAME": "connections",
        "POWERTOOLS_METRICS_NAMESPACE": "Connections",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
)
for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
    os.environ.pop(name, None)

# moto copies a table once per transaction item; once per transaction behaves the same and is fast.
from local import moto_transactions  # noqa: E402

moto_transactions.apply()


def pytest_configure(config: pytest.Config) -> None:
    from tests.support.openapi_contract import OPT_OUT_DOC

    config.addinivalue_line("markers", OPT_OUT_DOC)
