"""An in-memory ConnectionRepository keeping the rules ``DynamoConnectionRepository`` keeps: the
per-organisation limit counted with the write, the Idempotency-Key recorded with the create (nothing
written on a replay), conditional version checks, and a delete that frees the slot and cancels the
connection's running sync and push.

It also holds what the adapters keep on the connection item for the run stores (``run_stores.py``):
the one-running-run locks ``activeSyncRunId`` and ``activePushRunId``, and the Idempotency-Keys, which
live in the same table.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING

from connections.domain.connection import Connection
from connections.domain.errors import ConcurrentModification, ConnectionLimitReached, NotFound
from connections.domain.idempotency import IdempotencyClaim
from connections.domain.platforms import ConnectionStatus
from tests.fakes.idempotency_records import IdempotencyRecords

if TYPE_CHECKING:
    from connections.ports.connection_repository import ConnectionRepository


class RunLock(StrEnum):
    """The connection attribute that names its running run of each kind."""

    SYNC = "active_sync_run_id"
    PUSH = "active_push_run_id"


# Called with a connection being deleted, to cancel the running run it names (like ``_cancel_run``).
RunCanceller = Callable[[Connection], None]


class InMemoryConnections:
    def __init__(self, idempotency: IdempotencyRecords | None = None) -> None:
        self.idempotency = idempotency or IdempotencyRecords()
        self._records: dict[tuple[str, str], Connection] = {}
        self._ciphertexts: dict[tuple[str, str], bytes] = {}
        self._counts: dict[str, int] = {}
        self._cancellers: list[RunCanceller] = []

    # -- ConnectionRepository -----------------------------------------------------------------------

    def list_for_org(self, org_id: str) -> list[Connection]:
        found = [record for (org, _), record in self._records.items() if org == org_id]
        return sorted(found, key=lambda connection: connection.created_at)

    def get(self, org_id: str, connection_id: str) -> Connection | None:
        return self._records.get((org_id, connection_id))

    def create(
        self,
        connection: Connection,
        encrypted_credentials: bytes | None,
        max_per_org: int,
        idempotency: IdempotencyClaim | None = None,
    ) -> None:
        # One transaction in DynamoDB: the key is checked first, then the counter, then the put.
        self.idempotency.ensure_unused(connection.org_id, idempotency)
        if self._counts.get(connection.org_id, 0) >= max_per_org:
            raise ConnectionLimitReached(
                f"Connection limit reached: an organisation can have at most {max_per_org} connections"
            )
        key = (connection.org_id, connection.id)
        assert key not in self._records, "connection ids are new ids"
        self._counts[connection.org_id] = self._counts.get(connection.org_id, 0) + 1
        # Locks are never written by a create (stored_attributes does not hold them).
        self._records[key] = connection.changed(active_sync_run_id=None, active_push_run_id=None)
        if encrypted_credentials is not None:
            self._ciphertexts[key] = encrypted_credentials
        self.idempotency.record(connection.org_id, idempotency, connection.id)

    def replace(self, connection: Connection, expected_version: int, encrypted_credentials: bytes | None) -> None:
        key = (connection.org_id, connection.id)
        stored = self._records.get(key)
        if stored is None:
            raise NotFound("Connection not found")
        if stored.version != expected_version:
            raise ConcurrentModification("The connection was changed by another request; retry")
        # The locks are not among the attributes a replace writes: whatever holds them keeps them.
        self._records[key] = connection.changed(
            active_sync_run_id=stored.active_sync_run_id, active_push_run_id=stored.active_push_run_id
        )
        if encrypted_credentials is not None:
            self._ciphertexts[key] = encrypted_credentials

    def record_test_result(
        self, connection: Connection, tested_at: str, status: ConnectionStatus, error: str | None
    ) -> None:
        key = (connection.org_id, connection.id)
        stored = self._records.get(key)
        if stored is None:  # deleted meanwhile: left deleted
            return
        self._records[key] = stored.changed(
            last_tested_at=tested_at, updated_at=tested_at, status=status, last_error=error[:500] if error else None
        )

    def delete(self, connection: Connection) -> None:
        key = (connection.org_id, connection.id)
        if key not in self._records or self._counts.get(connection.org_id, 0) <= 0:
            raise NotFound("Connection not found")
        del self._records[key]
        self._ciphertexts.pop(key, None)
        self._counts[connection.org_id] -= 1
        # Like the adapter, the runs named by the record the caller read are the ones cancelled.
        for cancel in self._cancellers:
            cancel(connection)

    def get_encrypted_credentials(self, org_id: str, connection_id: str) -> bytes | None:
        return self._ciphertexts.get((org_id, connection_id))

    # -- what the adapter offers tests and operators ------------------------------------------------

    def connection_count(self, org_id: str) -> int:
        return self._counts.get(org_id, 0)

    # -- the run locks (run_locks.py in the adapters) -----------------------------------------------

    def lock_holder(self, org_id: str, connection_id: str, lock: RunLock) -> str | None:
        stored = self._records.get((org_id, connection_id))
        return getattr(stored, lock.value) if stored else None

    def take_lock(self, org_id: str, connection_id: str, lock: RunLock, run_id: str) -> str | None:
        """Take the lock for ``run_id``; the run holding it instead, if any (NotFound: no connection)."""
        stored = self._records.get((org_id, connection_id))
        if stored is None:
            raise NotFound("Connection not found")
        holder: str | None = getattr(stored, lock.value)
        if holder:
            return holder
        self._records[(org_id, connection_id)] = stored.changed(**{lock.value: run_id})
        return None

    def release_lock(self, org_id: str, connection_id: str, lock: RunLock, run_id: str) -> None:
        """Free the lock if ``run_id`` still holds it."""
        stored = self._records.get((org_id, connection_id))
        if stored is not None and getattr(stored, lock.value) == run_id:
            self._records[(org_id, connection_id)] = stored.changed(**{lock.value: None})

    def cancel_runs_on_delete(self, cancel: RunCanceller) -> None:
        self._cancellers.append(cancel)


if TYPE_CHECKING:
    _: ConnectionRepository = InMemoryConnections()
