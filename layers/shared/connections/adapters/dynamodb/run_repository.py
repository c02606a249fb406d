"""The base of the sync and push run repositories: a run item under the organisation, the connection's
lock attribute as the one-running-run lock (run_locks), Idempotency-Keys, and conditional updates of
a running run. Which lock a holder may lose is the domain's rule (run_lifecycle.ensure_idle)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Generic, TypeVar

from botocore.exceptions import ClientError

from connections.adapters.dynamodb.item_codec import to_attribute, to_item
from connections.adapters.dynamodb.keys import (
    RUNS_BY_CONNECTION_INDEX,
    RUNS_BY_CONNECTION_KEY,
    Key,
    connection_runs_partition,
)
from connections.adapters.dynamodb.run_locks import lock_holder, release_lock, replay_of, start_locked_run
from connections.adapters.dynamodb.sharded_listing import read_newest_first
from connections.adapters.dynamodb.table_client import TableRepository, condition_failed
from connections.domain.activation import PushRun
from connections.domain.errors import Conflict
from connections.domain.idempotency import IdempotencyClaim
from connections.domain.identifiers import RUN_PREFIX
from connections.domain.sync_run import RunStatus, SyncRun

RunT = TypeVar("RunT", SyncRun, PushRun)
# Runs a history read with a status filter examines before it answers.
HISTORY_FILTER_BUDGET = 500


class RunRepository(TableRepository, Generic[RunT]):
    """What both run repositories share; subclasses name their lock and key and read their items."""

    LOCK: ClassVar[str]
    KIND: ClassVar[str]  # SYNCRUN or PUSHRUN: the run history's partition

    def _run_key(self, org_id: str, run_id: str) -> Key:
        raise NotImplementedError

    def _run_from_item(self, item: dict[str, Any]) -> RunT:
        raise NotImplementedError

    def get(self, org_id: str, run_id: str) -> RunT | None:
        item = self.client.get_item(TableName=self._table, Key=self._run_key(org_id, run_id), ConsistentRead=True)
        return self._run_from_item(item["Item"]) if "Item" in item else None

    def replay_of(self, org_id: str, idempotency: IdempotencyClaim) -> str | None:
        return replay_of(self.client, self._table, org_id, idempotency)

    def active_run_id(self, org_id: str, connection_id: str) -> str | None:
        return lock_holder(self.client, self._table, org_id, connection_id, self.LOCK)

    def release_connection(self, org_id: str, connection_id: str, run_id: str) -> None:
        """Free the connection for the next run, if ``run_id`` still holds it."""
        release_lock(self.client, self._table, org_id, connection_id, self.LOCK, run_id)

    def _store_running(
        self,
        run: RunT,
        record: dict[str, Any],
        idempotency: IdempotencyClaim | None,
        already_running: Callable[[str], Conflict],
    ) -> None:
        """Store the run's ``record`` and take the connection's lock (and the key) in one transaction."""
        start_locked_run(
            self.client,
            self._table,
            org_id=run.org_id,
            connection_id=run.connection_id,
            lock=self.LOCK,
            run_item=self._run_key(run.org_id, run.id)
            | to_item(
                record | {RUNS_BY_CONNECTION_KEY: connection_runs_partition(run.org_id, run.connection_id, self.KIND)}
            ),
            run_id=run.id,
            idempotency=idempotency,
            already_running=already_running,
        )

    def history(
        self,
        org_id: str,
        connection_id: str,
        *,
        status: RunStatus | None = None,
        after: str | None = None,
        limit: int = 25,
    ) -> tuple[list[RunT], str | None]:
        """A connection's runs newest first, below run id ``after``; and the run id the next page starts
        below (None: no more). With ``status``, a filter that examines at most ``HISTORY_FILTER_BUDGET``
        runs a call, so a page may come back short with a position to go on."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": RUNS_BY_CONNECTION_INDEX,
            "KeyConditionExpression": "#pk = :pk AND #sort BETWEEN :low AND :high",
            "ExpressionAttributeNames": {"#pk": RUNS_BY_CONNECTION_KEY, "#sort": "id"},
            "ExpressionAttributeValues": {":pk": {"S": connection_runs_partition(org_id, connection_id, self.KIND)}},
        }
        if status is not None:
            request["FilterExpression"] = "#status = :status"
            request["ExpressionAttributeNames"]["#status"] = "status"
            request["ExpressionAttributeValues"][":status"] = {"S": status.value}
        merged = read_newest_first(
            self.client,
            [request],
            wanted=limit,
            budget=HISTORY_FILTER_BUDGET if status is not None else None,
            after=after,
            sort_prefix=RUN_PREFIX,
            sort_key="id",
        )
        return [self._run_from_item(item) for item in merged.items], merged.resume_after

    def _update_running(
        self,
        run: RunT,
        values: dict[str, Any],
        *,
        added: dict[str, int] | None = None,
        removed: Iterable[str] = (),
    ) -> RunT | None:
        """Set ``values``, add ``added`` and remove ``removed`` attributes of a run that is still
        running; the run as written, or None when it was no longer running."""
        added = added or {}
        removed = list(removed)
        names = {f"#s{position}": name for position, name in enumerate(values)}
        names |= {f"#a{position}": name for position, name in enumerate(added)}
        names |= {f"#r{position}": name for position, name in enumerate(removed)}
        attributes = {f":s{position}": to_attribute(value) for position, value in enumerate(values.values())}
        attributes |= {f":a{position}": {"N": str(value)} for position, value in enumerate(added.values())}
        expression = "SET " + ", ".join(f"#s{position} = :s{position}" for position in range(len(values)))
        if removed:
            expression += " REMOVE " + ", ".join(f"#r{position}" for position in range(len(removed)))
        if added:
            expression += " ADD " + ", ".join(f"#a{position} :a{position}" for position in range(len(added)))
        try:
            response = self.client.update_item(
                TableName=self._table,
                Key=self._run_key(run.org_id, run.id),
                UpdateExpression=expression,
                ConditionExpression="#status = :running",
                ExpressionAttributeNames=names | {"#status": "status"},
                ExpressionAttributeValues=attributes | {":running": {"S": RunStatus.RUNNING.value}},
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if condition_failed(error):
                return None
            raise
        return self._run_from_item(response["Attributes"])

    def _finish(self, run: RunT, values: dict[str, Any]) -> RunT | None:
        """Close a running run with ``values`` (its status among them) and free its connection."""
        finished = self._update_running(run, values)
        if finished is not None:
            self.release_connection(run.org_id, run.connection_id, run.id)
        return finished
