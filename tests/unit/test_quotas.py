"""Monthly quotas on the in-memory stores: plans and their limits, reservations before the work, credits
given back for work not done, replays for free, month rollover, and what scheduled runs do over quota."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connections.domain.access import AuthType, Caller
from connections.domain.deadline import Deadline
from connections.domain.errors import QuotaExceeded
from connections.domain.outbound_errors import OutboundError
from connections.domain.quotas import Meter, Plan, Quotas, billing_month, next_month_start
from connections.domain.sync_page_message import SyncPageMessage
from connections.domain.sync_page_worker import SyncPageWorker
from connections.domain.sync_run import RunStatus, SyncRun
from connections.domain.sync_service import SyncService
from connections.ports.sync_run_repository import PageState
from tests.fakes.classifiers import FixedClassifier
from tests.fakes.clocks import ManualClock
from tests.fakes.in_memory_platforms import ScriptedSource
from tests.fakes.in_memory_stores import ORG, InMemoryStores
from tests.fakes.scheduling import RecordingPageQueue
from tests.fakes.usage_meters import InMemoryUsageMeters

CALLER = Caller(ORG, "user_1", AuthType.SESSION)
PAGE_SIZE = 30
# 2026-02-25T10:00:00Z: the reset is 2026-03-01T00:00:00Z, 3 days and 14 hours later.
FEBRUARY_25 = datetime(2026, 2, 25, 10, tzinfo=UTC).timestamp()


def segments(count: int) -> list[dict[str, Any]]:
    return [{"id": f"ext-{number}", "name": f"Segment {number}"} for number in range(1, count + 1)]


class MeteredSync:
    """A sync service with quotas over fresh stores and one inbound connection serving ``items``."""

    def __init__(self, items: list[Any], plan: Plan | None = Plan.FREE, *, report_total: bool = True) -> None:
        self.stores = InMemoryStores(clock=ManualClock(FEBRUARY_25))
        self.connection = self.stores.add_connection(
            config={"base_url": "https://feed.example.com/segments", "page_size": PAGE_SIZE}
        )
        self.source = ScriptedSource(items, report_total=report_total)
        self.meters = InMemoryUsageMeters()
        self.quotas = Quotas(self.meters, self.stores.clock)
        if plan is not None:
            self.quotas.set_plan(ORG, plan)
        self.service = SyncService(
            self.stores.connections,
            self.stores.sync_runs,
            self.stores.topics,
            open_source=lambda connection: self.source,
            classifier=lambda: FixedClassifier(),
            clock=self.stores.clock,
            sleep=lambda seconds: None,
            quotas=self.quotas,
        )

    def start(self) -> SyncRun:
        return self.service.start_run(CALLER, self.connection.id, Deadline.after(30))

    def page(self, run: SyncRun, page: int | None = None) -> Any:
        return self.service.process_page(CALLER, self.connection.id, run.id, page, Deadline.after(30))

    def used(self, meter: Meter = Meter.CLASSIFICATIONS) -> int:
        return self.meters.used_now(ORG, meter.value)

    def page_fetches(self) -> list[int]:
        return [index + 1 for index, size in self.source.fetches if size == PAGE_SIZE]


def test_the_published_tiers() -> None:
    meters = InMemoryUsageMeters()
    quotas = Quotas(meters, ManualClock(FEBRUARY_25))
    limits = {}
    for org, plan in (("org_free", Plan.FREE), ("org_pro", Plan.PRO)):
        quotas.set_plan(org, plan)
        for meter in Meter:
            with pytest.raises(QuotaExceeded) as refused:
                quotas.charge(org, meter, 1_000_000)
            limits[(plan, meter)] = refused.value.limit
    assert limits == {
        (Plan.FREE, Meter.CLASSIFICATIONS): 100,
        (Plan.FREE, Meter.IMPORTS): 5,
        (Plan.PRO, Meter.CLASSIFICATIONS): 10_000,
        (Plan.PRO, Meter.IMPORTS): 100,
    }
    assert meters.counters.total() == 0  # a refused charge adds nothing


def test_an_organisation_without_a_plan_is_enterprise_and_is_never_written() -> None:
    meters = InMemoryUsageMeters()
    quotas = Quotas(meters, ManualClock(FEBRUARY_25))
    quotas.set_plan("org_enterprise", Plan.ENTERPRISE)
    writes_before = meters.writes

    for org in ("org_without_plan", "org_enterprise", "org_unknown_plan"):
        meters.plans.setdefault("org_unknown_plan", "platinum")  # a plan name this code does not know
        assert quotas.plan(org) is Plan.ENTERPRISE
        for _ in range(3):
            charge = quotas.charge(org, Meter.CLASSIFICATIONS, 1_000_000)
            quotas.give_back(quotas.settle(charge, 5))

    assert meters.writes == writes_before
    assert meters.counters.total() == 0


def test_a_charge_over_the_limit_is_refused_with_the_published_fields() -> None:
    meters = InMemoryUsageMeters()
    quotas = Quotas(meters, ManualClock(FEBRUARY_25))
    quotas.set_plan(ORG, Plan.FREE)
    quotas.charge(ORG, Meter.CLASSIFICATIONS, 95)

    with pytest.raises(QuotaExceeded) as too_few_left:
        quotas.charge(ORG, Meter.CLASSIFICATIONS, 6)
    quotas.charge(ORG, Meter.CLASSIFICATIONS, 5)
    with pytest.raises(QuotaExceeded) as used_up:
        quotas.charge(ORG, Meter.CLASSIFICATIONS, 1)

    assert too_few_left.value.to_fields() == {"limit": 100, "used": 95, "resetAt": "2026-03-01T00:00:00.000Z"}
    assert "has 5 left, fewer than the 6 this request needs" in too_few_left.value.message
    assert used_up.value.to_fields() == {"limit": 100, "used": 100, "resetAt": "2026-03-01T00:00:00.000Z"}
    assert used_up.value.message == (
        "Monthly quota of 100 classification credits used up (100 used); it resets at 2026-03-01T00:00:00.000Z"
    )
    assert used_up.value.retry_after_seconds == (3 * 24 + 14) * 3600
    assert meters.used_now(ORG, "classifications") == 100


def test_a_new_month_starts_from_zero_and_the_old_one_is_kept() -> None:
    clock = ManualClock(datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())
    meters = InMemoryUsageMeters()
    quotas = Quotas(meters, clock)
    quotas.set_plan(ORG, Plan.FREE)
    for _ in range(5):
        quotas.charge(ORG, Meter.IMPORTS, 1)
    with pytest.raises(QuotaExceeded) as refused:
        quotas.charge(ORG, Meter.IMPORTS, 1)
    assert refused.value.reset_at == "2027-01-01T00:00:00.000Z"
    assert refused.value.retry_after_seconds == 1

    clock.advance(1)
    quotas.charge(ORG, Meter.IMPORTS, 1)

    assert meters.counters == {(ORG, "2026-12", "imports"): 5, (ORG, "2027-01", "imports"): 1}
    assert billing_month(datetime(2027, 1, 1, tzinfo=UTC)) == "2027-01"
    assert next_month_start(datetime(2026, 2, 28, 23, tzinfo=UTC)) == datetime(2026, 3, 1, tzinfo=UTC)


def test_pages_are_charged_their_items_and_the_page_that_would_pass_the_limit_processes_nothing() -> None:
    sync = MeteredSync(segments(130))  # pages of 30, 30, 30, 30 and 10 items; Free: 100 credits
    run = sync.start()

    for page in (1, 2, 3):
        assert sync.page(run, page).result.fetched == PAGE_SIZE
    with pytest.raises(QuotaExceeded) as refused:
        sync.page(run, 4)
    last = sync.page(run, 5)  # the short last page still fits

    assert refused.value.to_fields() == {"limit": 100, "used": 90, "resetAt": "2026-03-01T00:00:00.000Z"}
    assert sync.page_fetches() == [1, 2, 3, 5]  # page 4 was not even fetched
    assert last.result.fetched == 10
    assert sync.used() == 100
    record = sync.stores.sync_runs.page(ORG, run.id, 4)
    assert record is not None and record.state is not PageState.DONE
    assert (record.attempts, record.lease_expires) == (0, 0.0)  # released at once, no attempt counted
    latest = sync.service.get_run(CALLER, sync.connection.id, run.id)
    assert (latest.status, latest.processed_pages, latest.success_count) == (RunStatus.RUNNING, 4, 100)
    assert latest.last_error is None


def test_a_replayed_page_costs_nothing() -> None:
    sync = MeteredSync(segments(60))
    run = sync.start()
    first = sync.page(run, 1)

    again = sync.page(run, 1)

    assert again.result == first.result
    assert sync.used() == PAGE_SIZE


def test_a_failed_fetch_gives_its_credits_back() -> None:
    sync = MeteredSync(segments(60))
    run = sync.start()
    sync.source.fail(0, OutboundError("The platform answered HTTP 500"))

    failed = sync.page(run, 1)
    assert failed.error and sync.used() == 0
    retried = sync.page(run, 1)

    assert retried.result.fetched == PAGE_SIZE
    assert sync.used() == PAGE_SIZE


def test_a_page_without_a_total_reserves_a_full_page_and_keeps_what_it_fetched() -> None:
    sync = MeteredSync(segments(40), report_total=False)
    run = sync.start()

    sync.page(run, 1)
    last = sync.page(run, 2)

    assert last.result.fetched == 10
    assert last.run.status is RunStatus.COMPLETED
    assert sync.used() == 40


def test_a_page_with_more_items_than_its_reservation_pays_for_them_or_processes_nothing() -> None:
    sync = MeteredSync(segments(90))
    run = sync.start()  # total 90: three pages of 30
    sync.page(run, 1)
    sync.page(run, 2)
    sync.source.items = segments(130)  # the platform grew: page 3 is a full page, page 4 appears
    sync.quotas.charge(ORG, Meter.CLASSIFICATIONS, 25)  # a manual topic or another run took most of the rest

    with pytest.raises(QuotaExceeded):
        sync.page(run, 3)

    assert sync.used() == 85  # the page's reservation was given back with it


def test_a_sync_run_costs_one_import_and_a_run_that_does_not_start_costs_none() -> None:
    sync = MeteredSync(segments(0))
    sync.source.fail(0, OutboundError("The platform answered HTTP 503"))
    with pytest.raises(OutboundError):
        sync.start()
    assert sync.used(Meter.IMPORTS) == 0

    for _ in range(5):  # an empty catalogue: each run completes at once
        assert sync.start().status is RunStatus.COMPLETED
    with pytest.raises(QuotaExceeded) as refused:
        sync.start()

    assert refused.value.to_fields()["limit"] == 5
    assert sync.used(Meter.IMPORTS) == 5
    assert sync.stores.sync_runs.active_run_id(ORG, sync.connection.id) is None  # no run left behind


def test_an_enterprise_organisation_syncs_without_a_meter_write() -> None:
    sync = MeteredSync(segments(130), plan=None)
    run = sync.start()
    while sync.page(run).run.status is RunStatus.RUNNING:
        pass

    assert sync.meters.writes == 0
    assert sync.meters.reads == 1 + 5  # the plan, read once per charge: the run start and each page


def test_a_scheduled_page_over_quota_fails_its_run_with_the_quota_message() -> None:
    sync = MeteredSync(segments(130))
    run = sync.start()
    worker = SyncPageWorker(sync.service, sync.stores.sync_runs, RecordingPageQueue(), clock=sync.stores.clock)
    works = [
        worker.process(SyncPageMessage(ORG, sync.connection.id, run.id, page), Deadline.after(30), delivery=1)
        for page in (1, 2, 3, 4)
    ]

    assert [work.processed_now for work in works] == [True, True, True, False]
    assert works[3].retry is False  # not redelivered: a retry cannot succeed before the month ends
    failed = sync.service.get_run(CALLER, sync.connection.id, run.id)
    assert failed.status is RunStatus.FAILED
    assert failed.last_error == (
        "Page 4 was not processed: Monthly quota of 100 classification credits has 10 left, fewer than the 30 "
        "this request needs; it resets at 2026-03-01T00:00:00.000Z"
    )
    assert works[3].finished_run == failed
    assert sync.stores.sync_runs.active_run_id(ORG, sync.connection.id) is None


def test_a_classified_topic_costs_one_credit_and_a_failed_write_none() -> None:
    from connections.domain.errors import Conflict, StorageThrottled
    from connections.domain.topic_library import TopicLibrary
    from connections.domain.topic_requests import CreateTopicRequest
    from tests.fakes.topic_store import InMemoryTopics

    meters = InMemoryUsageMeters()
    quotas = Quotas(meters, ManualClock(FEBRUARY_25))
    quotas.set_plan(ORG, Plan.FREE)
    topics = InMemoryTopics()
    library = TopicLibrary(topics, lambda: FixedClassifier(), quotas=quotas)

    def create(name: str) -> Any:
        return library.create(CALLER, CreateTopicRequest.model_validate({"topic_name": name}))

    create("Sports fans")
    with pytest.raises(Conflict):
        create("Sports fans")  # classified, then found to be a duplicate: the credit is kept
    failing_ingest = topics.ingest

    def throttled(*args: Any, **kwargs: Any) -> Any:
        raise StorageThrottled("The database is busy; retry in a moment")

    topics.ingest = throttled  # type: ignore[method-assign]
    with pytest.raises(StorageThrottled):
        create("Car buyers")
    topics.ingest = failing_ingest  # type: ignore[method-assign]
    assert meters.used_now(ORG, "classifications") == 2

    quotas.charge(ORG, Meter.CLASSIFICATIONS, 98)
    with pytest.raises(QuotaExceeded):
        create("Car buyers")
    assert meters.used_now(ORG, "classifications") == 100


def test_a_scheduled_start_over_the_imports_quota_fails_before_any_run_exists() -> None:
    from connections.domain.scheduled_sync import ScheduledSyncs, StartOutcome

    sync = MeteredSync(segments(60))
    scheduled = sync.stores.add_connection(
        config={"base_url": "https://feed.example.com/segments", "page_size": PAGE_SIZE, "schedule": "rate(1 hour)"}
    )
    queue = RecordingPageQueue()
    schedules = ScheduledSyncs(
        sync.service, sync.stores.connections, sync.stores.sync_runs, queue, clock=sync.stores.clock.timestamp
    )
    sync.quotas.charge(ORG, Meter.IMPORTS, 5)

    outcome = schedules.start(ORG, scheduled.id, Deadline.after(30), "2026-02-25T10:00:00Z")

    assert outcome.outcome is StartOutcome.FAILED
    assert outcome.reason == (
        "Monthly quota of 5 import operations used up (5 used); it resets at 2026-03-01T00:00:00.000Z"
    )
    assert outcome.run is None
    assert sync.stores.sync_runs.active_run_id(ORG, scheduled.id) is None  # nothing stuck: the next tick can start
    assert sync.used(Meter.IMPORTS) == 5


def test_a_replayed_run_start_costs_no_second_import() -> None:
    from connections.domain.idempotency import IdempotencyClaim

    sync = MeteredSync(segments(60))
    claim = IdempotencyClaim("start_sync_run", "start-once-0001", "same-request")

    first = sync.service.start_run(CALLER, sync.connection.id, Deadline.after(30), claim)
    again = sync.service.start_run(CALLER, sync.connection.id, Deadline.after(30), claim)

    assert again.id == first.id
    assert sync.used(Meter.IMPORTS) == 1


def test_a_give_back_that_fails_leaves_the_credits_spent_and_the_first_failure_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from connections.domain.errors import StorageThrottled

    sync = MeteredSync(segments(60))
    run = sync.start()
    sync.source.fail(0, OutboundError("The platform answered HTTP 500"))

    def unavailable(*args: Any) -> None:
        raise StorageThrottled("The database is busy; retry in a moment")

    sync.meters.give_back = unavailable  # type: ignore[method-assign, assignment]
    failed = sync.page(run, 1)

    assert failed.error == "The platform answered HTTP 500"
    assert sync.used() == PAGE_SIZE  # kept: at most one page per such double failure
    assert "30 classifications of org_a could not be given back (StorageThrottled)" in caplog.text
