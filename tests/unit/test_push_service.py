"""PushService on the in-memory stores: batches of at most 25, claims that keep a segment from being
pushed twice, leases, the attempt limit, transient platform answers, and segment naming (no AWS, no
network)."""

from __future__ import annotations

from typing import Any

import pytest

from connections.domain.access import AuthType, Caller
from connections.domain.activation import BATCH_SIZE, Activation, ActivationStatus
from connections.domain.activation_requests import StartPushRequest
from connections.domain.deadline import Deadline
from connections.domain.errors import Conflict, InvalidInput, PushAlreadyRunning
from connections.domain.idempotency import IdempotencyClaim
from connections.domain.list_filters import ActivationFilters
from connections.domain.outbound_errors import UpstreamStatusError
from connections.domain.platforms import Direction, Platform
from connections.domain.push_service import CLAIM_LEASE_SECONDS, MAX_PUSH_ATTEMPTS, BatchOutcome, PushService
from connections.domain.sync_run import RunStatus
from connections.domain.topic import Topic
from connections.domain.unexpected_failures import INTERNAL_ERROR
from tests.fakes.classifiers import ENGINE_VERSION, interest
from tests.fakes.connection_store import RunLock
from tests.fakes.in_memory_platforms import RecordingDestination
from tests.fakes.in_memory_stores import ORG, InMemoryStores

CALLER = Caller(ORG, "user_1", AuthType.SESSION)
AUTOMOTIVE = interest("483", "Automotive")


class Push:
    """A push service over fresh stores, one outbound LiveRamp connection and ``count`` topics."""

    def __init__(self, count: int, config: dict[str, Any] | None = None) -> None:
        self.stores = InMemoryStores()
        self.connection = self.stores.add_connection(
            Platform.LIVERAMP, Direction.OUTBOUND, config if config is not None else {"default_cpm": 1.5}
        )
        self.topics = self.stores.add_topics([f"Topic {number:02d}" for number in range(count)], AUTOMOTIVE)
        self.destination = RecordingDestination("LiveRamp")
        self.service = PushService(
            self.stores.connections,
            self.stores.push_runs,
            self.stores.topics,
            open_destination=lambda connection: self.destination,
            clock=self.stores.clock,
        )

    def start(self, topics: list[Topic] | None = None, idempotency: IdempotencyClaim | None = None, **body: Any):
        ids = [topic.id for topic in (self.topics if topics is None else topics)]
        request = StartPushRequest.model_validate({"segmentIds": ids, **body})
        return self.service.start_run(CALLER, self.connection.id, request, idempotency)

    def batch(self, run: Any) -> BatchOutcome:
        return self.service.push_batch(CALLER, self.connection.id, run.id, Deadline.after(30))

    def activations(self) -> list[Activation]:
        return self.stores.push_runs.list_activations(ORG, self.connection.id)

    def claim_as_another_call(
        self, run: Any, limit: int, lease_seconds: float = CLAIM_LEASE_SECONDS
    ) -> list[Activation]:
        pending = self.stores.push_runs.pending_for_run(run, limit, self.stores.clock.epoch())
        return [a for a in pending if self.stores.push_runs.claim(a, run.id, "other-call", lease_seconds)]


def test_a_run_starts_with_one_pending_activation_per_topic() -> None:
    push = Push(3)

    run = push.start(push.topics + push.topics[:1])  # a repeated id counts once

    assert (run.status, run.total_segments, run.total_batches) == (RunStatus.RUNNING, 3, 1)
    assert {a.status for a in push.activations()} == {ActivationStatus.PENDING}
    assert {a.run_id for a in push.activations()} == {run.id}


def test_a_batch_pushes_at_most_25_and_the_last_completes_the_run() -> None:
    push = Push(BATCH_SIZE + 5)
    run = push.start()

    first = push.batch(run)
    second = push.batch(run)

    assert (len(first.results), len(second.results)) == (BATCH_SIZE, 5)
    assert first.run.status is RunStatus.RUNNING
    assert (second.run.status, second.run.success_count, second.run.processed_batches) == (RunStatus.COMPLETED, 30, 2)
    assert sorted(push.destination.pushed_ids) == sorted(topic.id for topic in push.topics)  # each once
    assert {a.status for a in push.activations()} == {ActivationStatus.ACTIVE}
    with pytest.raises(Conflict, match="completed"):
        push.batch(run)


def test_a_segment_claimed_by_another_call_is_not_pushed() -> None:
    push = Push(BATCH_SIZE + 5)
    run = push.start()
    taken = push.claim_as_another_call(run, BATCH_SIZE)

    outcome = push.batch(run)

    assert len(taken) == BATCH_SIZE
    assert len(outcome.results) == 5
    assert not {a.topic_id for a in taken} & set(push.destination.pushed_ids)
    with pytest.raises(Conflict, match="being pushed by another call"):
        push.batch(run)
    assert len(push.destination.created) == 5


def test_claims_of_a_call_that_died_are_offered_again_after_the_lease() -> None:
    push = Push(3)
    run = push.start()
    # A call claims every segment and never comes back.
    taken = push.claim_as_another_call(run, BATCH_SIZE)
    push.stores.clock.advance(CLAIM_LEASE_SECONDS - 1)
    with pytest.raises(Conflict, match="being pushed by another call"):
        push.batch(run)  # the claims still hold a second before their lease runs out
    push.stores.clock.advance(2)

    outcome = push.batch(run)

    assert len(taken) == 3
    assert len(outcome.results) == 3
    assert outcome.run.status is RunStatus.COMPLETED
    # The late call's outcome is refused: its claim is gone, so nothing it pushed is recorded twice.
    assert not push.stores.push_runs.record_outcome(taken[0].changed(status=ActivationStatus.ERROR), "other-call")
    assert {a.status for a in push.activations()} == {ActivationStatus.ACTIVE}


def test_a_segment_whose_batch_fails_max_attempts_times_fails_the_run() -> None:
    push = Push(2)
    run = push.start()
    failing = push.topics[0].id
    push.destination.fail(failing, *[RuntimeError("bug")] * MAX_PUSH_ATTEMPTS)

    outcomes = [push.batch(run) for _ in range(MAX_PUSH_ATTEMPTS)]

    for outcome in outcomes[:-1]:
        assert (outcome.error, outcome.run.status, outcome.run.last_error) == (
            INTERNAL_ERROR,
            RunStatus.RUNNING,
            INTERNAL_ERROR,
        )
    last = outcomes[-1]
    assert last.error == f"A segment's batch failed {MAX_PUSH_ATTEMPTS} times: {INTERNAL_ERROR}"
    assert last.run.status is RunStatus.FAILED
    assert [result.topic_id for result in outcomes[0].results] == [push.topics[1].id]  # its sibling went out
    [failed] = [a for a in push.activations() if a.topic_id == failing]
    assert (failed.status, push.stores.push_runs.push_attempts(failed)) == (ActivationStatus.PENDING, MAX_PUSH_ATTEMPTS)
    assert push.destination.pushed_ids == [push.topics[1].id]  # the sibling was pushed once, not per retry


def test_a_transient_platform_answer_leaves_the_segment_pending_for_a_later_batch() -> None:
    push = Push(1)
    run = push.start()
    push.destination.fail(push.topics[0].id, UpstreamStatusError(429, "Too many requests"))

    throttled = push.batch(run)
    retried = push.batch(run)

    assert [(r.status, r.error) for r in throttled.results] == [(ActivationStatus.PENDING, "Too many requests")]
    assert (throttled.run.status, throttled.run.last_error) == (RunStatus.RUNNING, "Too many requests")
    assert push.stores.push_runs.push_attempts(push.activations()[0]) == 1
    assert [r.status for r in retried.results] == [ActivationStatus.ACTIVE]
    assert retried.run.status is RunStatus.COMPLETED
    assert push.destination.pushed_ids == [push.topics[0].id]


def test_a_platform_that_stays_unavailable_fails_the_run_after_max_attempts() -> None:
    push = Push(1)
    run = push.start()
    push.destination.fail(push.topics[0].id, *[UpstreamStatusError(503)] * MAX_PUSH_ATTEMPTS)

    outcomes = [push.batch(run) for _ in range(MAX_PUSH_ATTEMPTS)]

    assert [outcome.run.status for outcome in outcomes[:-1]] == [RunStatus.RUNNING] * (MAX_PUSH_ATTEMPTS - 1)
    assert outcomes[0].run.last_error == "Platform returned HTTP 503"
    assert outcomes[-1].run.status is RunStatus.FAILED
    assert outcomes[-1].error == f"A segment's push failed {MAX_PUSH_ATTEMPTS} times: Platform returned HTTP 503"
    assert push.stores.push_runs.push_attempts(push.activations()[0]) == MAX_PUSH_ATTEMPTS
    assert push.destination.pushed_ids == []


def test_a_refusing_platform_answer_is_an_error_for_that_segment() -> None:
    push = Push(2)
    run = push.start()
    push.destination.fail(push.topics[0].id, UpstreamStatusError(400, "Name is not allowed"))

    outcome = push.batch(run)

    assert [r.status for r in outcome.results] == [ActivationStatus.ERROR, ActivationStatus.ACTIVE]
    assert (outcome.run.status, outcome.run.success_count, outcome.run.error_count) == (RunStatus.COMPLETED, 1, 1)


def test_a_new_run_cannot_reset_segments_an_earlier_run_is_still_pushing() -> None:
    push = Push(2)
    run = push.start()
    push.claim_as_another_call(run, BATCH_SIZE)
    push.service.cancel(CALLER, push.connection.id, run.id)

    with pytest.raises(Conflict, match="still being pushed by an earlier run"):
        push.start()


def test_one_running_push_per_connection_and_idempotent_starts() -> None:
    push = Push(2)
    claim = IdempotencyClaim("start_push_run", "key-00000001", "fingerprint")
    run = push.start(idempotency=claim)

    assert push.start(idempotency=claim).id == run.id
    with pytest.raises(Conflict, match="different request"):
        push.start(push.topics[:1], IdempotencyClaim("start_push_run", "key-00000001", "another request"))
    with pytest.raises(PushAlreadyRunning):
        push.start()
    push.service.cancel(CALLER, push.connection.id, run.id)
    assert push.start().id != run.id


def test_a_lock_left_by_a_run_that_ended_without_releasing_it_is_freed_at_the_next_start() -> None:
    push = Push(2)
    ended = push.start()
    # The run ended but its lock stayed (a crash between the run's last write and the release).
    push.stores.push_runs.finish(ended, RunStatus.COMPLETED, push.stores.clock.timestamp())
    push.stores.connections.take_lock(ORG, push.connection.id, RunLock.PUSH, ended.id)

    run = push.start()

    assert push.stores.push_runs.active_run_id(ORG, push.connection.id) == run.id


def test_segments_are_named_by_the_platform_default_or_the_runs_template() -> None:
    push = Push(1)
    push.batch(push.start())
    default = push.destination.created[-1]
    push.batch(push.start(templateKey="name", cpm=2.0, currency="EUR"))
    named = push.destination.updated[-1]

    assert default.name == "Interest > Automotive > Topic 00"  # LiveRamp: iab_path
    assert (default.cpm, default.currency, default.taxonomy_path) == (1.5, "USD", ("Interest", "Automotive"))
    assert named == ("seg_1", named[1])  # the second push updates the segment the first created
    assert (named[1].name, named[1].cpm, named[1].currency) == ("Topic 00", 2.0, "EUR")


@pytest.mark.parametrize("template_key", ["", "no_such_template"])
def test_an_unknown_template_is_refused_before_the_run_starts(template_key: str) -> None:
    push = Push(1)

    with pytest.raises(InvalidInput, match="Unknown template"):
        push.start(templateKey=template_key)

    assert push.stores.push_runs.list_activations(ORG) == []
    assert push.stores.connections.lock_holder(ORG, push.connection.id, RunLock.PUSH) is None


def test_activations_become_stale_when_the_name_they_would_get_moves() -> None:
    push = Push(1)
    push.batch(push.start())
    fresh = push.service.list_activations(CALLER, ActivationFilters()).rows
    connection = push.stores.connections.get(ORG, push.connection.id)
    assert connection is not None
    push.stores.connections.replace(
        connection.changed(config={"template_key": "iab_code"}, version=2), connection.version, None
    )

    moved = push.service.list_activations(CALLER, ActivationFilters()).rows

    assert [(row["stale"], row["engineVersionAtPush"]) for row in fresh] == [(False, ENGINE_VERSION)]
    assert [(row["stale"], row["currentPlatformName"]) for row in moved] == [(True, "Topic 00 (IAB 483)")]
