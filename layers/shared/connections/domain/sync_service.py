"""Inbound sync runs: create (count), process pages (fetch, map, classify, dedupe, insert), status,
cancel. The page endpoint and the scheduled-sync worker both call ``process_page``."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from connections.domain.access import Caller
from connections.domain.classification import ClassifiableItem
from connections.domain.clock import SYSTEM_CLOCK, Clock
from connections.domain.connection import Connection
from connections.domain.deadline import Deadline
from connections.domain.errors import (
    Conflict,
    CredentialsUnreadable,
    DomainError,
    InvalidInput,
    QuotaExceeded,
    StorageThrottled,
    SyncAlreadyRunning,
)
from connections.domain.field_mapping import map_item
from connections.domain.idempotency import IdempotencyClaim
from connections.domain.identifiers import RUN_PREFIX, new_id
from connections.domain.open_pages import unfinished_pages
from connections.domain.quotas import Charge, Meter, Quotas
from connections.domain.run_lifecycle import RunLifecycle, connection_of_org
from connections.domain.storage_limits import MAX_ITEM_BYTES
from connections.domain.sync_run import (
    DEFAULT_PAGE_SIZE,
    MAX_ERROR_SAMPLES,
    ItemError,
    PageResult,
    RunStatus,
    SyncRun,
    total_pages,
)
from connections.domain.topic import TopicDraft, TopicSource
from connections.domain.unexpected_failures import INTERNAL_ERROR, log_unexpected, log_unrecorded
from connections.ports.classifier import Classifier
from connections.ports.connection_repository import ConnectionRepository
from connections.ports.platforms import SegmentSource
from connections.ports.sync_run_repository import PageRecord, PageState, SyncRunRepository
from connections.ports.topic_repository import IngestKind, TopicRepository

# A claimed page is re-offered after this long: the claimer's Lambda (30 s at most) is gone by then.
PAGE_LEASE_SECONDS = 90.0
# A page that failed this many times fails the run instead of being offered again.
MAX_PAGE_ATTEMPTS = 5
# How long a call for a page that another call is processing waits for its result.
BUSY_WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class PageOutcome:
    """A page call's answer: the page's result (or the error that left it retryable) and the run."""

    run: SyncRun
    result: PageResult | None = None
    error: str | None = None
    page: int | None = None
    committed: bool = False  # this call committed the page and added its counts to the run
    ended: bool = False  # this call ended the run (``run`` is it as ended)

    def to_response(self) -> dict[str, Any]:
        body: dict[str, Any] = self.result.to_dict() if self.result else {"page": self.page}
        if self.error:
            body |= {"error": self.error, "retryable": self.run.status is RunStatus.RUNNING}
        return body | {"run": self.run.to_status_response()}


class SyncService:
    def __init__(
        self,
        connections: ConnectionRepository,
        runs: SyncRunRepository,
        topics: TopicRepository,
        open_source: Callable[[Connection], SegmentSource],
        classifier: Callable[[], Classifier],
        clock: Clock = SYSTEM_CLOCK,
        sleep: Callable[[float], None] = time.sleep,
        page_lease_seconds: float = PAGE_LEASE_SECONDS,
        busy_wait_seconds: float = BUSY_WAIT_SECONDS,
        quotas: Quotas | None = None,
    ) -> None:
        self._connections = connections
        self._runs = runs
        self._lifecycle = RunLifecycle(runs, "Sync", SyncAlreadyRunning)
        self._topics = topics
        # Built on first use: status and cancel never load crypto, HTTP or the taxonomy.
        self._open_source = open_source
        self._classifier = classifier
        self._clock = clock
        self._sleep = sleep
        self._page_lease_seconds = page_lease_seconds
        self._busy_wait_seconds = busy_wait_seconds
        self._quotas = quotas  # None: nothing is metered

    # -- create -------------------------------------------------------------------------------------

    def start_run(
        self,
        caller: Caller,
        connection_id: str,
        deadline: Deadline,
        idempotency: IdempotencyClaim | None = None,
        trigger: str = "api",
    ) -> SyncRun:
        """Count the items (count_path, from count_url or one probe page) and store a running run."""
        connection = self._inbound_connection(caller.org_id, connection_id)
        earlier = self._lifecycle.earlier_run(caller.org_id, idempotency)
        if earlier is not None:
            return earlier
        self._lifecycle.ensure_idle(connection.org_id, connection.id)
        page_size = int(connection.config.get("page_size", DEFAULT_PAGE_SIZE))
        total = self._open_source(connection).count_items(deadline)
        now = self._clock.timestamp()
        run = SyncRun(
            id=new_id(RUN_PREFIX),
            org_id=caller.org_id,
            connection_id=connection.id,
            status=RunStatus.RUNNING,
            page_size=page_size,
            total_items=total,
            total_pages=total_pages(total, page_size),
            started_at=now,
            updated_at=now,
            trigger=trigger,
        )
        # One import operation per run started, taken as the run is stored (all or nothing with it).
        charge = self._charge(caller.org_id, Meter.IMPORTS, 1)
        try:
            started = self._lifecycle.start(run, idempotency)
        except BaseException:
            self._give_back(charge)
            raise
        if started is not run:  # an earlier request with the same Idempotency-Key started (and paid for) it
            self._give_back(charge)
            return started
        if run.total_pages == 0:  # nothing to fetch: the run is complete as soon as it exists
            return self._runs.finish(run, RunStatus.COMPLETED, now, completed_at=now) or run
        return run

    # -- pages --------------------------------------------------------------------------------------

    def process_page(
        self, caller: Caller, connection_id: str, run_id: str, page: int | None, deadline: Deadline
    ) -> PageOutcome:
        """Process one page (default: the next unprocessed), exactly once however often it is called."""
        run = self.get_run(caller, connection_id, run_id)
        if page is not None:
            self._check_page_number(run, page)
            done = self._runs.page(run.org_id, run.id, page)
            if done and done.state is PageState.DONE and done.result:
                return PageOutcome(run, done.result)
        ended = False
        if run.status is RunStatus.RUNNING and run.all_pages_done:
            # Every page was committed but the run was not closed (the closing write failed): close it now.
            run, ended = self._complete_if_done(run, run.total_pages or 0, None)
        self._lifecycle.ensure_running(run, "no more pages can be processed", run if ended else None)
        token = uuid.uuid4().hex
        page, claim = self._claim(run, page, token)
        if claim is not None and claim.state is PageState.DONE and claim.result:
            return PageOutcome(self._lifecycle.latest(run), claim.result)
        return self._process_claimed(run, page, token, deadline)

    def _claim(self, run: SyncRun, page: int | None, token: str) -> tuple[int, PageRecord | None]:
        if page is not None:
            claim = self._runs.claim_page(run.org_id, run.id, page, token, self._page_lease_seconds)
            if claim is None:
                return page, self._wait_for(run, page)
            return page, claim
        for candidate in self._open_pages(run):
            claim = self._runs.claim_page(run.org_id, run.id, candidate, token, self._page_lease_seconds)
            if claim is not None and claim.state is not PageState.DONE:
                return candidate, claim
        raise Conflict("Every page of this run is processed or being processed; poll the run's status")

    def _open_pages(self, run: SyncRun) -> Iterator[int]:
        """Pages not done and not leased, lowest first (one past the last known page when the total is
        unknown), read from the run's low-water mark up (open_pages.py)."""
        return unfinished_pages(self._runs, run, self._clock.epoch())

    def _wait_for(self, run: SyncRun, page: int) -> PageRecord:
        waited = 0.0
        while waited < self._busy_wait_seconds:
            record = self._runs.page(run.org_id, run.id, page)
            if record and record.state is PageState.DONE:
                return record
            self._sleep(0.25)
            waited += 0.25
        raise Conflict(f"Page {page} is being processed by another request; retry shortly")

    def _process_claimed(self, run: SyncRun, page: int, token: str, deadline: Deadline) -> PageOutcome:
        """Process a claimed page. Whatever fails releases the claim at once (no waiting out the lease),
        and every failure but a storage throttle or unreadable credentials counts toward the page's
        attempts and sets ``lastError``."""
        try:
            return self._work_on(run, page, token, deadline)
        except StorageThrottled:
            # Released but not counted: a throttle says nothing about the page and hits every page of a
            # busy table at once, so counting it would fail runs that succeed a moment later. The caller
            # gets 503 with Retry-After; a page worker retries through its queue, whose delivery limit
            # still ends a run that is throttled for good.
            self._release(run, page, token)
            raise
        except CredentialsUnreadable:
            # Released but not counted either: the page is fine, the connection's stored credentials are
            # not. The caller gets 409, enters the credentials again (PATCH) and goes on with the run.
            self._release(run, page, token)
            raise
        except QuotaExceeded:
            # Nothing was processed: the caller gets 429 and the page stays open for next month (or plan).
            self._release(run, page, token)
            raise
        except DomainError as failure:  # platform failures: messages safe to show
            message = failure.message
        except Exception as failure:  # a bug or a fault below us; its text may carry item data
            log_unexpected(f"Sync page {page} of {run.id}", failure)
            message = INTERNAL_ERROR
        return self._page_failed(run, page, token, message)

    def _release(self, run: SyncRun, page: int, token: str) -> None:
        try:
            self._runs.release_page(run, page, token)
        except Exception as failure:  # the first failure is the one to report; the lease lapses instead
            log_unrecorded(f"Sync page {page} of {run.id}", failure)

    def _work_on(self, run: SyncRun, page: int, token: str, deadline: Deadline) -> PageOutcome:
        connection = self._connections.get(run.org_id, run.connection_id)
        if connection is None:
            now = self._clock.timestamp()
            finished = self._runs.finish(run, RunStatus.FAILED, now, last_error="Connection was deleted")
            return PageOutcome(finished or run, error="Connection was deleted", page=page, ended=finished is not None)
        # The page's credits are reserved before its fetch (a page that would pass the quota processes
        # nothing), settled to the items fetched, and given back if the page is not committed by this call.
        charge = self._charge(run.org_id, Meter.CLASSIFICATIONS, _expected_items(run, page))
        try:
            fetched = self._open_source(connection).fetch_page(page - 1, run.page_size, deadline)
            charge = self._settle(charge, len(fetched.items))
            result = self._ingest(connection, run, page, fetched.items)
            updated = self._runs.commit_page(run, token, result, self._clock.timestamp())
        except BaseException:
            self._give_back(charge)
            raise
        if updated is None:  # the lease ran out and another call finished (and paid for) this page first
            self._give_back(charge)
            stored = self._runs.page(run.org_id, run.id, page)
            return PageOutcome(self._lifecycle.latest(run), stored.result if stored else None, page=page)
        if updated.status is not RunStatus.RUNNING:
            return PageOutcome(updated, result, committed=True)
        latest, ended = self._complete_if_done(updated, page, result)
        return PageOutcome(latest, result, committed=True, ended=ended)

    def _page_failed(self, run: SyncRun, page: int, token: str, message: str) -> PageOutcome:
        """Release the page with one more attempt and the run's lastError; the run fails at
        MAX_PAGE_ATTEMPTS. When even that cannot be written, the lease lapses (PAGE_LEASE_SECONDS) and
        the page is offered again then; the answer is the same failure, never the recording's error."""
        try:
            now = self._clock.timestamp()
            self._runs.fail_page(run, page, token, message, now)
            record = self._runs.page(run.org_id, run.id, page)
            if record and record.state is PageState.DONE and record.result:
                return PageOutcome(self._lifecycle.latest(run), record.result)  # it failed after its commit
            if record and record.attempts >= MAX_PAGE_ATTEMPTS:
                error = f"Page {page} failed {record.attempts} times: {message}"
                finished = self._runs.finish(run, RunStatus.FAILED, now, last_error=error, completed_at=now)
                run = finished or self._lifecycle.latest(run)
                return PageOutcome(run, error=error, page=page, ended=finished is not None)
            return PageOutcome(self._lifecycle.latest(run), error=message, page=page)
        except Exception as failure:
            log_unrecorded(f"Sync page {page} of {run.id}", failure)
            return PageOutcome(run, error=message, page=page)

    def _complete_if_done(self, run: SyncRun, page: int, result: PageResult | None) -> tuple[SyncRun, bool]:
        """The run after ``page``, and whether this call completed it."""
        now = self._clock.timestamp()
        if run.all_pages_done:
            finished = self._runs.finish(run, RunStatus.COMPLETED, now, completed_at=now)
        elif result is not None and run.total_pages is None and result.fetched < run.page_size:
            # No total from the platform: a short or empty page is the last one.
            finished = self._runs.finish(
                run,
                RunStatus.COMPLETED,
                now,
                completed_at=now,
                total_pages=page,
                total_items=(page - 1) * run.page_size + result.fetched,
            )
        else:
            return run, False
        return (finished, True) if finished is not None else (self._lifecycle.latest(run), False)

    def _ingest(self, connection: Connection, run: SyncRun, page: int, items: Sequence[Any]) -> PageResult:
        errors: list[ItemError] = []
        drafts: list[TopicDraft] = []
        seen: dict[str, int] = {}
        duplicates_in_page = 0
        mapped_items = [map_item(item, connection.config.get("field_mappings")) for item in items]
        usable = [(index, mapped) for index, mapped in enumerate(mapped_items) if mapped.usable]
        for index, mapped in enumerate(mapped_items):
            if not mapped.usable:
                errors.append(ItemError(index, "; ".join(mapped.problems), mapped.fields.get("external_id")))
        classifiable = [ClassifiableItem.from_fields(mapped.fields) for _, mapped in usable]
        classifications = self._classifier().classify_many(classifiable)
        for (index, mapped), classification in zip(usable, classifications, strict=True):
            draft = TopicDraft.from_fields(mapped.fields, classification)
            if draft.stored_bytes() > MAX_ITEM_BYTES:  # map_item's caps keep this away; never a failed write
                errors.append(ItemError(index, "item is too large to store as a topic", draft.external_id))
                continue
            keys = [f"name:{draft.normalised_name}"] + ([f"ext:{draft.external_id}"] if draft.external_id else [])
            if any(key in seen for key in keys):
                duplicates_in_page += 1
                continue
            for key in keys:
                seen[key] = len(drafts)
            drafts.append(draft)
        outcomes = self._topics.ingest(
            run.org_id, TopicSource.SYNC, connection.id, drafts, f"{run.id}#{page}", self._clock.timestamp()
        )
        inserted = sum(outcome.kind is IngestKind.INSERTED for outcome in outcomes)
        return PageResult(
            page=page,
            fetched=len(items),
            inserted=inserted,
            duplicates=len(outcomes) - inserted + duplicates_in_page,
            errors=len(errors),
            error_samples=tuple(errors[:MAX_ERROR_SAMPLES]),
        )

    # -- status and cancel --------------------------------------------------------------------------

    def get_run(self, caller: Caller, connection_id: str, run_id: str) -> SyncRun:
        """The connection's sync run (NotFound otherwise)."""
        return self._lifecycle.get(caller.org_id, connection_id, run_id)

    def cancel(self, caller: Caller, connection_id: str, run_id: str) -> SyncRun:
        """Stop the run; a page in flight still commits and counts."""

        def close(run: SyncRun) -> SyncRun | None:
            now = self._clock.timestamp()
            return self._runs.finish(run, RunStatus.CANCELLED, now, completed_at=now)

        return self._lifecycle.cancel(caller.org_id, connection_id, run_id, close)

    # -- quotas -------------------------------------------------------------------------------------

    def _charge(self, org_id: str, meter: Meter, amount: int) -> Charge | None:
        return self._quotas.charge(org_id, meter, amount) if self._quotas else None

    def _settle(self, charge: Charge | None, used: int) -> Charge | None:
        return self._quotas.settle(charge, used) if self._quotas and charge else charge

    def _give_back(self, charge: Charge | None) -> None:
        if self._quotas and charge and charge.amount:
            self._quotas.give_back_or_log(charge)

    # -- helpers ------------------------------------------------------------------------------------

    def _inbound_connection(self, org_id: str, connection_id: str) -> Connection:
        connection = connection_of_org(self._connections, org_id, connection_id)
        if not connection.direction.pulls:
            raise InvalidInput("Syncs need an inbound or bidirectional connection; this one is outbound")
        return connection

    def _check_page_number(self, run: SyncRun, page: int) -> None:
        if page < 1 or (run.total_pages is not None and page > max(run.total_pages, 1)):
            last = run.total_pages if run.total_pages is not None else "unknown"
            raise InvalidInput(f"page must be from 1 to the run's totalPages ({last})")


def _expected_items(run: SyncRun, page: int) -> int:
    """How many items ``page`` should hold: a full page, or what the run's total leaves for it."""
    if run.total_items is None:
        return run.page_size
    return max(0, min(run.page_size, run.total_items - (page - 1) * run.page_size))
