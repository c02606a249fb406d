"""Make moto's DynamoDB transactions cost one table copy instead of one per item.

moto backs up a table before a TransactWriteItems call so it can roll back, but it deep-copies the
whole table once for every item in the transaction. A 100-item transaction against a table of a few
thousand items then takes seconds, which makes realistic syncs untestable. Copying each table once
per transaction keeps exactly the same rollback behaviour. Applied by the local dev stack and the
test suite; never part of the deployed code.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

_applied = False
_lock = threading.Lock()


class _CopyOncePerTransaction:
    """Stands in for the ``copy`` module inside moto's DynamoDB models."""

    def __init__(self) -> None:
        self._local = threading.local()

    def begin(self) -> None:
        self._local.copies = {}

    def end(self) -> None:
        self._local.copies = None

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        copies = getattr(self._local, "copies", None)
        if copies is None or memo is not None:
            return copy.deepcopy(value, memo)
        if id(value) not in copies:
            copies[id(value)] = copy.deepcopy(value)
        return copies[id(value)]

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def apply() -> None:
    """Patch moto once per process (idempotent)."""
    global _applied
    with _lock:
        if _applied:
            return
        from moto.dynamodb import models

        shim = _CopyOncePerTransaction()
        original = models.DynamoDBBackend.transact_write_items

        def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
            shim.begin()
            try:
                return original(self, transact_items)
            finally:
                shim.end()

        models.copy = shim  # type: ignore[assignment]
        models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        _applied = True
