"""What the in-process benchmarks share: a safe AWS environment and a count of the AWS calls made."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from local.lambda_container import reset_container_state as new_container

Call = tuple[str, str, float]  # (service id, operation, seconds)

__all__ = ["Call", "bench_environment", "counted_api_calls", "new_container"]


@contextmanager
def bench_environment(*, allow_private_targets: bool) -> Iterator[None]:
    """Dummy AWS credentials, no endpoint override and quiet logs while the block runs; the old
    environment after. ``allow_private_targets`` lets the functions reach fakes on 127.0.0.1."""
    saved = dict(os.environ)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "CLERK_JWKS_URL", "CLERK_ISSUER"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_SERVICE_NAME": "connections",
            "POWERTOOLS_METRICS_NAMESPACE": "Connections",
            # Logs make no AWS calls; keeping them quiet keeps the bench's output readable.
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "CONNECTIONS_ALLOW_PRIVATE_TARGETS": "1" if allow_private_targets else "",
        }
    )
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def counted_api_calls() -> Iterator[list[Call]]:
    """Every botocore client call made inside the block: service, operation and its seconds, in order."""
    from botocore.client import BaseClient

    calls: list[Call] = []
    original = BaseClient.__dict__["_make_api_call"]

    def counting(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return original(client, operation_name, api_params)
        finally:
            calls.append((client.meta.service_model.service_id, operation_name, time.perf_counter() - started))

    # Patched on the class: the Encryption SDK's KMS client comes from its own botocore session.
    setattr(BaseClient, "_make_api_call", counting)  # noqa: B010
    try:
        yield calls
    finally:
        setattr(BaseClient, "_make_api_call", original)  # noqa: B010
