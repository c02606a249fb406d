"""What sync and push runs share: finding a run of a connection, one running run per connection (and
freeing a lock its holder left behind), Idempotency-Key replays, and cancelling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from connections.domain.activation import PushRun
from connections.domain.connection import Connection
from connections.domain.errors import Conflict, NotFound
from connections.domain.idempotency import IdempotencyClaim, IdempotentReplay, ensure_same_request
from connections.domain.identifiers import CONNECTION_PREFIX, RUN_PREFIX, is_valid_id
from connections.domain.sync_run import RunStatus, SyncRun
from connections.ports.connection_repository import ConnectionRepository

RunT = TypeVar("RunT", SyncRun, PushRun)


class RunStore(Protocol[RunT]):
    """The part of a run repository (SyncRunRepository, PushRepository) that the lifecycle uses."""

    def get(self, org_id: str, run_id: str) -> RunT | None: ...

    def start(self, run: RunT, idempotency: IdempotencyClaim | None) -> None: ...

    def replay_of(self, org_id: str, idempotency: IdempotencyClaim) -> str | None: ...

    def active_run_id(self, org_id: str, connection_id: str) -> str | None: ...

    def release_connection(self, org_id: str, connection_id: str, run_id: str) -> None: ...


class RunEnded(Conflict):
    """More work was asked of a run that is no longer running (409). ``ended_now`` is the run when the
    same call ended it (it found every page done but the run still open)."""

    def __init__(self, message: str, ended_now: SyncRun | None = None) -> None:
        super().__init__(message)
        self.ended_now = ended_now


def connection_of_org(connections: ConnectionRepository, org_id: str, connection_id: str) -> Connection:
    """The organisation's connection ``connection_id``; NotFound for an unknown or malformed id."""
    connection = connections.get(org_id, connection_id) if is_valid_id(connection_id, CONNECTION_PREFIX) else None
    if connection is None:
        raise NotFound("Connection not found")
    return connection


class RunLifecycle(Generic[RunT]):
    """The run rules both services share, over their run store; ``kind`` ("Sync", "Push") names the
    runs in messages and ``already_running`` is the 409 for a connection another run holds."""

    def __init__(self, runs: RunStore[RunT], kind: str, already_running: Callable[[str], Conflict]) -> None:
        self._runs: RunStore[RunT] = runs
        self._kind = kind
        self._already_running = already_running

    def get(self, org_id: str, connection_id: str, run_id: str) -> RunT:
        """The connection's run ``run_id``; NotFound for an unknown run, or one of another connection."""
        run = self._runs.get(org_id, run_id) if is_valid_id(run_id, RUN_PREFIX) else None
        if run is None or run.connection_id != connection_id:
            raise NotFound(f"{self._kind} run not found")
        return run

    def latest(self, run: RunT) -> RunT:
        """The run as stored now (``run`` itself if it is gone)."""
        return self._runs.get(run.org_id, run.id) or run

    def ensure_running(self, run: RunT, refused: str, ended_now: SyncRun | None = None) -> None:
        """RunEnded unless ``run`` is running; ``refused`` says what cannot be done any more."""
        if run.status is not RunStatus.RUNNING:
            raise RunEnded(f"{self._kind} run is {run.status.value}; {refused}", ended_now)

    def ensure_idle(self, org_id: str, connection_id: str) -> None:
        """The connection's lock rule: 409 while another run is running; a lock held by a run that
        ended without releasing it (a crash between its end and the release), or that is gone, is freed."""
        active = self._runs.active_run_id(org_id, connection_id)
        if not active:
            return
        holder = self._runs.get(org_id, active)
        if holder is not None and holder.status is RunStatus.RUNNING:
            raise self._already_running(active)
        self._runs.release_connection(org_id, connection_id, active)

    def earlier_run(self, org_id: str, claim: IdempotencyClaim | None) -> RunT | None:
        """The run an earlier request with this Idempotency-Key started, if any (checked before work
        starts); 409 when that request was a different one."""
        if claim is None:
            return None
        replayed = self._runs.replay_of(org_id, claim)
        return self._replayed(org_id, claim, IdempotentReplay(replayed, claim.fingerprint)) if replayed else None

    def start(self, run: RunT, claim: IdempotencyClaim | None) -> RunT:
        """Store ``run`` holding its connection: ``run`` itself, or the run of an earlier request with
        the same Idempotency-Key that got there first."""
        try:
            self._runs.start(run, claim)
        except IdempotentReplay as replay:
            assert claim is not None  # only a start with a key is a replay
            return self._replayed(run.org_id, claim, replay)
        return run

    def cancel(self, org_id: str, connection_id: str, run_id: str, close: Callable[[RunT], RunT | None]) -> RunT:
        """Cancel a running run through ``close`` (the store's finish); cancelling a cancelled run
        answers it again, and any other ended run is a 409."""
        run = self.get(org_id, connection_id, run_id)
        if run.status is not RunStatus.CANCELLED:
            if run.status is not RunStatus.RUNNING:
                raise Conflict(f"{self._kind} run is already {run.status.value}")
            cancelled = close(run)
            if cancelled is not None:
                return cancelled
            run = self.get(org_id, connection_id, run_id)  # it ended meanwhile
            if run.status is not RunStatus.CANCELLED:
                raise Conflict(f"{self._kind} run is already {run.status.value}")
        return run

    def _replayed(self, org_id: str, claim: IdempotencyClaim, replay: IdempotentReplay) -> RunT:
        run = self._runs.get(org_id, ensure_same_request(claim, replay))
        if run is None:  # expired: like a create whose connection was deleted (connection_service._replayed)
            raise Conflict(
                f"The {self._kind.lower()} run started with this Idempotency-Key no longer exists;"
                " use a new Idempotency-Key"
            )
        return run
