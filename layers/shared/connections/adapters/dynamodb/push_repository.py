"""PushRepository on DynamoDB: runs at ``PUSHRUN#<run>``, activations at ``ACT#<connection>#<topic>``
(the key makes one activation per topic and connection), the connection's ``activePushRunId`` as the
one-running-push lock. An activation is claimed for one push call with a conditional write (token and
lease) before any platform call, and its outcome is written only while the claim still holds."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from connections.adapters.dynamodb.item_codec import from_item, to_attribute, to_item
from connections.adapters.dynamodb.keys import ACTIVATION_SORT_PREFIX, Key, activation_key, org_partition, push_run_key
from connections.adapters.dynamodb.run_repository import RunRepository
from connections.adapters.dynamodb.table_client import batch_get, batch_put, condition_failed, query_all
from connections.domain.activation import Activation, ActivationStatus, PushRun
from connections.domain.errors import PushAlreadyRunning
from connections.domain.idempotency import IdempotencyClaim
from connections.domain.sync_run import RunStatus

RUN_TTL_SECONDS = 30 * 24 * 3600


_ACTIVATION_FIELDS = {
    "id": "id",
    "org_id": "orgId",
    "topic_id": "topicId",
    "connection_id": "connectionId",
    "platform": "platform",
    "topic_name": "topicName",
    "status": "status",
    "created_at": "createdAt",
    "updated_at": "updatedAt",
    "run_id": "runId",
    "platform_segment_id": "platformSegmentId",
    "pushed_name": "pushedName",
    "pushed_description": "pushedDescription",
    "engine_version_at_push": "engineVersionAtPush",
    "activated_at": "activatedAt",
    "last_error": "lastError",
    "template_key": "templateKey",
}


def _activation_values(activation: Activation) -> dict[str, Any]:
    values = {name: getattr(activation, field) for field, name in _ACTIVATION_FIELDS.items()}
    values["status"] = activation.status.value
    return values


def _activation(item: dict[str, Any]) -> Activation:
    values = from_item(item)
    fields: dict[str, Any] = {field: values.get(name) for field, name in _ACTIVATION_FIELDS.items()}
    fields["status"] = ActivationStatus(values["status"])
    fields["claimed_until"] = float(values.get("leaseExpires") or 0) if values.get("claimToken") else 0.0
    return Activation(**fields)


def _run(item: dict[str, Any]) -> PushRun:
    values = from_item(item)
    return PushRun(
        id=values["id"],
        org_id=values["orgId"],
        connection_id=values["connectionId"],
        status=RunStatus(values["status"]),
        total_segments=values["totalSegments"],
        started_at=values["startedAt"],
        updated_at=values["updatedAt"],
        template_key=values.get("templateKey"),
        cpm=values.get("cpm"),
        currency=values.get("currency"),
        processed_batches=values.get("processedBatches", 0),
        success_count=values.get("successCount", 0),
        error_count=values.get("errorCount", 0),
        completed_at=values.get("completedAt"),
        last_error=values.get("lastError"),
    )


class DynamoPushRepository(RunRepository[PushRun]):
    LOCK = "activePushRunId"

    # -- runs ---------------------------------------------------------------------------------------

    def _run_key(self, org_id: str, run_id: str) -> Key:
        return push_run_key(org_id, run_id)

    def _run_from_item(self, item: dict[str, Any]) -> PushRun:
        return _run(item)

    def start(self, run: PushRun, idempotency: IdempotencyClaim | None) -> None:
        record = {
            "id": run.id,
            "orgId": run.org_id,
            "connectionId": run.connection_id,
            "status": run.status.value,
            "totalSegments": run.total_segments,
            "startedAt": run.started_at,
            "updatedAt": run.updated_at,
            "templateKey": run.template_key,
            "cpm": run.cpm,
            "currency": run.currency,
            "processedBatches": 0,
            "successCount": 0,
            "errorCount": 0,
            "ttl": int(time.time()) + RUN_TTL_SECONDS,
        }
        self._store_running(run, record, idempotency, PushAlreadyRunning)

    def add_batch(self, run: PushRun, succeeded: int, failed: int, now: str) -> PushRun | None:
        added = {"processedBatches": 1, "successCount": succeeded, "errorCount": failed}
        return self._update_running(run, {"updatedAt": now}, added=added, removed=["lastError"])

    def note_error(self, run: PushRun, error: str, now: str) -> PushRun | None:
        return self._update_running(run, {"lastError": error[:500], "updatedAt": now})

    def finish(self, run: PushRun, status: RunStatus, now: str, last_error: str | None = None) -> PushRun | None:
        values: dict[str, Any] = {"status": status.value, "updatedAt": now, "completedAt": now}
        if last_error is not None:
            values["lastError"] = last_error[:500]
        return self._finish(run, values)

    # -- activations --------------------------------------------------------------------------------

    def activations_for(self, org_id: str, connection_id: str, topic_ids: Sequence[str]) -> dict[str, Activation]:
        keys = [activation_key(org_id, connection_id, topic_id) for topic_id in dict.fromkeys(topic_ids)]
        found = (_activation(item) for item in batch_get(self.client, self._table, keys))
        return {activation.topic_id: activation for activation in found}

    def put_activations(self, activations: Sequence[Activation]) -> None:
        items = [
            activation_key(activation.org_id, activation.connection_id, activation.topic_id)
            | to_item(_activation_values(activation))
            for activation in activations
        ]
        batch_put(self.client, self._table, items)

    def pending_for_run(
        self, run: PushRun, limit: int, now_epoch: float, *, include_claimed: bool = False
    ) -> list[Activation]:
        unclaimed = {":now": to_attribute(round(now_epoch, 3))} if not include_claimed else {}
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "FilterExpression": "runId = :run AND #status = :pending"
            + (" AND (attribute_not_exists(claimToken) OR leaseExpires < :now)" if unclaimed else ""),
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":pk": {"S": org_partition(run.org_id)},
                ":prefix": {"S": f"{ACTIVATION_SORT_PREFIX}{run.connection_id}#"},
                ":run": {"S": run.id},
                ":pending": {"S": ActivationStatus.PENDING.value},
            }
            | unclaimed,
            "ConsistentRead": True,
        }
        # islice stops reading pages once ``limit`` activations are found.
        return [_activation(item) for item in itertools.islice(query_all(self.client, request), limit)]

    def claim(self, activation: Activation, run_id: str, token: str, lease_seconds: float) -> bool:
        now = time.time()
        try:
            self.client.update_item(
                TableName=self._table,
                Key=activation_key(activation.org_id, activation.connection_id, activation.topic_id),
                UpdateExpression="SET claimToken = :token, leaseExpires = :lease",
                ConditionExpression="runId = :run AND #status = :pending "
                "AND (attribute_not_exists(claimToken) OR leaseExpires < :now)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":token": {"S": token},
                    ":lease": to_attribute(round(now + lease_seconds, 3)),
                    ":now": to_attribute(round(now, 3)),
                    ":run": {"S": run_id},
                    ":pending": {"S": ActivationStatus.PENDING.value},
                },
            )
        except ClientError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def record_outcome(self, activation: Activation, token: str) -> bool:
        values = {name: value for name, value in _activation_values(activation).items() if value is not None}
        removed = [name for name, value in _activation_values(activation).items() if value is None]
        names = {f"#a{position}": name for position, name in enumerate(values)}
        names |= {f"#r{position}": name for position, name in enumerate(removed)}
        attributes = {f":a{position}": to_attribute(value) for position, value in enumerate(values.values())}
        expression = "SET " + ", ".join(f"#a{position} = :a{position}" for position in range(len(values)))
        expression += " REMOVE " + ", ".join(["claimToken", "leaseExpires"] + [f"#r{p}" for p in range(len(removed))])
        try:
            self.client.update_item(
                TableName=self._table,
                Key=activation_key(activation.org_id, activation.connection_id, activation.topic_id),
                UpdateExpression=expression,
                ConditionExpression="claimToken = :token",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=attributes | {":token": {"S": token}},
            )
        except ClientError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def release(self, activation: Activation, token: str, error: str | None) -> int | None:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": activation_key(activation.org_id, activation.connection_id, activation.topic_id),
            "UpdateExpression": "REMOVE claimToken, leaseExpires",
            "ConditionExpression": "claimToken = :token",
            "ExpressionAttributeValues": {":token": {"S": token}},
            "ReturnValues": "ALL_NEW",
        }
        if error is not None:
            # Attempts live on the activation: a new run's put_activations writes it afresh, at none.
            request["UpdateExpression"] = "SET lastError = :error REMOVE claimToken, leaseExpires ADD pushAttempts :one"
            request["ExpressionAttributeValues"] |= {":error": {"S": error[:500]}, ":one": {"N": "1"}}
        try:
            response = self.client.update_item(**request)
        except ClientError as failure:
            if condition_failed(failure):
                return None
            raise
        return int(from_item(response["Attributes"]).get("pushAttempts", 0))

    def list_activations(self, org_id: str, connection_id: str | None = None) -> list[Activation]:
        prefix = ACTIVATION_SORT_PREFIX + (f"{connection_id}#" if connection_id else "")
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": org_partition(org_id)}, ":prefix": {"S": prefix}},
        }
        return [_activation(item) for item in query_all(self.client, request)]
