"""Scheduled syncs: EventBridge Scheduler asks for a connection's sync, which starts exactly as the API
starts one (``SyncService.start_run``) and is fanned out as one queue message per page.

A scheduled run acts as the **scheduler principal** of the connection's organisation: a caller with the
rights of an API key holding only the ``sync`` scope (``scheduler_caller``). It can never pass for a
signed-in session, so it cannot touch connections or credentials.

Retries of one scheduled invocation (Lambda retries asynchronous invocations that fail) carry the same
scheduled time, which is the run's idempotency key: they find the run the first attempt made and send
its unfinished pages again instead of starting a second run. Page messages are idempotent, so sending
one twice costs a little work and changes nothing.

A scheduled run that has made no progress for ``STALLED_RUN_SECONDS`` (its pages' messages were lost,
or it could not be fanned out) is failed by the next scheduled invocation, which then starts afresh.
Runs started through the API are left to their client.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from connections.domain.access import AuthType, Caller, Scope
from connections.domain.clock import utc_now
from connections.domain.deadline import Deadline
from connections.domain.errors import (
    CredentialsUnreadable,
    InvalidInput,
    NotFound,
    QuotaExceeded,
    SyncAlreadyRunning,
)
from connections.domain.idempotency import IdempotencyClaim
from connections.domain.identifiers import CONNECTION_PREFIX, is_valid_id
from connections.domain.open_pages import unfinished_pages
from connections.domain.outbound_errors import OutboundError
from connections.domain.sync_page_message import SyncPageMessage
from connections.domain.sync_run import RunStatus, SyncRun
from connections.domain.sync_service import SyncService
from connections.ports.connection_repository import ConnectionRepository
from connections.ports.sync_page_queue import SyncPageQueue
from connections.ports.sync_run_repository import SyncRunRepository

SCHEDULER_PRINCIPAL = "scheduler"
SCHEDULE_TRIGGER = "schedule"
SCHEDULED_SYNC_OPERATION = "scheduled_sync"
STALLED_RUN_SECONDS = 3600
_SCHEDULED_TIME = re.compile(r"^[0-9T:.+Z-]{10,40}$")


def scheduler_caller(org_id: str) -> Caller:
    """The principal scheduled runs act as: the rights of an API key with only the ``sync`` scope."""
    return Caller(org_id, SCHEDULER_PRINCIPAL, AuthType.API_KEY, frozenset({Scope.SYNC.value}))


class StartOutcome(StrEnum):
    STARTED = "started"  # a run is running (or finished at once) and its pages are queued
    SKIPPED = "skipped"  # nothing to do now: see the reason
    FAILED = "failed"  # the run could not start (the platform could not be counted); the next tick retries


@dataclass(frozen=True)
class ScheduledStart:
    """What one scheduled invocation did."""

    outcome: StartOutcome
    reason: str | None = None
    run: SyncRun | None = None
    pages_enqueued: int = 0
    resumed: bool = False
    replaced_run_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.outcome.value,
            "reason": self.reason,
            "runId": self.run.id if self.run else None,
            "runStatus": self.run.status.value if self.run else None,
            "totalPages": self.run.total_pages if self.run else None,
            "pagesEnqueued": self.pages_enqueued,
            "resumed": self.resumed,
            "replacedRunId": self.replaced_run_id,
        }


def _skipped(reason: str) -> ScheduledStart:
    return ScheduledStart(StartOutcome.SKIPPED, reason)


def scheduled_claim(connection_id: str, scheduled_time: str | None) -> IdempotencyClaim | None:
    """The idempotency claim of one scheduled invocation (None without a usable scheduled time)."""
    if not scheduled_time or not _SCHEDULED_TIME.match(scheduled_time):
        return None
    fingerprint = hashlib.sha256(connection_id.encode()).hexdigest()
    return IdempotencyClaim(SCHEDULED_SYNC_OPERATION, f"{connection_id}:{scheduled_time}", fingerprint)


class ScheduledSyncs:
    """Starts scheduled runs and queues their pages."""

    def __init__(
        self,
        sync: SyncService,
        connections: ConnectionRepository,
        runs: SyncRunRepository,
        queue: SyncPageQueue,
        clock: Callable[[], str] = utc_now,
        stalled_after_seconds: float = STALLED_RUN_SECONDS,
    ) -> None:
        self._sync = sync
        self._connections = connections
        self._runs = runs
        self._queue = queue
        self._clock = clock
        self._stalled_after = stalled_after_seconds

    def start(
        self, org_id: str, connection_id: str, deadline: Deadline, scheduled_time: str | None = None
    ) -> ScheduledStart:
        """Start the connection's scheduled run and queue one message per page (or say why not)."""
        connection = (
            self._connections.get(org_id, connection_id) if is_valid_id(connection_id, CONNECTION_PREFIX) else None
        )
        if connection is None:
            return _skipped("connection not found")
        if not connection.direction.pulls:
            return _skipped("connection is outbound; only inbound and bidirectional connections sync")
        if not connection.config.get("schedule"):
            return _skipped("connection has no schedule")
        claim = scheduled_claim(connection_id, scheduled_time)
        if claim is not None:
            replayed = self._runs.replay_of(org_id, claim)
            earlier = self._runs.get(org_id, replayed) if replayed else None
            if earlier is not None and earlier.status is not RunStatus.RUNNING:
                return ScheduledStart(
                    StartOutcome.SKIPPED, f"this occurrence already ran: run {earlier.id} is {earlier.status.value}"
                )
            if earlier is not None:
                return self._fan_out(earlier, resumed=True)
        replaced = None
        try:
            try:
                run = self._sync.start_run(scheduler_caller(org_id), connection_id, deadline, claim, SCHEDULE_TRIGGER)
            except SyncAlreadyRunning as running:
                replaced = self._fail_if_stalled(org_id, running.run_id)
                if replaced is None:
                    return _skipped(f"sync run {running.run_id} is already running")
                run = self._sync.start_run(scheduler_caller(org_id), connection_id, deadline, claim, SCHEDULE_TRIGGER)
        except SyncAlreadyRunning as running:
            return _skipped(f"sync run {running.run_id} is already running")
        except NotFound:
            return _skipped("connection not found")
        except InvalidInput as refused:
            return _skipped(refused.message)
        except (OutboundError, CredentialsUnreadable, QuotaExceeded) as failure:
            # No run was stored (a run over quota is refused before it starts); the next tick tries again.
            return ScheduledStart(StartOutcome.FAILED, failure.message, replaced_run_id=replaced)
        started = self._fan_out(run, resumed=False)
        return ScheduledStart(
            StartOutcome.STARTED, run=run, pages_enqueued=started.pages_enqueued, replaced_run_id=replaced
        )

    def _fan_out(self, run: SyncRun, resumed: bool) -> ScheduledStart:
        pages = self._pages_to_send(run, resumed)
        self._queue.enqueue([SyncPageMessage(run.org_id, run.connection_id, run.id, page) for page in pages])
        return ScheduledStart(StartOutcome.STARTED, run=run, pages_enqueued=len(pages), resumed=resumed)

    def _pages_to_send(self, run: SyncRun, resumed: bool) -> list[int]:
        """Every page of a new run; the unfinished pages of a run an earlier attempt started.

        Without a total, only the first page is known: each worker queues the page after a full one.
        """
        if run.status is not RunStatus.RUNNING:
            return []
        if not resumed:
            return list(range(1, (run.total_pages or 1) + 1))
        return list(unfinished_pages(self._runs, run))

    def _fail_if_stalled(self, org_id: str, run_id: str) -> str | None:
        """Fail a scheduled run that stopped making progress, so a new one can start; its id, or None."""
        run = self._runs.get(org_id, run_id)
        if run is None or run.status is not RunStatus.RUNNING or run.trigger != SCHEDULE_TRIGGER:
            return None
        idle = (datetime.fromisoformat(self._clock()) - datetime.fromisoformat(run.updated_at)).total_seconds()
        if idle < self._stalled_after:
            return None
        now = self._clock()
        minutes = int(idle // 60)
        message = f"Stalled: no page finished for {minutes} minutes; replaced by the next scheduled run"
        self._runs.finish(run, RunStatus.FAILED, now, last_error=message, completed_at=now)
        return run.id
