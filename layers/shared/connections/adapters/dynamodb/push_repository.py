"""PushRepository on DynamoDB: runs at ``PUSHRUN#<run>``, activations at ``ACT#<topic>`` in their
connection's partition ``ORG#<org>#ACT#<connection>#<n>`` (the key makes one activation per topic and
connection; keys.py), the connection's ``activePushRunId`` as the one-running-push lock. An activation
is claimed for one push call with a conditional write (token and lease) before any platform call, and
its outcome is written only while the claim still holds.

Reads that would otherwise go through every activation use GSIs: the listing (activation_listing.py)
and a batch's candidates (``PendingActivations``, sparse: an activation carries its key only while it
is pending in a run, so a batch reads about its 25 candidates and those other calls hold)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from connections.adapters.dynamodb.activation_listing import read_activation_page
from connections.adapters.dynamodb.item_codec import from_item, to_attribute, to_item
from connections.adapters.dynamodb.keys import (
    ACTIVATION_SHARDS,
    ACTIVATION_SORT_PREFIX,
    ACTIVATIONS_BY_STATUS_KEY,
    PENDING_ACTIVATIONS_INDEX,
    PENDING_ACTIVATIONS_KEY,
    Key,
    activation_index_keys,
    activation_key,
    activation_partition,
    pending_activations_partition,
    push_run_key,
)
from connections.adapters.dynamodb.run_repository import RunRepository
from connections.adapters.dynamodb.table_client import batch_get, batch_put, condition_failed, query_all
from connections.domain.activation import Activation, ActivationPage, ActivationQuery, ActivationStatus, PushRun
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
    "platform_note": "platformNote",
}


def _activation_values(activation: Activation) -> dict[str, Any]:
    values = {name: getattr(activation, field) for field, name in _ACTIVATION_FIELDS.items()}
    values["status"] = activation.status.value
    return values


def activation_from_item(item: dict[str, Any]) -> Activation:
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
    KIND = "PUSHRUN"

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
        found = (activation_from_item(item) for item in batch_get(self.client, self._table, keys))
        return {activation.topic_id: activation for activation in found}

    def put_activations(self, activations: Sequence[Activation]) -> None:
        items = [_stored_activation(activation) for activation in activations]
        batch_put(self.client, self._table, items)

    def pending_for_run(
        self, run: PushRun, limit: int, now_epoch: float, *, include_claimed: bool = False
    ) -> list[Activation]:
        unclaimed = {":now": to_attribute(round(now_epoch, 3))} if not include_claimed else {}
        found: list[Activation] = []
        for shard in range(ACTIVATION_SHARDS):
            request: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": PENDING_ACTIVATIONS_INDEX,
                "KeyConditionExpression": "#pk = :pk",
                "ExpressionAttributeNames": {"#pk": PENDING_ACTIVATIONS_KEY},
                "ExpressionAttributeValues": {":pk": {"S": pending_activations_partition(run.org_id, run.id, shard)}}
                | unclaimed,
                "Limit": limit - len(found),
            }
            if unclaimed:
                request["FilterExpression"] = "attribute_not_exists(claimToken) OR leaseExpires < :now"
            found += _read_up_to(self.client, request, limit - len(found))
            if len(found) >= limit:
                return found
        if not found and include_claimed:
            # "Nothing pending" ends the run. The index is eventually consistent and may not show yet
            # what the run's start has just written, so that answer is checked on the table (a read of
            # the connection's activations; once per run, at its end).
            return self._pending_in_table(run, limit)
        return found

    def _pending_in_table(self, run: PushRun, limit: int) -> list[Activation]:
        found: list[Activation] = []
        for shard in range(ACTIVATION_SHARDS):
            request: dict[str, Any] = {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                "FilterExpression": "runId = :run AND #status = :pending",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":pk": {"S": activation_partition(run.org_id, run.connection_id, shard)},
                    ":prefix": {"S": ACTIVATION_SORT_PREFIX},
                    ":run": {"S": run.id},
                    ":pending": {"S": ActivationStatus.PENDING.value},
                },
                "ConsistentRead": True,
            }
            found += _read_up_to(self.client, request, limit - len(found))
            if len(found) >= limit:
                break
        return found

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
        # The status index moves with the status; an outcome that is not pending leaves the batch index.
        indexes = _index_keys(activation)
        values[ACTIVATIONS_BY_STATUS_KEY] = indexes[ACTIVATIONS_BY_STATUS_KEY]["S"]
        if PENDING_ACTIVATIONS_KEY in indexes:
            values[PENDING_ACTIVATIONS_KEY] = indexes[PENDING_ACTIVATIONS_KEY]["S"]
        else:
            removed.append(PENDING_ACTIVATIONS_KEY)
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

    def list_page(self, org_id: str, query: ActivationQuery) -> ActivationPage:
        raw = read_activation_page(self.client, self._table, org_id, query)
        return ActivationPage([activation_from_item(item) for item in raw.items], raw.next_after, raw.examined)


def _index_keys(activation: Activation) -> dict[str, Any]:
    """The index keys an activation's status and run give it (listing GSIs, the sparse pending index)."""
    return activation_index_keys(
        activation.org_id,
        activation.connection_id,
        activation.id,
        activation.topic_id,
        activation.status.value,
        activation.run_id,
    )


def _stored_activation(activation: Activation) -> dict[str, Any]:
    """The item of an activation: its key, its fields and the index keys its status gives it."""
    return (
        activation_key(activation.org_id, activation.connection_id, activation.topic_id)
        | to_item(_activation_values(activation))
        | _index_keys(activation)
    )


def _read_up_to(client: Any, request: dict[str, Any], limit: int) -> list[Activation]:
    """Up to ``limit`` activations a (filtered) query finds, reading no page past the one that fills it."""
    found: list[Activation] = []
    for item in query_all(client, request):
        found.append(activation_from_item(item))
        if len(found) >= limit:
            break
    return found
