"""Make moto's DynamoDB transactions cost the items they touch instead of copies of the whole table.

moto backs up a table before a TransactWriteItems call so it can roll back, and it deep-copies the
whole table for every item in the transaction. Against a table of a few thousand items (a realistic
sync) each transaction then takes a noticeable fraction of a second, which makes such syncs
untestable. Instead, the items the transaction names are copied before it runs and put back if it is
cancelled: exactly the same rollback, at the cost of the items touched. Applied by the local dev
stack and the test suite; never part of the deployed code.
"""

from __future__ import annotations

import copy
import functools
import threading
from typing import Any

_applied = False
_lock = threading.Lock()


class _TableCopiesSkipped:
    """Stands in for the ``copy`` module inside moto's DynamoDB models: while a transaction runs in
    this thread, its whole-table backup is skipped (the undo log below replaces it)."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type
        self._local = threading.local()

    def begin(self) -> None:
        self._local.active = True

    def end(self) -> None:
        self._local.active = False

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if getattr(self._local, "active", False) and isinstance(value, self._table_type):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _touched_items(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    """(table, hash value, range value, copy of the item or None) for every item the transaction names."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    touched = []
    for entry in transact_items:
        try:
            _, operation = next(iter(entry.items()))
            table = backend.tables.get(operation.get("TableName"))
            if table is None:
                continue
            key = operation.get("Key") or operation.get("Item") or {}
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            current = table.get_item(hash_value, range_value)
        except Exception:  # noqa: S112 - a malformed item: moto itself refuses the transaction
            continue
        touched.append((table, hash_value, range_value, copy.deepcopy(current)))
    return touched


def _restore(touched: list[tuple[Any, Any, Any, Any]]) -> None:
    # In reverse, so an item named twice ends as it was before the first write.
    for table, hash_value, range_value, before in reversed(touched):
        if before is None:
            table.delete_item(hash_value, range_value)
        elif range_value is not None:
            table.items[hash_value][range_value] = before
        else:
            table.items[hash_value] = before


def apply() -> None:
    """Patch moto once per process (idempotent)."""
    global _applied
    with _lock:
        if _applied:
            return
        from moto.dynamodb import models
        from moto.dynamodb.models.table import Table

        shim = _TableCopiesSkipped(Table)
        original = models.DynamoDBBackend.transact_write_items

        @functools.wraps(original)  # __wrapped__ keeps moto's own method reachable for the version check
        def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
            touched = _touched_items(self, transact_items)
            shim.begin()
            try:
                return original(self, transact_items)
            except BaseException:
                _restore(touched)
                raise
            finally:
                shim.end()

        models.copy = shim  # type: ignore[assignment]
        models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        _applied = True
