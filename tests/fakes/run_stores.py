"""In-memory SyncRunRepository and PushRepository keeping the rules of ``DynamoSyncRunRepository`` and
``DynamoPushRepository`` that the services rely on:

- one running run of each kind per connection, taken together with the run and its Idempotency-Key
  (``run_locks.start_locked_run``); freeing a lock its finished holder left behind is the services'
  rule (``run_lifecycle.ensure_idle``), through ``active_run_id`` and ``release_connection``;
- a sync page is claimed with a lease, re-offered once the lease has run out, committed (done, counts
  added to the run) only while the claim holds, and counted an attempt when it fails;
- a push activation is claimed with a lease, its outcome written only while the claim holds, and an
  attempt counted when its batch fails; a new run's ``put_activations`` writes it afresh;
- run updates are conditional on the run still running (a commit also on a cancelled one);
- deleting the connection cancels its running sync and push.

Leases are read from ``now`` (epoch seconds), so a test moves time instead of waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Generic, TypeVar

from connections.domain.activation import Activation, ActivationPage, ActivationQuery, ActivationStatus, PushRun
from connections.domain.clock import format_timestamp
from connections.domain.connection import Connection
from connections.domain.errors import Conflict, PushAlreadyRunning, SyncAlreadyRunning
from connections.domain.idempotency import IdempotencyClaim, IdempotentReplay
from connections.domain.sync_run import PageResult, RunStatus, SyncRun
from connections.ports.sync_run_repository import PageRecord, PageState
from tests.fakes.connection_store import InMemoryConnections, RunLock

if TYPE_CHECKING:
    from connections.ports.push_repository import PushRepository
    from connections.ports.sync_run_repository import SyncRunRepository

EpochClock = Callable[[], float]
# The run fields ``finish`` may change besides the status (the adapter's _RUN_FIELDS).
_FINISH_FIELDS = frozenset({"status", "total_items", "total_pages", "completed_at", "last_error"})
DELETED = "Connection was deleted"
RunT = TypeVar("RunT", SyncRun, PushRun)


class _LockedRuns(Generic[RunT]):
    """What both stores share: runs by id, the connection's lock and Idempotency-Keys, and cancelling
    the connection's running run when it is deleted."""

    def __init__(self, connections: InMemoryConnections, lock: RunLock, now: EpochClock) -> None:
        self._connections = connections
        self._lock = lock
        self._now = now
        self._runs: dict[tuple[str, str], RunT] = {}
        connections.cancel_runs_on_delete(self._cancel_for_deleted)

    def get(self, org_id: str, run_id: str) -> RunT | None:
        return self._runs.get((org_id, run_id))

    def replay_of(self, org_id: str, idempotency: IdempotencyClaim) -> str | None:
        return self._connections.idempotency.replay_of_same_request(org_id, idempotency)

    def active_run_id(self, org_id: str, connection_id: str) -> str | None:
        return self._connections.lock_holder(org_id, connection_id, self._lock)

    def release_connection(self, org_id: str, connection_id: str, run_id: str) -> None:
        self._release(org_id, connection_id, run_id)

    def _take(
        self,
        org_id: str,
        connection_id: str,
        run_id: str,
        idempotency: IdempotencyClaim | None,
        already_running: Callable[[str], Conflict],
    ) -> None:
        """Check the key and take the lock as one step (nothing is written when either fails)."""
        if idempotency is not None:
            replayed = self.replay_of(org_id, idempotency)
            if replayed:
                raise IdempotentReplay(replayed, idempotency.fingerprint)  # same request: checked above
        holder = self._connections.take_lock(org_id, connection_id, self._lock, run_id)
        if holder:
            raise already_running(holder)
        self._connections.idempotency.record(org_id, idempotency, run_id)

    def _release(self, org_id: str, connection_id: str, run_id: str) -> None:
        self._connections.release_lock(org_id, connection_id, self._lock, run_id)

    def _timestamp(self) -> str:
        return format_timestamp(datetime.fromtimestamp(self._now(), UTC))

    def _cancel_for_deleted(self, connection: Connection) -> None:
        run_id = getattr(connection, self._lock.value)
        current = self._runs.get((connection.org_id, run_id)) if run_id else None
        if current is not None and current.status is RunStatus.RUNNING:
            now = self._timestamp()
            self._runs[(connection.org_id, run_id)] = current.changed(
                status=RunStatus.CANCELLED, updated_at=now, completed_at=now, last_error=DELETED
            )


# -- sync runs --------------------------------------------------------------------------------------


@dataclass
class _StoredPage:
    record: PageRecord
    token: str | None = None


class InMemorySyncRuns(_LockedRuns[SyncRun]):
    def __init__(self, connections: InMemoryConnections, now: EpochClock = time.time) -> None:
        super().__init__(connections, RunLock.SYNC, now)
        self._pages: dict[tuple[str, str], dict[int, _StoredPage]] = {}

    def start(self, run: SyncRun, idempotency: IdempotencyClaim | None) -> None:
        assert (run.org_id, run.id) not in self._runs, "run ids are new ids"
        self._take(run.org_id, run.connection_id, run.id, idempotency, SyncAlreadyRunning)
        self._runs[(run.org_id, run.id)] = run

    def pages(self, org_id: str, run_id: str) -> dict[int, PageRecord]:
        return {number: stored.record for number, stored in self._pages.get((org_id, run_id), {}).items()}

    def pages_from(self, org_id: str, run_id: str, first: int, limit: int) -> list[PageRecord]:
        pages = self._pages.get((org_id, run_id), {})
        return [pages[number].record for number in sorted(pages) if number >= first][:limit]

    def raise_open_mark(self, run: SyncRun, page: int) -> None:
        current = self._runs.get((run.org_id, run.id))
        if current is not None and current.first_open_page < page:
            self._runs[(run.org_id, run.id)] = current.changed(first_open_page=page)

    def page(self, org_id: str, run_id: str, page: int) -> PageRecord | None:
        stored = self._pages.get((org_id, run_id), {}).get(page)
        return stored.record if stored else None

    def claim_page(self, org_id: str, run_id: str, page: int, token: str, lease_seconds: float) -> PageRecord | None:
        now = self._now()
        pages = self._pages.setdefault((org_id, run_id), {})
        stored = pages.get(page)
        if stored is None or (stored.record.state is not PageState.DONE and stored.record.lease_expires < now):
            record = stored.record if stored else PageRecord(page, PageState.PROCESSING)
            pages[page] = _StoredPage(
                replace(record, state=PageState.PROCESSING, lease_expires=now + lease_seconds), token
            )
            return pages[page].record
        return stored.record if stored.record.state is PageState.DONE else None

    def fail_page(self, run: SyncRun, page: int, token: str, error: str, now: str) -> None:
        stored = self._pages.get((run.org_id, run.id), {}).get(page)
        current = self._runs.get((run.org_id, run.id))
        if stored is None or stored.token != token or current is None or current.status is not RunStatus.RUNNING:
            return  # a lost claim or a finished run: the transaction writes nothing
        stored.record = replace(
            stored.record, state=PageState.FAILED, lease_expires=0.0, attempts=stored.record.attempts + 1
        )
        stored.token = None
        self._runs[(run.org_id, run.id)] = current.changed(last_error=f"Page {page}: {error}"[:500], updated_at=now)

    def release_page(self, run: SyncRun, page: int, token: str) -> None:
        stored = self._pages.get((run.org_id, run.id), {}).get(page)
        if stored is not None and stored.token == token:
            stored.record = replace(stored.record, lease_expires=0.0)
            stored.token = None

    def commit_page(self, run: SyncRun, token: str, result: PageResult, now: str) -> SyncRun | None:
        stored = self._pages.get((run.org_id, run.id), {}).get(result.page)
        current = self._runs.get((run.org_id, run.id))
        if (
            stored is None
            or stored.token != token
            or stored.record.state is not PageState.PROCESSING
            or current is None
            # A page in flight when its run was cancelled still counts: its topics are in the library.
            or current.status not in (RunStatus.RUNNING, RunStatus.CANCELLED)
        ):
            return None
        stored.record = replace(stored.record, state=PageState.DONE, lease_expires=0.0, result=result)
        stored.token = None
        updated = current.changed(
            updated_at=now,
            last_error=None,
            processed_pages=current.processed_pages + 1,
            success_count=current.success_count + result.inserted,
            duplicate_count=current.duplicate_count + result.duplicates,
            error_count=current.error_count + result.errors,
        )
        self._runs[(run.org_id, run.id)] = updated
        return updated

    def finish(self, run: SyncRun, status: RunStatus, now: str, **changes: object) -> SyncRun | None:
        unknown = set(changes) - _FINISH_FIELDS
        assert not unknown, f"finish cannot change {unknown}"
        current = self._runs.get((run.org_id, run.id))
        if current is None or current.status is not RunStatus.RUNNING:
            return None
        given = {name: value for name, value in changes.items() if value is not None}
        finished = current.changed(status=status, updated_at=now, **given)
        self._runs[(run.org_id, run.id)] = finished
        self._release(run.org_id, run.connection_id, run.id)
        return finished


# -- push runs --------------------------------------------------------------------------------------


@dataclass
class _StoredActivation:
    activation: Activation
    token: str | None = None
    lease_expires: float = 0.0
    attempts: int = 0

    def view(self) -> Activation:
        return self.activation.changed(claimed_until=self.lease_expires if self.token else 0.0)

    def claimable(self, run_id: str, now: float, include_claimed: bool = False) -> bool:
        pending = self.activation.run_id == run_id and self.activation.status is ActivationStatus.PENDING
        return pending and (include_claimed or self.token is None or self.lease_expires < now)


class InMemoryPushRuns(_LockedRuns[PushRun]):
    def __init__(self, connections: InMemoryConnections, now: EpochClock = time.time) -> None:
        super().__init__(connections, RunLock.PUSH, now)
        # By organisation, then (connection, topic): the adapter's ACT#<connection>#<topic> sort order.
        self._activations: dict[str, dict[tuple[str, str], _StoredActivation]] = {}

    # -- runs ---------------------------------------------------------------------------------------

    def start(self, run: PushRun, idempotency: IdempotencyClaim | None) -> None:
        assert (run.org_id, run.id) not in self._runs, "run ids are new ids"
        self._take(run.org_id, run.connection_id, run.id, idempotency, PushAlreadyRunning)
        self._runs[(run.org_id, run.id)] = run

    def add_batch(self, run: PushRun, succeeded: int, failed: int, now: str) -> PushRun | None:
        return self._update_running(
            run,
            lambda current: current.changed(
                updated_at=now,
                last_error=None,
                processed_batches=current.processed_batches + 1,
                success_count=current.success_count + succeeded,
                error_count=current.error_count + failed,
            ),
        )

    def note_error(self, run: PushRun, error: str, now: str) -> PushRun | None:
        return self._update_running(run, lambda current: current.changed(last_error=error[:500], updated_at=now))

    def finish(self, run: PushRun, status: RunStatus, now: str, last_error: str | None = None) -> PushRun | None:
        errors = {"last_error": last_error[:500]} if last_error is not None else {}
        finished = self._update_running(
            run, lambda current: current.changed(status=status, updated_at=now, completed_at=now, **errors)
        )
        if finished is not None:
            self._release(run.org_id, run.connection_id, run.id)
        return finished

    def _update_running(self, run: PushRun, change: Callable[[PushRun], PushRun]) -> PushRun | None:
        current = self._runs.get((run.org_id, run.id))
        if current is None or current.status is not RunStatus.RUNNING:
            return None
        self._runs[(run.org_id, run.id)] = change(current)
        return self._runs[(run.org_id, run.id)]

    # -- activations --------------------------------------------------------------------------------

    def activations_for(self, org_id: str, connection_id: str, topic_ids: Sequence[str]) -> dict[str, Activation]:
        stored = self._activations.get(org_id, {})
        return {
            topic_id: stored[(connection_id, topic_id)].view()
            for topic_id in dict.fromkeys(topic_ids)
            if (connection_id, topic_id) in stored
        }

    def put_activations(self, activations: Sequence[Activation]) -> None:
        for activation in activations:
            # A put replaces the whole item: no claim, no attempts.
            self._activations.setdefault(activation.org_id, {})[(activation.connection_id, activation.topic_id)] = (
                _StoredActivation(activation.changed(claimed_until=0.0))
            )

    def pending_for_run(
        self, run: PushRun, limit: int, now_epoch: float, *, include_claimed: bool = False
    ) -> list[Activation]:
        return [
            stored.view()
            for stored in self._of_connection(run.org_id, run.connection_id)
            if stored.claimable(run.id, now_epoch, include_claimed)
        ][:limit]

    def claim(self, activation: Activation, run_id: str, token: str, lease_seconds: float) -> bool:
        now = self._now()
        stored = self._stored(activation)
        if stored is None or not stored.claimable(run_id, now):
            return False
        stored.token, stored.lease_expires = token, now + lease_seconds
        return True

    def record_outcome(self, activation: Activation, token: str) -> bool:
        stored = self._stored(activation)
        if stored is None or stored.token != token:
            return False
        stored.activation = activation.changed(claimed_until=0.0)
        stored.token, stored.lease_expires = None, 0.0
        return True

    def release(self, activation: Activation, token: str, error: str | None) -> int | None:
        stored = self._stored(activation)
        if stored is None or stored.token != token:
            return None
        stored.token, stored.lease_expires = None, 0.0
        if error is not None:
            stored.activation = stored.activation.changed(last_error=error[:500])
            stored.attempts += 1
        return stored.attempts

    def list_activations(self, org_id: str, connection_id: str | None = None) -> list[Activation]:
        """Every activation of the organisation (of one connection), for tests to inspect."""
        stored = self._activations.get(org_id, {})
        return [stored[key].view() for key in sorted(stored) if connection_id is None or key[0] == connection_id]

    def list_page(self, org_id: str, query: ActivationQuery) -> ActivationPage:
        # Newest first by id, as the adapter's indexes; the fake reads whole lists and applies no budget.
        matching = sorted(
            (
                activation
                for activation in self.list_activations(org_id, query.connection_id)
                if (query.platform is None or activation.platform == query.platform)
                and (query.status is None or activation.status is query.status)
                and (not query.pushed_only or activation.pushed_name is not None)
                and (query.after is None or activation.id < query.after)
            ),
            key=lambda activation: activation.id,
            reverse=True,
        )
        page = matching[query.skip : query.skip + query.limit]
        more = len(matching) > query.skip + query.limit
        return ActivationPage(page, page[-1].id if more and page else None, len(matching))

    def push_attempts(self, activation: Activation) -> int:
        """The failed batches counted on the activation (the adapter's ``pushAttempts``)."""
        stored = self._stored(activation)
        return stored.attempts if stored else 0

    def _stored(self, activation: Activation) -> _StoredActivation | None:
        return self._activations.get(activation.org_id, {}).get((activation.connection_id, activation.topic_id))

    def _of_connection(self, org_id: str, connection_id: str) -> list[_StoredActivation]:
        stored = self._activations.get(org_id, {})
        return [stored[key] for key in sorted(stored) if key[0] == connection_id]


if TYPE_CHECKING:
    _connections = InMemoryConnections()
    _sync_runs: SyncRunRepository = InMemorySyncRuns(_connections)
    _push_runs: PushRepository = InMemoryPushRuns(_connections)
