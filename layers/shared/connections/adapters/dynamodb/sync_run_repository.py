"""SyncRunRepository on DynamoDB: the run at ``SYNCRUN#<run>``, its pages at ``SYNCRUN#<run>#PAGE#<n>``,
and the connection's ``activeSyncRunId`` as the one-running-sync lock.

A page is claimed with a lease (a conditional write), and finished in one transaction that marks it
done and adds its counts to the run, conditional on still holding the claim: a crash anywhere before
that transaction leaves no counts behind, and a crash after it leaves the page done.
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from connections.adapters.dynamodb.item_codec import from_item, to_attribute
from connections.adapters.dynamodb.keys import Key, org_partition, sync_page_key, sync_page_prefix, sync_run_key
from connections.adapters.dynamodb.run_repository import RunRepository
from connections.adapters.dynamodb.table_client import (
    Transaction,
    condition_failed,
    is_transaction_cancelled,
    query_all,
)
from connections.domain.errors import SyncAlreadyRunning
from connections.domain.idempotency import IdempotencyClaim
from connections.domain.sync_run import PageResult, RunStatus, SyncRun
from connections.ports.sync_run_repository import PageRecord, PageState

RUN_TTL_SECONDS = 30 * 24 * 3600
_RUN_FIELDS = {
    "status": "status",
    "total_items": "totalItems",
    "total_pages": "totalPages",
    "completed_at": "completedAt",
    "last_error": "lastError",
}


def _run_from_item(item: dict[str, Any]) -> SyncRun:
    values = from_item(item)
    return SyncRun(
        id=values["id"],
        org_id=values["orgId"],
        connection_id=values["connectionId"],
        status=RunStatus(values["status"]),
        page_size=values["pageSize"],
        total_items=values.get("totalItems"),
        total_pages=values.get("totalPages"),
        started_at=values["startedAt"],
        updated_at=values["updatedAt"],
        processed_pages=values.get("processedPages", 0),
        success_count=values.get("successCount", 0),
        error_count=values.get("errorCount", 0),
        duplicate_count=values.get("duplicateCount", 0),
        completed_at=values.get("completedAt"),
        last_error=values.get("lastError"),
        trigger=values.get("trigger", "api"),
        first_open_page=values.get("firstOpenPage", 1),
    )


def _page_from_item(item: dict[str, Any]) -> PageRecord:
    values = from_item(item)
    result = values.get("result")
    return PageRecord(
        page=values["page"],
        state=PageState(values["state"]),
        lease_expires=float(values.get("leaseExpires", 0)),
        attempts=values.get("attempts", 0),
        result=PageResult.from_dict(result) if result else None,
    )


class DynamoSyncRunRepository(RunRepository[SyncRun]):
    LOCK = "activeSyncRunId"
    KIND = "SYNCRUN"

    def _run_key(self, org_id: str, run_id: str) -> Key:
        return sync_run_key(org_id, run_id)

    def _run_from_item(self, item: dict[str, Any]) -> SyncRun:
        return _run_from_item(item)

    def start(self, run: SyncRun, idempotency: IdempotencyClaim | None) -> None:
        record = {
            "id": run.id,
            "orgId": run.org_id,
            "connectionId": run.connection_id,
            "status": run.status.value,
            "pageSize": run.page_size,
            "totalItems": run.total_items,
            "totalPages": run.total_pages,
            "startedAt": run.started_at,
            "updatedAt": run.updated_at,
            "processedPages": 0,
            "successCount": 0,
            "errorCount": 0,
            "duplicateCount": 0,
            "trigger": run.trigger,
            "ttl": int(time.time()) + RUN_TTL_SECONDS,
        }
        self._store_running(run, record, idempotency, SyncAlreadyRunning)

    def pages(self, org_id: str, run_id: str) -> dict[int, PageRecord]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": org_partition(org_id)},
                ":prefix": {"S": sync_page_prefix(run_id)},
            },
            "ConsistentRead": True,
        }
        records = (_page_from_item(item) for item in query_all(self.client, request))
        return {record.page: record for record in records}

    def pages_from(self, org_id: str, run_id: str, first: int, limit: int) -> list[PageRecord]:
        response = self.client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
            ExpressionAttributeValues={
                ":pk": {"S": org_partition(org_id)},
                ":low": sync_page_key(org_id, run_id, first)["sk"],
                ":high": {"S": sync_page_prefix(run_id) + "\uffff"},
            },
            Limit=limit,
            ConsistentRead=True,
        )
        return [_page_from_item(item) for item in response["Items"]]

    def raise_open_mark(self, run: SyncRun, page: int) -> None:
        try:
            self.client.update_item(
                TableName=self._table,
                Key=sync_run_key(run.org_id, run.id),
                UpdateExpression="SET firstOpenPage = :page",
                ConditionExpression="attribute_exists(pk) "
                "AND (attribute_not_exists(firstOpenPage) OR firstOpenPage < :page)",
                ExpressionAttributeValues={":page": {"N": str(page)}},
            )
        except ClientError as error:
            if not condition_failed(error):  # another call raised it as far already
                raise

    def page(self, org_id: str, run_id: str, page: int) -> PageRecord | None:
        item = self.client.get_item(
            TableName=self._table, Key=sync_page_key(org_id, run_id, page), ConsistentRead=True
        ).get("Item")
        return _page_from_item(item) if item else None

    def claim_page(self, org_id: str, run_id: str, page: int, token: str, lease_seconds: float) -> PageRecord | None:
        now = time.time()
        try:
            response = self.client.update_item(
                TableName=self._table,
                Key=sync_page_key(org_id, run_id, page),
                UpdateExpression=(
                    "SET #page = :page, #state = :processing, claimToken = :token, leaseExpires = :lease, #ttl = :ttl"
                ),
                ConditionExpression="attribute_not_exists(pk) OR (#state <> :done AND leaseExpires < :now)",
                ExpressionAttributeNames={"#page": "page", "#state": "state", "#ttl": "ttl"},
                ExpressionAttributeValues={
                    ":page": {"N": str(page)},
                    ":processing": {"S": PageState.PROCESSING.value},
                    ":done": {"S": PageState.DONE.value},
                    ":token": {"S": token},
                    ":lease": to_attribute(round(now + lease_seconds, 3)),
                    ":now": to_attribute(round(now, 3)),
                    ":ttl": {"N": str(int(now) + RUN_TTL_SECONDS)},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if not condition_failed(error):
                raise
            item = self.client.get_item(
                TableName=self._table, Key=sync_page_key(org_id, run_id, page), ConsistentRead=True
            ).get("Item")
            record = _page_from_item(item) if item else None
            return record if record and record.state is PageState.DONE else None
        return _page_from_item(response["Attributes"])

    def fail_page(self, run: SyncRun, page: int, token: str, error: str, now: str) -> None:
        transaction = Transaction()
        transaction.add(
            "page",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": sync_page_key(run.org_id, run.id, page),
                    "UpdateExpression": "SET #state = :failed, lastError = :error, leaseExpires = :zero "
                    "REMOVE claimToken ADD attempts :one",
                    "ConditionExpression": "claimToken = :token",
                    "ExpressionAttributeNames": {"#state": "state"},
                    "ExpressionAttributeValues": {
                        ":failed": {"S": PageState.FAILED.value},
                        ":error": {"S": error[:500]},
                        ":zero": {"N": "0"},
                        ":one": {"N": "1"},
                        ":token": {"S": token},
                    },
                }
            },
        )
        transaction.add(
            "run",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": sync_run_key(run.org_id, run.id),
                    "UpdateExpression": "SET lastError = :error, updatedAt = :now",
                    "ConditionExpression": "#status = :running",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":error": {"S": f"Page {page}: {error}"[:500]},
                        ":now": {"S": now},
                        ":running": {"S": RunStatus.RUNNING.value},
                    },
                }
            },
        )
        try:
            transaction.write(self.client)
        except ClientError as failure:
            if not is_transaction_cancelled(failure):  # a lost claim or a finished run: nothing to record
                raise

    def release_page(self, run: SyncRun, page: int, token: str) -> None:
        try:
            self.client.update_item(
                TableName=self._table,
                Key=sync_page_key(run.org_id, run.id, page),
                UpdateExpression="SET leaseExpires = :zero REMOVE claimToken",
                ConditionExpression="claimToken = :token",
                ExpressionAttributeValues={":zero": {"N": "0"}, ":token": {"S": token}},
            )
        except ClientError as error:
            if not condition_failed(error):  # a lost claim: nothing to release
                raise

    def commit_page(self, run: SyncRun, token: str, result: PageResult, now: str) -> SyncRun | None:
        transaction = Transaction()
        transaction.add(
            "page",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": sync_page_key(run.org_id, run.id, result.page),
                    "UpdateExpression": "SET #state = :done, #result = :result, updatedAt = :now "
                    "REMOVE claimToken, leaseExpires",
                    "ConditionExpression": "claimToken = :token AND #state = :processing",
                    "ExpressionAttributeNames": {"#state": "state", "#result": "result"},
                    "ExpressionAttributeValues": {
                        ":done": {"S": PageState.DONE.value},
                        ":processing": {"S": PageState.PROCESSING.value},
                        ":result": to_attribute(result.to_dict()),
                        ":token": {"S": token},
                        ":now": {"S": now},
                    },
                }
            },
        )
        transaction.add(
            "run",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": sync_run_key(run.org_id, run.id),
                    "UpdateExpression": "SET updatedAt = :now REMOVE lastError "
                    "ADD processedPages :one, successCount :inserted, duplicateCount :duplicates, errorCount :errors",
                    # A page that was in flight when its run was cancelled still counts: its topics
                    # are in the library, and the counts must say so.
                    "ConditionExpression": "#status IN (:running, :cancelled)",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":now": {"S": now},
                        ":one": {"N": "1"},
                        ":inserted": {"N": str(result.inserted)},
                        ":duplicates": {"N": str(result.duplicates)},
                        ":errors": {"N": str(result.errors)},
                        ":running": {"S": RunStatus.RUNNING.value},
                        ":cancelled": {"S": RunStatus.CANCELLED.value},
                    },
                }
            },
        )
        try:
            transaction.write(self.client)
        except ClientError as error:
            if transaction.refused(error):  # the claim was lost (or the run ended): nothing was counted
                return None
            raise
        return self.get(run.org_id, run.id)

    def finish(self, run: SyncRun, status: RunStatus, now: str, **changes: object) -> SyncRun | None:
        values: dict[str, Any] = {"status": status.value, "updatedAt": now}
        values |= {_RUN_FIELDS[name]: value for name, value in changes.items() if value is not None}
        return self._finish(run, values)
