"""What sync and push runs share on DynamoDB: one running run per connection, held as an attribute of
the connection item and taken in the same transaction that stores the run (and the caller's
Idempotency-Key, when given)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from connections.adapters.dynamodb.item_codec import from_item, to_item
from connections.adapters.dynamodb.keys import connection_key, idempotency_key
from connections.adapters.dynamodb.table_client import (
    Transaction,
    condition_failed,
)
from connections.domain.errors import Conflict, NotFound
from connections.domain.idempotency import IdempotencyClaim, IdempotentReplay, ensure_same_request

IDEMPOTENCY_TTL_SECONDS = 24 * 3600


def idempotency_put(table: str, org_id: str, claim: IdempotencyClaim, result_id: str) -> dict[str, Any]:
    """The transaction item that records a key's first result (fails if the key was used)."""
    record = idempotency_key(org_id, claim.operation, claim.key) | to_item(
        {"resultId": result_id, "fingerprint": claim.fingerprint, "ttl": int(time.time()) + IDEMPOTENCY_TTL_SECONDS}
    )
    return {"Put": {"TableName": table, "Item": record, "ConditionExpression": "attribute_not_exists(pk)"}}


def replay_of(client: Any, table: str, org_id: str, claim: IdempotencyClaim) -> str | None:
    """The id the key's first request produced, if the key was used; a Conflict (409) when that first
    request was a different one (the stored fingerprint differs), which must not replay its result."""
    item = client.get_item(
        TableName=table, Key=idempotency_key(org_id, claim.operation, claim.key), ConsistentRead=True
    ).get("Item")
    if not item:
        return None
    stored = from_item(item)
    return ensure_same_request(claim, IdempotentReplay(stored["resultId"], stored["fingerprint"]))


def lock_holder(client: Any, table: str, org_id: str, connection_id: str, lock: str) -> str | None:
    """The run holding the connection's ``lock`` attribute, if any."""
    item = client.get_item(
        TableName=table, Key=connection_key(org_id, connection_id), ProjectionExpression=lock, ConsistentRead=True
    ).get("Item")
    return from_item(item).get(lock) if item else None


def start_locked_run(
    client: Any,
    table: str,
    *,
    org_id: str,
    connection_id: str,
    lock: str,
    run_item: dict[str, Any],
    run_id: str,
    idempotency: IdempotencyClaim | None,
    already_running: Callable[[str], Conflict],
) -> None:
    """Store ``run_item`` and take the connection's lock in one transaction.

    Raises IdempotentReplay (the key was used), ``already_running(holder)``, or NotFound.
    """
    transaction = Transaction()
    transaction.add(
        "lock",
        {
            "Update": {
                "TableName": table,
                "Key": connection_key(org_id, connection_id),
                "UpdateExpression": "SET #lock = :run",
                "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(#lock)",
                "ExpressionAttributeNames": {"#lock": lock},
                "ExpressionAttributeValues": {":run": {"S": run_id}},
            }
        },
    )
    transaction.add(
        "run", {"Put": {"TableName": table, "Item": run_item, "ConditionExpression": "attribute_not_exists(pk)"}}
    )
    if idempotency is not None:
        transaction.add("idempotency", idempotency_put(table, org_id, idempotency, run_id))
    try:
        transaction.write(client)
    except ClientError as error:
        refused = transaction.refused(error)
        if idempotency is not None and "idempotency" in refused:
            replayed = replay_of(client, table, org_id, idempotency)
            if replayed:
                raise IdempotentReplay(replayed, idempotency.fingerprint) from None
        if "lock" in refused:
            holder = lock_holder(client, table, org_id, connection_id, lock)
            if holder:
                raise already_running(holder) from None
            raise NotFound("Connection not found") from None
        raise


def release_lock(client: Any, table: str, org_id: str, connection_id: str, lock: str, run_id: str) -> None:
    """Free the connection's ``lock`` if ``run_id`` still holds it."""
    try:
        client.update_item(
            TableName=table,
            Key=connection_key(org_id, connection_id),
            UpdateExpression="REMOVE #lock",
            ConditionExpression="#lock = :run",
            ExpressionAttributeNames={"#lock": lock},
            ExpressionAttributeValues={":run": {"S": run_id}},
        )
    except ClientError as error:
        if not condition_failed(error):
            raise
