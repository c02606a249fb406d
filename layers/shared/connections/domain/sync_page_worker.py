"""The page worker of scheduled syncs: one queue message, one page, through ``SyncService.process_page``
(the function behind the page endpoint), so claims, idempotency and counting are the same.

What a delivery can end in:
- the page is processed now, or was processed before (a duplicate delivery changes nothing);
- the message is dropped: its run is over (completed, cancelled, failed) or gone;
- the run fails at once: the organisation's monthly classification quota cannot pay for the page
  (a retry cannot succeed before the month ends; the run's lastError says so);
- the message must be delivered again (``retry``): the page failed (the platform, or anything else:
  ``process_page`` releases the page and counts the attempt) and the run is still running, or another
  call holds the page. The queue redelivers it after its visibility timeout and
  moves it to the dead-letter queue after ``MAX_PAGE_ATTEMPTS`` deliveries. A failed page sets the
  run's ``lastError``; the page that fails its last delivery fails the run, so a run never waits
  for a page that will not come.

Without a total count, a worker that processes a full page queues the next one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from connections.domain.clock import SYSTEM_CLOCK, Clock
from connections.domain.deadline import Deadline
from connections.domain.errors import Conflict, DomainError, InvalidInput, NotFound, QuotaExceeded
from connections.domain.run_lifecycle import RunEnded
from connections.domain.scheduled_sync import scheduler_caller
from connections.domain.sync_page_message import SyncPageMessage
from connections.domain.sync_run import PageResult, RunStatus, SyncRun
from connections.domain.sync_service import MAX_PAGE_ATTEMPTS, SyncService
from connections.ports.sync_page_queue import SyncPageQueue
from connections.ports.sync_run_repository import SyncRunRepository


@dataclass(frozen=True)
class PageWork:
    """What one delivery of a page message did."""

    message: SyncPageMessage
    retry: bool = False  # deliver the message again later
    busy: bool = False  # another call holds the page: retried, but never a reason to give up
    reason: str | None = None  # why it is retried or dropped
    result: PageResult | None = None  # the page's result, processed now or before
    processed_now: bool = False  # this delivery committed the page and its counts
    run: SyncRun | None = None  # the run as this delivery left it
    finished_run: SyncRun | None = None  # the run, when this delivery ended it
    next_page_enqueued: bool = False


class SyncPageWorker:
    """Processes page messages through ``sync`` (whose run repository ``runs`` is)."""

    def __init__(
        self,
        sync: SyncService,
        runs: SyncRunRepository,
        queue: SyncPageQueue,
        clock: Clock = SYSTEM_CLOCK,
        max_deliveries: int = MAX_PAGE_ATTEMPTS,
    ) -> None:
        self._sync = sync
        self._runs = runs
        self._queue = queue
        self._clock = clock
        self._max_deliveries = max_deliveries

    def process(self, message: SyncPageMessage, deadline: Deadline, delivery: int) -> PageWork:
        """Process one delivery (``delivery`` counts from 1) of a page message."""
        try:
            work = self._process(message, deadline)
        except Exception:
            if delivery >= self._max_deliveries:
                self._give_up(message, "the page could not be processed")
            raise
        if work.retry and not work.busy and delivery >= self._max_deliveries:
            finished = self._give_up(message, work.reason or "the page could not be processed")
            if finished is not None:
                return replace(work, run=finished, finished_run=finished)
        return work

    def _process(self, message: SyncPageMessage, deadline: Deadline) -> PageWork:
        caller = scheduler_caller(message.org_id)
        try:
            outcome = self._sync.process_page(caller, message.connection_id, message.run_id, message.page, deadline)
        except NotFound:
            return PageWork(message, reason="sync run not found")
        except InvalidInput as refused:
            return PageWork(message, reason=refused.message)
        except Conflict as conflict:
            run = self._runs.get(message.org_id, message.run_id)
            if run is None or run.status is not RunStatus.RUNNING:
                status = run.status.value if run else "gone"
                ended_now = conflict.ended_now if isinstance(conflict, RunEnded) else None
                return PageWork(message, reason=f"sync run is {status}", run=run, finished_run=ended_now)
            return PageWork(message, retry=True, busy=True, reason=conflict.message, run=run)
        except QuotaExceeded as exhausted:
            # Retrying cannot help before the month ends: the run fails now, with the quota's message.
            error = f"Page {message.page} was not processed: {exhausted.message}"
            return PageWork(message, reason=exhausted.message, finished_run=self._fail_run(message, error))
        except DomainError as failure:  # e.g. credentials that cannot be read: worth a later attempt
            return PageWork(message, retry=True, reason=failure.message)
        if outcome.error or outcome.result is None:
            return PageWork(
                message,
                retry=True,
                reason=outcome.error or "the page produced no result",
                run=outcome.run,
                finished_run=outcome.run if outcome.ended else None,
            )
        enqueued = self._continue_without_total(outcome.run, outcome.result, message, outcome.committed)
        return PageWork(
            message,
            result=outcome.result,
            processed_now=outcome.committed,
            run=outcome.run,
            finished_run=outcome.run if outcome.ended else None,
            next_page_enqueued=enqueued,
        )

    def _continue_without_total(
        self, run: SyncRun, result: PageResult, message: SyncPageMessage, processed_now: bool
    ) -> bool:
        """Queue the next page of a run without a total after a full page (once per page)."""
        if run.status is not RunStatus.RUNNING or run.total_pages is not None or result.fetched < run.page_size:
            return False
        if not processed_now and self._runs.page(run.org_id, run.id, message.page + 1) is not None:
            return False
        self._queue.enqueue([message.next_page()])
        return True

    def _give_up(self, message: SyncPageMessage, reason: str) -> SyncRun | None:
        """Fail the run after the page's last delivery failed (nothing, if it is no longer running)."""
        return self._fail_run(message, f"Page {message.page} failed {self._max_deliveries} deliveries: {reason}")

    def _fail_run(self, message: SyncPageMessage, error: str) -> SyncRun | None:
        """Fail the message's run with ``error`` as its lastError (nothing, if it is no longer running)."""
        run = self._runs.get(message.org_id, message.run_id)
        if run is None or run.status is not RunStatus.RUNNING:
            return None
        now = self._clock.timestamp()
        return self._runs.finish(run, RunStatus.FAILED, now, last_error=error[:500], completed_at=now)
