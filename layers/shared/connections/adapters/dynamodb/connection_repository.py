"""ConnectionRepository on DynamoDB: the 20-connection limit and idempotency keys are enforced in one
transaction with the write, so no check-then-write race exists."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from connections.adapters.dynamodb.item_codec import from_item, to_attribute, to_item
from connections.adapters.dynamodb.keys import (
    CONNECTION_SORT_PREFIX,
    Key,
    connection_key,
    idempotency_key,
    meta_key,
    org_partition,
    push_run_key,
    sync_run_key,
)
from connections.adapters.dynamodb.run_locks import idempotency_put
from connections.adapters.dynamodb.table_client import (
    TableRepository,
    Transaction,
    condition_failed,
    query_all,
)
from connections.domain.clock import utc_now
from connections.domain.connection import Connection
from connections.domain.connection_size import stored_attributes
from connections.domain.errors import ConcurrentModification, ConnectionLimitReached, NotFound
from connections.domain.idempotency import IdempotencyClaim, IdempotentReplay
from connections.domain.platforms import ConnectionStatus, Direction, Platform

IDEMPOTENCY_TTL_SECONDS = 24 * 3600
_CIPHERTEXT = "credentialsCiphertext"
# Reads never fetch the ciphertext: functions that only read must not even hold it in memory.
_RECORD_ATTRIBUTES = (
    "id, orgId, #name, platform, direction, config, #status, createdAt, updatedAt, "
    "lastTestedAt, lastError, version, hasCredentials, activeSyncRunId, activePushRunId"
)
_RECORD_NAMES = {"#name": "name", "#status": "status"}


def _connection(item: dict[str, Any]) -> Connection:
    values = from_item(item)
    return Connection(
        id=values["id"],
        org_id=values["orgId"],
        name=values["name"],
        platform=Platform(values["platform"]),
        direction=Direction(values["direction"]),
        config=values.get("config", {}),
        status=ConnectionStatus(values["status"]),
        created_at=values["createdAt"],
        updated_at=values["updatedAt"],
        last_tested_at=values.get("lastTestedAt"),
        last_error=values.get("lastError"),
        version=values.get("version", 1),
        has_credentials=values.get("hasCredentials", False),
        active_sync_run_id=values.get("activeSyncRunId"),
        active_push_run_id=values.get("activePushRunId"),
    )


class DynamoConnectionRepository(TableRepository):
    """Connections under ``ORG#<org>`` / ``CONN#<id>``, with the org counter at ``ORG#<org>`` / ``META``."""

    def list_for_org(self, org_id: str) -> list[Connection]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": org_partition(org_id)},
                ":prefix": {"S": CONNECTION_SORT_PREFIX},
            },
            "ProjectionExpression": _RECORD_ATTRIBUTES,
            "ExpressionAttributeNames": _RECORD_NAMES,
        }
        connections = [_connection(item) for item in query_all(self.client, request)]
        return sorted(connections, key=lambda connection: connection.created_at)

    def get(self, org_id: str, connection_id: str) -> Connection | None:
        response = self.client.get_item(
            TableName=self._table,
            Key=connection_key(org_id, connection_id),
            ProjectionExpression=_RECORD_ATTRIBUTES,
            ExpressionAttributeNames=_RECORD_NAMES,
        )
        item = response.get("Item")
        return _connection(item) if item else None

    def get_encrypted_credentials(self, org_id: str, connection_id: str) -> bytes | None:
        response = self.client.get_item(
            TableName=self._table,
            Key=connection_key(org_id, connection_id),
            ProjectionExpression=_CIPHERTEXT,
            ConsistentRead=True,
        )
        item = response.get("Item")
        return from_item(item).get(_CIPHERTEXT) if item else None

    def create(
        self,
        connection: Connection,
        encrypted_credentials: bytes | None,
        max_per_org: int,
        idempotency: IdempotencyClaim | None = None,
    ) -> None:
        item = connection_key(connection.org_id, connection.id) | to_item(stored_attributes(connection))
        if encrypted_credentials is not None:
            item[_CIPHERTEXT] = {"B": encrypted_credentials}
        transaction = Transaction()
        transaction.add(
            "limit",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": meta_key(connection.org_id),
                    "UpdateExpression": "SET connectionCount = if_not_exists(connectionCount, :zero) + :one",
                    "ConditionExpression": "attribute_not_exists(connectionCount) OR connectionCount < :max",
                    "ExpressionAttributeValues": {
                        ":zero": {"N": "0"},
                        ":one": {"N": "1"},
                        ":max": {"N": str(max_per_org)},
                    },
                }
            },
        )
        transaction.add(
            "record",
            {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
        )
        if idempotency is not None:
            transaction.add("idempotency", idempotency_put(self._table, connection.org_id, idempotency, connection.id))
        try:
            transaction.write(self.client)
        except ClientError as error:
            refused = transaction.refused(error)
            if idempotency is not None and "idempotency" in refused:
                raise self._replay(connection.org_id, idempotency) from None
            if "limit" in refused:
                raise ConnectionLimitReached(
                    f"Connection limit reached: an organisation can have at most {max_per_org} connections"
                ) from None
            raise

    def replace(self, connection: Connection, expected_version: int, encrypted_credentials: bytes | None) -> None:
        record = stored_attributes(connection)
        removed = [name for name in ("lastTestedAt", "lastError") if record[name] is None]
        values = {name: value for name, value in record.items() if value is not None and name not in ("id", "orgId")}
        if encrypted_credentials is not None:
            values[_CIPHERTEXT] = encrypted_credentials
        names = {f"#{name}": name for name in values} | {f"#{name}": name for name in removed}
        expression = "SET " + ", ".join(f"#{name} = :{name}" for name in values)
        if removed:
            expression += " REMOVE " + ", ".join(f"#{name}" for name in removed)
        attribute_values = {f":{name}": to_attribute(value) for name, value in values.items()}
        attribute_values[":expected"] = {"N": str(expected_version)}
        try:
            self.client.update_item(
                TableName=self._table,
                Key=connection_key(connection.org_id, connection.id),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk) AND #version = :expected",
                ExpressionAttributeNames=names | {"#version": "version"},
                ExpressionAttributeValues=attribute_values,
            )
        except ClientError as error:
            if not condition_failed(error):
                raise
            if self.get(connection.org_id, connection.id) is None:
                raise NotFound("Connection not found") from None
            raise ConcurrentModification("The connection was changed by another request; retry") from None

    def record_test_result(
        self, connection: Connection, tested_at: str, status: ConnectionStatus, error: str | None
    ) -> None:
        # Not a user edit: the version stays, so a concurrent PATCH is not refused because of a test.
        values = {":tested": {"S": tested_at}, ":status": {"S": status.value}}
        expression = "SET lastTestedAt = :tested, updatedAt = :tested, #status = :status"
        if error:
            values[":error"] = {"S": error[:500]}
            expression += ", lastError = :error"
        else:
            expression += " REMOVE lastError"
        try:
            self.client.update_item(
                TableName=self._table,
                Key=connection_key(connection.org_id, connection.id),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error_response:
            if not condition_failed(error_response):
                raise

    def delete(self, connection: Connection) -> None:
        org_id, connection_id = connection.org_id, connection.id
        transaction = Transaction()
        transaction.add(
            "connection",
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": connection_key(org_id, connection_id),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
        )
        transaction.add(
            "count",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": meta_key(org_id),
                    "UpdateExpression": "SET connectionCount = connectionCount - :one",
                    "ConditionExpression": "connectionCount > :zero",
                    "ExpressionAttributeValues": {":zero": {"N": "0"}, ":one": {"N": "1"}},
                }
            },
        )
        try:
            transaction.write(self.client)
        except ClientError as error:
            if "connection" in transaction.refused(error):
                raise NotFound("Connection not found") from None
            raise
        if connection.active_sync_run_id:
            self._cancel_run(sync_run_key(org_id, connection.active_sync_run_id))
        if connection.active_push_run_id:
            self._cancel_run(push_run_key(org_id, connection.active_push_run_id))

    def _cancel_run(self, run_key: Key) -> None:
        """A deleted connection's running sync or push is cancelled (it could never make another call)."""
        now = utc_now()
        try:
            self.client.update_item(
                TableName=self._table,
                Key=run_key,
                UpdateExpression="SET #status = :cancelled, updatedAt = :now, completedAt = :now, lastError = :why",
                ConditionExpression="#status = :running",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":cancelled": {"S": "cancelled"},
                    ":running": {"S": "running"},
                    ":now": {"S": now},
                    ":why": {"S": "Connection was deleted"},
                },
            )
        except ClientError as error:
            if not condition_failed(error):
                raise

    def connection_count(self, org_id: str) -> int:
        """The organisation's counter as stored (used by tests and operators)."""
        item = self.client.get_item(TableName=self._table, Key=meta_key(org_id), ConsistentRead=True).get("Item")
        return int(item["connectionCount"]["N"]) if item and "connectionCount" in item else 0

    def _replay(self, org_id: str, claim: IdempotencyClaim) -> IdempotentReplay:
        item = self.client.get_item(
            TableName=self._table, Key=idempotency_key(org_id, claim.operation, claim.key), ConsistentRead=True
        )["Item"]
        values = from_item(item)
        return IdempotentReplay(values["resultId"], values["fingerprint"])
