"""SyncService on the in-memory stores: page idempotency, leases, the attempt limit, one running sync
per connection, runs without a total, and cancellation (no AWS, no network)."""

from __future__ import annotations

from typing import Any

import pytest

from connections.domain.access import AuthType, Caller
from connections.domain.connection import Connection
from connections.domain.deadline import Deadline
from connections.domain.errors import Conflict, CredentialsUnreadable, StorageThrottled, SyncAlreadyRunning
from connections.domain.idempotency import IdempotencyClaim
from connections.domain.sync_run import PageResult, RunStatus, SyncRun
from connections.domain.sync_service import BUSY_WAIT_SECONDS, MAX_PAGE_ATTEMPTS, PAGE_LEASE_SECONDS, SyncService
from connections.domain.unexpected_failures import INTERNAL_ERROR
from connections.ports.sync_run_repository import PageState
from tests.fakes.classifiers import FixedClassifier, interest
from tests.fakes.connection_store import RunLock
from tests.fakes.in_memory_platforms import ScriptedSource
from tests.fakes.in_memory_stores import ORG, InMemoryStores

CALLER = Caller(ORG, "user_1", AuthType.SESSION)
PAGE_SIZE = 2


def deadline() -> Deadline:
    return Deadline.after(30)


def segments(count: int) -> list[dict[str, Any]]:
    return [{"id": f"ext-{number}", "name": f"Segment {number}"} for number in range(1, count + 1)]


class Sync:
    """A sync service over fresh stores and one inbound connection whose source serves ``items``."""

    def __init__(self, items: list[Any], *, report_total: bool = True) -> None:
        self.stores = InMemoryStores()
        self.connection = self.stores.add_connection(
            config={"base_url": "https://feed.example.com/segments", "page_size": PAGE_SIZE}
        )
        self.source = ScriptedSource(items, report_total=report_total)
        self.classifier = FixedClassifier({"Segment 1": interest("483", "Automotive")})
        self.sleeps: list[float] = []
        self.service = SyncService(
            self.stores.connections,
            self.stores.sync_runs,
            self.stores.topics,
            open_source=lambda connection: self.source,
            classifier=lambda: self.classifier,
            clock=self.stores.clock,
            sleep=self.sleeps.append,
        )

    def start(self, idempotency: IdempotencyClaim | None = None) -> SyncRun:
        return self.service.start_run(CALLER, self.connection.id, deadline(), idempotency)

    def page(self, run: SyncRun, page: int | None = None) -> Any:
        return self.service.process_page(CALLER, self.connection.id, run.id, page, deadline())

    def run(self, run: SyncRun) -> SyncRun:
        return self.service.get_run(CALLER, self.connection.id, run.id)

    def page_fetches(self) -> list[int]:
        """The page indexes fetched for pages (the start's one-item probe left out)."""
        return [index for index, size in self.source.fetches if size == PAGE_SIZE]


def test_a_run_counts_its_items_and_pages() -> None:
    sync = Sync(segments(5))

    run = sync.start()

    assert (run.status, run.total_items, run.total_pages, run.page_size) == (RunStatus.RUNNING, 5, 3, PAGE_SIZE)
    assert sync.source.fetches == [(0, 1)]
    assert sync.stores.sync_runs.active_run_id(ORG, sync.connection.id) == run.id


def test_a_page_processed_twice_counts_once() -> None:
    sync = Sync(segments(5))
    run = sync.start()

    first = sync.page(run, 1)
    again = sync.page(run, 1)

    assert first.result == again.result == PageResult(page=1, fetched=2, inserted=2, duplicates=0, errors=0)
    latest = sync.run(run)
    assert (latest.processed_pages, latest.success_count, latest.duplicate_count) == (1, 2, 0)
    assert sync.page_fetches() == [0]  # the second call read the stored result
    assert len(sync.stores.topics.list_for_org(ORG)) == 2


def test_the_next_page_skips_done_pages_and_the_last_completes_the_run() -> None:
    sync = Sync(segments(5))
    run = sync.start()

    results = [sync.page(run).result for _ in range(3)]

    assert [result.page for result in results] == [1, 2, 3]
    assert [result.fetched for result in results] == [2, 2, 1]
    finished = sync.run(run)
    assert finished.status is RunStatus.COMPLETED
    assert finished.completed_at is not None
    assert finished.success_count == 5
    assert sync.stores.sync_runs.active_run_id(ORG, sync.connection.id) is None
    with pytest.raises(Conflict, match="completed"):
        sync.page(run)


def test_items_seen_are_inserted_duplicates_or_errors() -> None:
    items = [
        {"id": "a", "name": "Auto Intenders"},
        {"id": "b", "name": "auto intenders!"},  # the same normalised name within the page
        {"id": "c"},  # no name
        {"id": "a", "name": "Auto Intenders (renamed)"},  # the same external id on a later page
    ]
    sync = Sync(items)
    run = sync.start()

    sync.page(run, 1)
    second = sync.page(run, 2)

    finished = sync.run(run)
    assert finished.status is RunStatus.COMPLETED
    assert (finished.success_count, finished.duplicate_count, finished.error_count) == (1, 2, 1)
    assert finished.success_count + finished.duplicate_count + finished.error_count == len(items)
    assert second.result is not None
    assert [sample.reason for sample in second.result.error_samples] == ["item has no usable name (topic_name)"]
    [topic] = sync.stores.topics.list_for_org(ORG)
    assert (topic.name, topic.external_id) == ("Auto Intenders", "a")


def test_a_page_leased_by_another_call_is_waited_for_then_refused() -> None:
    sync = Sync(segments(5))
    run = sync.start()
    assert sync.stores.sync_runs.claim_page(ORG, run.id, 1, "other-call", PAGE_LEASE_SECONDS) is not None

    with pytest.raises(Conflict, match="being processed by another request"):
        sync.page(run, 1)

    assert sum(sync.sleeps) == BUSY_WAIT_SECONDS  # waited through the injected sleep, not the real one
    assert sync.page_fetches() == []


def test_the_next_page_skips_a_leased_page() -> None:
    sync = Sync(segments(5))
    run = sync.start()
    sync.stores.sync_runs.claim_page(ORG, run.id, 1, "other-call", PAGE_LEASE_SECONDS)

    sync.stores.clock.advance(PAGE_LEASE_SECONDS - 1)  # the lease has a second left
    outcome = sync.page(run)

    assert outcome.result.page == 2
    assert sync.page_fetches() == [1]


def test_the_next_page_is_a_leased_page_again_once_its_lease_ran_out() -> None:
    sync = Sync(segments(5))
    run = sync.start()
    sync.stores.sync_runs.claim_page(ORG, run.id, 1, "crashed-call", PAGE_LEASE_SECONDS)

    sync.stores.clock.advance(PAGE_LEASE_SECONDS + 1)
    outcome = sync.page(run)

    assert outcome.result == PageResult(page=1, fetched=2, inserted=2, duplicates=0, errors=0)
    assert outcome.committed and not outcome.ended
    assert sync.page_fetches() == [0]
    assert sync.stores.sync_runs.pages(ORG, run.id)[1].state is PageState.DONE


def test_a_leased_page_is_offered_again_after_the_lease() -> None:
    sync = Sync(segments(5))
    run = sync.start()
    sync.stores.sync_runs.claim_page(ORG, run.id, 1, "crashed-call", PAGE_LEASE_SECONDS)

    sync.stores.clock.advance(PAGE_LEASE_SECONDS + 1)
    outcome = sync.page(run, 1)

    assert outcome.result == PageResult(page=1, fetched=2, inserted=2, duplicates=0, errors=0)
    # The call that held the lease comes back too late: its commit is refused and counts nothing.
    late = sync.stores.sync_runs.commit_page(run, "crashed-call", outcome.result, sync.stores.clock.timestamp())
    assert late is None
    assert sync.run(run).processed_pages == 1


def test_a_page_failing_max_attempts_times_fails_the_run() -> None:
    sync = Sync(segments(5))
    run = sync.start()
    sync.source.fail(0, *[RuntimeError("parser bug with item data")] * MAX_PAGE_ATTEMPTS)

    for attempt in range(1, MAX_PAGE_ATTEMPTS):
        outcome = sync.page(run, 1)
        assert (outcome.error, outcome.to_response()["retryable"]) == (INTERNAL_ERROR, True)
        assert sync.stores.sync_runs.pages(ORG, run.id)[1].attempts == attempt
    last = sync.page(run, 1)

    assert last.error == f"Page 1 failed {MAX_PAGE_ATTEMPTS} times: {INTERNAL_ERROR}"
    assert last.to_response()["retryable"] is False
    failed = sync.run(run)
    assert (failed.status, failed.last_error) == (RunStatus.FAILED, last.error)
    assert sync.stores.sync_runs.pages(ORG, run.id)[1].attempts == MAX_PAGE_ATTEMPTS
    assert sync.stores.sync_runs.active_run_id(ORG, sync.connection.id) is None
    with pytest.raises(Conflict, match="failed"):
        sync.page(run, 2)


def test_a_failed_page_is_released_at_once_and_counted() -> None:
    sync = Sync(segments(5))
    run = sync.start()
    sync.source.fail(0, RuntimeError("once"))

    failed = sync.page(run, 1)
    retried = sync.page(run, 1)  # no lease to wait out

    assert failed.error == INTERNAL_ERROR
    assert failed.run.last_error == f"Page 1: {INTERNAL_ERROR}"
    assert retried.result is not None and retried.result.inserted == 2
    record = sync.stores.sync_runs.pages(ORG, run.id)[1]
    assert (record.state, record.attempts) == (PageState.DONE, 1)
    assert sync.run(run).last_error is None  # a committed page clears it


def test_a_storage_throttle_releases_the_page_without_an_attempt() -> None:
    sync = Sync(segments(5))
    run = sync.start()
    sync.source.fail(0, StorageThrottled("DynamoDB is throttling; retry shortly"))

    with pytest.raises(StorageThrottled):
        sync.page(run, 1)

    record = sync.stores.sync_runs.pages(ORG, run.id)[1]
    assert (record.attempts, record.lease_expires) == (0, 0.0)
    assert sync.page(run, 1).result is not None


def test_unreadable_credentials_release_the_page_without_an_attempt() -> None:
    sync = Sync(segments(5))
    run = sync.start()
    sync.source.fail(0, CredentialsUnreadable())

    with pytest.raises(CredentialsUnreadable):
        sync.page(run, 1)

    assert sync.stores.sync_runs.pages(ORG, run.id)[1].attempts == 0
    assert sync.run(run).last_error is None
    assert sync.page(run, 1).result is not None  # once the credentials are entered again


def test_one_running_sync_per_connection() -> None:
    sync = Sync(segments(5))
    run = sync.start()

    with pytest.raises(SyncAlreadyRunning):
        sync.start()
    sync.service.cancel(CALLER, sync.connection.id, run.id)

    assert sync.start().id != run.id


def test_a_lock_left_by_a_run_that_is_gone_is_freed() -> None:
    sync = Sync(segments(5))
    sync.stores.connections.take_lock(ORG, sync.connection.id, RunLock.SYNC, "run_01JUNKJUNKJUNKJUNKJUNKJUNK")

    run = sync.start()

    assert sync.stores.sync_runs.active_run_id(ORG, sync.connection.id) == run.id


def test_a_repeated_idempotency_key_returns_the_first_run() -> None:
    sync = Sync(segments(5))
    claim = IdempotencyClaim("start_sync_run", "key-00000001", "fingerprint")

    first = sync.start(claim)
    again = sync.start(claim)

    assert again.id == first.id
    assert sync.source.fetches == [(0, 1)]  # the replay did no work


def test_a_run_without_a_total_ends_on_its_first_short_page() -> None:
    sync = Sync(segments(5), report_total=False)
    run = sync.start()
    assert (run.total_items, run.total_pages) == (None, None)

    pages = [sync.page(run).result.page for _ in range(3)]

    finished = sync.run(run)
    assert pages == [1, 2, 3]
    assert (finished.status, finished.total_pages, finished.total_items) == (RunStatus.COMPLETED, 3, 5)


def test_an_empty_source_completes_the_run_at_once() -> None:
    sync = Sync([])

    run = sync.start()

    assert (run.status, run.total_pages) == (RunStatus.COMPLETED, 0)
    assert sync.stores.sync_runs.active_run_id(ORG, sync.connection.id) is None


def test_a_page_in_flight_when_the_run_is_cancelled_still_counts() -> None:
    sync = Sync(segments(5))
    run = sync.start()

    class CancelledMidPage(ScriptedSource):
        def fetch_page(self, page_index: int, page_size: int, deadline: Deadline) -> Any:
            sync.service.cancel(CALLER, sync.connection.id, run.id)
            return super().fetch_page(page_index, page_size, deadline)

    sync.source = CancelledMidPage(segments(5))
    outcome = sync.page(run, 1)

    cancelled = sync.run(run)
    assert outcome.result is not None and outcome.result.inserted == 2
    assert (cancelled.status, cancelled.success_count, cancelled.processed_pages) == (RunStatus.CANCELLED, 2, 1)
    with pytest.raises(Conflict, match="cancelled"):
        sync.page(run, 2)


def test_deleting_the_connection_cancels_its_running_sync() -> None:
    sync = Sync(segments(5))
    run = sync.start()
    stored = sync.stores.connections.get(ORG, sync.connection.id)
    assert isinstance(stored, Connection)

    sync.stores.connections.delete(stored)

    cancelled = sync.run(run)
    assert (cancelled.status, cancelled.last_error) == (RunStatus.CANCELLED, "Connection was deleted")
    with pytest.raises(Conflict, match="cancelled"):
        sync.page(run, 1)
