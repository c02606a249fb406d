"""What DynamoDB work a block of code does, counted from its requests (moto's timings say nothing of
DynamoDB's): items read, writes with their item sizes and partition keys, and write units.

Write units follow DynamoDB's pricing: a standard write costs 1 unit per started KB of the item (for
an update: the item as it is after the update), a write inside TransactWriteItems twice that; a
write also costs its GSI entries (1 unit per started KB of each projected entry). Reads are counted
as items: what Query examined (ScannedCount), BatchGetItem and GetItem returned.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


def attribute_bytes(value: dict[str, Any]) -> int:
    """The size DynamoDB gives an attribute value (strings in UTF-8, numbers by digits, +3 per map/list)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = Decimal(inner).normalize().as_tuple().digits
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(name.encode()) + attribute_bytes(item) + 1 for name, item in inner.items())
    if kind == "L":
        return 3 + sum(attribute_bytes(item) + 1 for item in inner)
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_bytes({kind[0]: item}) for item in inner)
    raise ValueError(f"unknown attribute type {kind}")


def item_bytes(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_bytes(value) for name, value in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


@dataclass
class Write:
    operation: str  # the API call
    kind: str  # Put, Update or Delete
    key: dict[str, Any]
    item: dict[str, Any] | None  # a Put's item (an update's is read after the block)
    transactional: bool


@dataclass
class Usage:
    """The DynamoDB calls of a block, and what they read and wrote."""

    calls: Counter[str] = field(default_factory=Counter)
    items_read: int = 0
    keys_read: set[tuple[str, str]] = field(default_factory=set)  # (pk, sk) asked for by BatchGetItem/GetItem
    writes: list[Write] = field(default_factory=list)
    sizes: dict[tuple[str, str], int] = field(default_factory=dict)  # (pk, sk) -> item size after the block
    index_entries: dict[tuple[str, str], int] = field(default_factory=dict)  # (pk, sk) -> GSI entry bytes

    def write_units(self) -> float:
        total = 0.0
        for write in self.writes:
            key = (write.key["pk"]["S"], write.key["sk"]["S"])
            size = item_bytes(write.item) if write.item is not None else self.sizes.get(key, 0)
            factor = 2 if write.transactional else 1
            total += factor * write_units(size)
            if key in self.index_entries and write.kind != "Delete":
                total += write_units(self.index_entries[key])
        return total

    def writes_per_partition(self) -> Counter[str]:
        return Counter(write.key["pk"]["S"] for write in self.writes)


def _writes(operation: str, params: dict[str, Any]) -> list[Write]:
    if operation == "PutItem":
        return [Write(operation, "Put", _key_of(params["Item"]), params["Item"], False)]
    if operation == "UpdateItem":
        return [Write(operation, "Update", params["Key"], None, False)]
    if operation == "DeleteItem":
        return [Write(operation, "Delete", params["Key"], None, False)]
    if operation == "BatchWriteItem":
        found = []
        for requests in params["RequestItems"].values():
            for request in requests:
                if "PutRequest" in request:
                    item = request["PutRequest"]["Item"]
                    found.append(Write(operation, "Put", _key_of(item), item, False))
                else:
                    found.append(Write(operation, "Delete", request["DeleteRequest"]["Key"], None, False))
        return found
    if operation == "TransactWriteItems":
        found = []
        for part in params["TransactItems"]:
            ((kind, body),) = part.items()
            if kind == "Put":
                found.append(Write(operation, "Put", _key_of(body["Item"]), body["Item"], True))
            elif kind in ("Update", "Delete"):
                found.append(Write(operation, kind, body["Key"], None, True))
        return found
    return []


def _key_of(item: dict[str, Any]) -> dict[str, Any]:
    return {"pk": item["pk"], "sk": item["sk"]}


def _items_read(operation: str, response: dict[str, Any]) -> int:
    if operation in ("Query", "Scan"):
        return int(response.get("ScannedCount", len(response.get("Items", []))))
    if operation == "BatchGetItem":
        return sum(len(items) for items in response.get("Responses", {}).values())
    if operation == "GetItem":
        return 1 if response.get("Item") else 0
    return 0


def _keys_asked(operation: str, params: dict[str, Any]) -> set[tuple[str, str]]:
    if operation == "BatchGetItem":
        return {(key["pk"]["S"], key["sk"]["S"]) for table in params["RequestItems"].values() for key in table["Keys"]}
    if operation == "GetItem":
        return {(params["Key"]["pk"]["S"], params["Key"]["sk"]["S"])}
    return set()


@contextmanager
def dynamodb_usage(table_name: str, index_attributes: dict[str, list[str]] | None = None) -> Iterator[Usage]:
    """Count the DynamoDB work of the block (every client: the hook is on botocore's BaseClient).

    ``index_attributes`` maps a GSI's partition-key attribute to the attributes it projects: a written
    item that has that attribute also costs that entry. Updated items are read after the block (with
    a client made for it, not counted) to know their sizes."""
    import boto3
    from botocore.client import BaseClient

    usage = Usage()
    original = BaseClient.__dict__["_make_api_call"]
    counted = threading.Lock()  # reads of one page go out from several threads at once

    def counting(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        response = original(client, operation_name, api_params)
        if client.meta.service_model.service_id != "DynamoDB":
            return response
        with counted:
            usage.calls[operation_name] += 1
            usage.items_read += _items_read(operation_name, response)
            usage.keys_read |= _keys_asked(operation_name, api_params)
            with suppress(KeyError):  # a write to another table shape: not ours to count
                usage.writes.extend(_writes(operation_name, api_params))
        return response

    setattr(BaseClient, "_make_api_call", counting)  # noqa: B010
    try:
        yield usage
    finally:
        setattr(BaseClient, "_make_api_call", original)  # noqa: B010
    reader = boto3.client("dynamodb")
    for write in usage.writes:
        key = (write.key["pk"]["S"], write.key["sk"]["S"])
        item = write.item
        if item is None and write.kind == "Update":
            item = reader.get_item(TableName=table_name, Key=write.key, ConsistentRead=True).get("Item")
        if item is None:
            continue
        usage.sizes[key] = item_bytes(item)
        for index_key, projected in (index_attributes or {}).items():
            if index_key in item:
                entry = {name: item[name] for name in ("pk", "sk", index_key, *projected) if name in item}
                usage.index_entries[key] = item_bytes(entry)
