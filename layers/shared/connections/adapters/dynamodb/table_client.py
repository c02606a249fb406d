"""The DynamoDB client shared by one Lambda container, and transaction retries."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

T = TypeVar("T")

# Short timeouts: a DynamoDB call that hangs should fail the request well before API Gateway's 30 s.
_CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


@cache
def dynamodb_client() -> Any:
    """One client per container, created on first use (clients are thread-safe)."""
    return boto3.client("dynamodb", config=_CLIENT_CONFIG)


def cancellation_codes(error: ClientError) -> list[str]:
    """The per-item reason codes of a TransactionCanceledException ('None' where an item was fine)."""
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]


def is_transaction_cancelled(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "TransactionCanceledException"


def retry_transaction_conflicts(operation: Callable[[], T], attempts: int = 8) -> T:
    """Run ``operation``, retrying when DynamoDB cancels it only because of a concurrent transaction.

    Concurrent creates in one organisation all touch the counter item; DynamoDB then cancels some
    with TransactionConflict, which is safe to retry after a short jittered pause.
    """
    for attempt in range(attempts):
        try:
            return operation()
        except ClientError as error:
            conflict = is_transaction_cancelled(error) and "TransactionConflict" in cancellation_codes(error)
            if not conflict or attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter, not crypto
    raise AssertionError("unreachable")
