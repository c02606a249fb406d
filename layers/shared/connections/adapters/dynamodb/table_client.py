"""The DynamoDB client shared by one Lambda container, and transaction retries."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any, TypeVar

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from connections.adapters.aws_clients import new_client
from connections.domain.errors import StorageThrottled, StorageUnavailable

T = TypeVar("T")


@cache
def dynamodb_client() -> Any:
    """One client per container (clients are thread-safe); the wiring makes it at init."""
    return new_client("dynamodb")


# What DynamoDB answers when it throttles: the error code of a call, or a transaction item's reason.
THROTTLING_CODES = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"})
THROTTLING_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"})


# What DynamoDB answers when it fails on its side (HTTP 500/503): nothing is wrong with the request.
SERVER_ERROR_CODES = frozenset({"InternalServerError", "ServiceUnavailable", "InternalFailure"})
# The connection to DynamoDB failed or timed out (after botocore's retries): the same, seen from here.
CONNECTION_ERRORS = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)


def is_throttling(error: ClientError) -> bool:
    """True when DynamoDB refused the call (or a transaction item) for throughput, not for its content."""
    if error.response.get("Error", {}).get("Code") in THROTTLING_CODES:
        return True
    return is_transaction_cancelled(error) and any(code in THROTTLING_REASONS for code in cancellation_codes(error))


class ThrottleTranslatingClient:
    """A DynamoDB client whose calls raise the domain's StorageThrottled instead of a throttling
    ClientError, and StorageUnavailable instead of a server error or a failed connection (after
    botocore's own retries), so services can tell "retry in a moment" from a fault without knowing
    botocore; every other error passes unchanged."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        @functools.wraps(attribute)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attribute(*args, **kwargs)
            except (ClientError, *CONNECTION_ERRORS) as error:
                translated = storage_error(error)
                if translated is error:
                    raise
                raise translated from error

        return call


def storage_error(error: Exception) -> Exception:
    """The domain error a failed DynamoDB call stands for (throttled, unavailable), else the error itself."""
    if isinstance(error, CONNECTION_ERRORS):
        return StorageUnavailable("The database is unavailable; retry in a moment")
    if isinstance(error, ClientError):
        if is_throttling(error):
            return StorageThrottled("The database is busy; retry in a moment")
        if error.response.get("Error", {}).get("Code") in SERVER_ERROR_CODES:
            return StorageUnavailable("The database is unavailable; retry in a moment")
    return error


def query_all(client: Any, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item a query finds, read page by page (lazily) through boto3's paginator.

    The paginator's calls do not pass through ThrottleTranslatingClient, so their errors are translated here."""
    pages = client.get_paginator(operation_name="query").paginate(**request)
    try:
        for page in pages:
            yield from page["Items"]
    except (ClientError, *CONNECTION_ERRORS) as error:
        translated = storage_error(error)
        if translated is error:
            raise
        raise translated from error


def condition_failed(error: ClientError) -> bool:
    """True when a single-item write was refused by its ConditionExpression."""
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def cancellation_codes(error: ClientError) -> list[str]:
    """The per-item reason codes of a TransactionCanceledException ('None' where an item was fine)."""
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]


def is_transaction_cancelled(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "TransactionCanceledException"


class Transaction:
    """A TransactWriteItems request whose parts have names, so that a cancellation says which part's
    condition refused it (``"limit" in refused``) instead of a position (``codes[2]``)."""

    def __init__(self) -> None:
        self._names: list[str] = []
        self.items: list[dict[str, Any]] = []

    def add(self, name: str, action: dict[str, Any]) -> None:
        self._names.append(name)
        self.items.append(action)

    def write(self, client: Any) -> None:
        """Write all parts at once, retrying cancellations caused only by concurrent transactions."""
        retry_transaction_conflicts(lambda: client.transact_write_items(TransactItems=self.items))

    def refused(self, error: ClientError) -> frozenset[str]:
        """The names of the parts whose condition failed (empty unless ``error`` is a cancellation)."""
        if not is_transaction_cancelled(error):
            return frozenset()
        codes = cancellation_codes(error)
        return frozenset(
            name for name, code in zip(self._names, codes, strict=False) if code == "ConditionalCheckFailed"
        )


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


BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, min(1.0, 0.05 * 2**attempt)))  # noqa: S311 - jitter, not crypto


# Reads of one page go out at once: the chunks of a BatchGetItem are independent, non-transactional
# calls on the shared (thread-safe) client, so their round trips overlap instead of adding up.
READ_THREADS = 4


@cache
def _read_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="dynamodb-read")


def batch_get(client: Any, table: str, keys: list[dict[str, Any]], attempts: int = 8) -> list[dict[str, Any]]:
    """Every item that exists among ``keys``, retrying UnprocessedKeys with backoff (consistent reads).

    Keys go in chunks of 100 (BatchGetItem's limit), up to ``READ_THREADS`` chunks at a time."""
    chunks = [keys[start : start + BATCH_GET_LIMIT] for start in range(0, len(keys), BATCH_GET_LIMIT)]
    read = functools.partial(_batch_get_chunk, client, table, attempts=attempts)
    if len(chunks) <= 1:
        return [item for chunk in chunks for item in read(chunk)]
    return [item for found in _read_pool().map(read, chunks) for item in found]


def _batch_get_chunk(client: Any, table: str, keys: list[dict[str, Any]], attempts: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    request: dict[str, Any] = {table: {"Keys": keys, "ConsistentRead": True}}
    for attempt in range(attempts):
        response = client.batch_get_item(RequestItems=request)
        found.extend(response.get("Responses", {}).get(table, []))
        request = response.get("UnprocessedKeys") or {}
        if not request:
            return found
        _backoff(attempt)
    # DynamoDB returns unprocessed keys when it throttles
    raise StorageThrottled("The database is busy; retry in a moment")


def batch_put(client: Any, table: str, items: list[dict[str, Any]], attempts: int = 8) -> None:
    """Put ``items`` in batches of 25, retrying UnprocessedItems with backoff until all are written."""
    for start in range(0, len(items), BATCH_WRITE_LIMIT):
        pending: dict[str, Any] = {table: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]}
        for attempt in range(attempts):
            response = client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                break
            _backoff(attempt)
        else:
            raise StorageThrottled("The database is busy; retry in a moment")


class TableRepository:
    """Base of the repositories: the table's name and a client made on first use (or injected)."""

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self._table = table_name
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = ThrottleTranslatingClient(dynamodb_client())
        elif not isinstance(self._client, ThrottleTranslatingClient):
            self._client = ThrottleTranslatingClient(self._client)
        return self._client
