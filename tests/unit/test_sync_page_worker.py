"""SyncPageWorker on the in-memory stores: a duplicate delivery changes nothing, finished runs drop
their messages, failures are retried until the last delivery fails the run, and a run without a total
queues its next page (no AWS, no network)."""

from __future__ import annotations

from connections.domain.deadline import Deadline
from connections.domain.scheduled_sync import scheduler_caller
from connections.domain.sync_page_message import SyncPageMessage
from connections.domain.sync_page_worker import PageWork, SyncPageWorker
from connections.domain.sync_run import RunStatus, SyncRun
from connections.domain.sync_service import MAX_PAGE_ATTEMPTS, PAGE_LEASE_SECONDS, SyncService
from tests.fakes.classifiers import FixedClassifier
from tests.fakes.in_memory_platforms import ScriptedSource
from tests.fakes.in_memory_stores import ORG, InMemoryStores
from tests.fakes.scheduling import RecordingPageQueue

PAGE_SIZE = 2


class Worker:
    """A page worker over fresh stores, one inbound connection serving ``count`` items, and one run."""

    def __init__(self, count: int, *, report_total: bool = True) -> None:
        self.stores = InMemoryStores()
        self.connection = self.stores.add_connection(
            config={"base_url": "https://feed.example.com/segments", "page_size": PAGE_SIZE}
        )
        items = [{"id": f"ext-{number}", "name": f"Segment {number}"} for number in range(count)]
        self.source = ScriptedSource(items, report_total=report_total)
        self.queue = RecordingPageQueue()
        self.sync = SyncService(
            self.stores.connections,
            self.stores.sync_runs,
            self.stores.topics,
            open_source=lambda connection: self.source,
            classifier=lambda: FixedClassifier(),
            clock=self.stores.clock,
            sleep=lambda seconds: None,
        )
        self.worker = SyncPageWorker(self.sync, self.stores.sync_runs, self.queue, clock=self.stores.clock)
        self.caller = scheduler_caller(ORG)
        self.run = self.sync.start_run(self.caller, self.connection.id, Deadline.after(30), trigger="schedule")

    def deliver(self, page: int, delivery: int = 1) -> PageWork:
        message = SyncPageMessage(ORG, self.connection.id, self.run.id, page)
        return self.worker.process(message, Deadline.after(30), delivery)

    def latest(self) -> SyncRun:
        latest = self.stores.sync_runs.get(ORG, self.run.id)
        assert latest is not None
        return latest


def test_a_duplicate_delivery_returns_the_stored_result_and_counts_nothing() -> None:
    worker = Worker(5)

    first = worker.deliver(1)
    again = worker.deliver(1)

    assert (first.processed_now, first.retry) == (True, False)
    assert (again.processed_now, again.retry, again.result) == (False, False, first.result)
    assert (worker.latest().processed_pages, worker.latest().success_count) == (1, 2)
    assert worker.source.fetches.count((0, PAGE_SIZE)) == 1


def test_the_delivery_of_the_last_page_reports_the_run_it_finished() -> None:
    worker = Worker(3)
    worker.deliver(1)

    last = worker.deliver(2)

    assert last.finished_run is not None and last.finished_run.status is RunStatus.COMPLETED


def test_a_message_of_a_finished_run_is_dropped() -> None:
    worker = Worker(5)
    worker.sync.cancel(worker.caller, worker.connection.id, worker.run.id)

    work = worker.deliver(1)

    assert (work.retry, work.reason) == (False, "sync run is cancelled")
    assert worker.source.fetches.count((0, PAGE_SIZE)) == 0


def test_a_failing_page_is_retried_and_its_last_delivery_fails_the_run() -> None:
    worker = Worker(5)
    worker.source.fail(0, *[RuntimeError("bug")] * MAX_PAGE_ATTEMPTS)

    deliveries = [worker.deliver(1, delivery) for delivery in range(1, MAX_PAGE_ATTEMPTS + 1)]

    assert all(work.retry for work in deliveries)
    assert all(work.finished_run is None for work in deliveries[:-1])
    last = deliveries[-1]
    assert last.finished_run is not None and last.finished_run.status is RunStatus.FAILED
    assert worker.latest().status is RunStatus.FAILED
    assert worker.deliver(1, MAX_PAGE_ATTEMPTS + 1).retry is False  # later deliveries are dropped


def test_a_page_another_call_holds_is_retried_and_never_fails_the_run() -> None:
    worker = Worker(5)
    worker.stores.sync_runs.claim_page(ORG, worker.run.id, 1, "other-call", PAGE_LEASE_SECONDS)

    work = worker.deliver(1, MAX_PAGE_ATTEMPTS)

    assert (work.retry, work.busy) == (True, True)
    assert worker.latest().status is RunStatus.RUNNING


def test_a_run_without_a_total_queues_the_page_after_each_full_page() -> None:
    worker = Worker(3, report_total=False)

    first = worker.deliver(1)
    second = worker.deliver(2)
    redelivered = worker.deliver(1)

    assert (first.next_page_enqueued, second.next_page_enqueued) == (True, False)  # page 2 is short: the end
    assert [message.page for message in worker.queue.messages] == [2]
    assert redelivered.next_page_enqueued is False  # page 2 exists already
    assert worker.latest().status is RunStatus.COMPLETED
