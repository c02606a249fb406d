"""The in-memory stores of tests/fakes keep the rules of the DynamoDB adapters that the services rely
on: each scenario runs against both, on moto and in memory, so the unit tests' fakes cannot drift from
what is deployed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from connections.adapters.dynamodb.connection_repository import DynamoConnectionRepository
from connections.adapters.dynamodb.push_repository import DynamoPushRepository
from connections.adapters.dynamodb.sync_run_repository import DynamoSyncRunRepository
from connections.adapters.dynamodb.topic_repository import DynamoTopicRepository
from connections.domain.activation import Activation, ActivationStatus, PushRun
from connections.domain.connection import Connection
from connections.domain.errors import (
    ConcurrentModification,
    Conflict,
    ConnectionLimitReached,
    NotFound,
    PushAlreadyRunning,
    SyncAlreadyRunning,
)
from connections.domain.idempotency import IdempotencyClaim, IdempotentReplay
from connections.domain.identifiers import ACTIVATION_PREFIX, CONNECTION_PREFIX, RUN_PREFIX, new_id
from connections.domain.platforms import ConnectionStatus, Direction, Platform
from connections.domain.sync_run import PageResult, RunStatus, SyncRun
from connections.domain.topic import TopicDraft, TopicSource
from connections.ports.connection_repository import ConnectionRepository
from connections.ports.push_repository import PushRepository
from connections.ports.sync_run_repository import PageState, SyncRunRepository
from connections.ports.topic_repository import IngestKind, TopicRepository
from local.provision import LocalResources
from tests.fakes.connection_store import InMemoryConnections
from tests.fakes.run_stores import InMemoryPushRuns, InMemorySyncRuns
from tests.fakes.topic_store import InMemoryTopics

ORG = "org_a"
NOW = "2026-02-25T10:00:00.000Z"
LATER = "2026-02-25T10:05:00.000Z"
LEASE = 90.0
EXPIRED = -1.0  # a lease that has already run out when the next call comes


@dataclass
class Stores:
    connections: ConnectionRepository
    sync_runs: SyncRunRepository
    push_runs: PushRepository
    topics: TopicRepository


@pytest.fixture(params=["in_memory", "dynamodb"])
def stores(request: pytest.FixtureRequest) -> Iterator[Stores]:
    if request.param == "in_memory":
        connections = InMemoryConnections()
        yield Stores(connections, InMemorySyncRuns(connections), InMemoryPushRuns(connections), InMemoryTopics())
        return
    aws: LocalResources = request.getfixturevalue("aws")
    table = aws.table_name
    yield Stores(
        DynamoConnectionRepository(table),
        DynamoSyncRunRepository(table),
        DynamoPushRepository(table),
        DynamoTopicRepository(table),
    )


def connection(direction: Direction = Direction.BIDIRECTIONAL) -> Connection:
    return Connection(
        id=new_id(CONNECTION_PREFIX),
        org_id=ORG,
        name="Feed",
        platform=Platform.CUSTOM_API,
        direction=direction,
        config={"base_url": "https://feed.example.com"},
        status=ConnectionStatus.ACTIVE,
        created_at=NOW,
        updated_at=NOW,
    )


def sync_run(of: Connection) -> SyncRun:
    return SyncRun(new_id(RUN_PREFIX), ORG, of.id, RunStatus.RUNNING, 2, 4, 2, NOW, NOW)


def push_run(of: Connection, segments: int) -> PushRun:
    return PushRun(new_id(RUN_PREFIX), ORG, of.id, RunStatus.RUNNING, segments, NOW, NOW)


def pending(run: PushRun, topic_id: str) -> Activation:
    return Activation(
        new_id(ACTIVATION_PREFIX), ORG, topic_id, run.connection_id, "custom_api", topic_id,
        ActivationStatus.PENDING, NOW, NOW, run_id=run.id,
    )  # fmt: skip


def stored(stores: Stores, of: Connection) -> Connection:
    found = stores.connections.get(ORG, of.id)
    assert found is not None
    return found


def test_the_limit_the_idempotency_key_and_the_slot_a_delete_frees(stores: Stores) -> None:
    claim = IdempotencyClaim("create_connection", "key-00000001", "fingerprint-1")
    first, second, third = connection(), connection(), connection()
    stores.connections.create(first, b"ciphertext", 2, claim)

    with pytest.raises(IdempotentReplay) as replay:
        stores.connections.create(second, None, 2, IdempotencyClaim("create_connection", "key-00000001", "other"))
    stores.connections.create(second, None, 2)
    with pytest.raises(ConnectionLimitReached):
        stores.connections.create(third, None, 2)
    stores.connections.delete(stored(stores, first))
    stores.connections.create(third, None, 2)

    assert (replay.value.result_id, replay.value.fingerprint) == (first.id, "fingerprint-1")
    assert [c.id for c in stores.connections.list_for_org(ORG)] == sorted(
        [second.id, third.id], key=[second.id, third.id].index
    )
    assert stores.connections.get_encrypted_credentials(ORG, first.id) is None
    with pytest.raises(NotFound):
        stores.connections.delete(first)


def test_a_replace_is_conditional_on_the_version_and_keeps_the_run_locks(stores: Stores) -> None:
    record = connection()
    stores.connections.create(record, b"old", 20)
    run = sync_run(record)
    stores.sync_runs.start(run, None)

    stores.connections.replace(record.changed(name="Renamed", version=2), 1, None)
    with pytest.raises(ConcurrentModification):
        stores.connections.replace(record.changed(name="Stale", version=2), 1, b"new")
    stores.connections.record_test_result(record, LATER, ConnectionStatus.ERROR, "refused")

    now = stored(stores, record)
    assert (now.name, now.version, now.active_sync_run_id) == ("Renamed", 2, run.id)
    assert (now.last_tested_at, now.status, now.last_error) == (LATER, ConnectionStatus.ERROR, "refused")
    assert stores.connections.get_encrypted_credentials(ORG, record.id) == b"old"
    stores.connections.delete(now)
    with pytest.raises(NotFound):
        stores.connections.replace(now.changed(version=3), 2, None)


def test_one_running_sync_and_its_idempotency_key(stores: Stores) -> None:
    record = connection()
    stores.connections.create(record, None, 20)
    claim = IdempotencyClaim("start_sync_run", "key-00000001", "fingerprint")
    first = sync_run(record)
    stores.sync_runs.start(first, claim)

    with pytest.raises(IdempotentReplay) as replay:
        stores.sync_runs.start(sync_run(record), claim)
    with pytest.raises(SyncAlreadyRunning):
        stores.sync_runs.start(sync_run(record), None)
    with pytest.raises(NotFound):
        stores.sync_runs.start(sync_run(connection()), None)

    assert replay.value.result_id == first.id
    assert stores.sync_runs.replay_of(ORG, claim) == first.id
    other_request = IdempotencyClaim("start_sync_run", "key-00000001", "another fingerprint")
    with pytest.raises(Conflict, match="different request"):
        stores.sync_runs.replay_of(ORG, other_request)
    assert stores.sync_runs.active_run_id(ORG, record.id) == first.id
    finished = stores.sync_runs.finish(first, RunStatus.COMPLETED, LATER, completed_at=LATER)
    assert finished is not None and (finished.status, finished.completed_at) == (RunStatus.COMPLETED, LATER)
    assert stores.sync_runs.active_run_id(ORG, record.id) is None
    assert stores.sync_runs.finish(first, RunStatus.FAILED, LATER) is None


def test_a_page_is_claimed_leased_failed_released_and_committed_once(stores: Stores) -> None:
    record = connection()
    stores.connections.create(record, None, 20)
    run = sync_run(record)
    stores.sync_runs.start(run, None)
    result = PageResult(page=1, fetched=2, inserted=1, duplicates=1, errors=0)

    claimed = stores.sync_runs.claim_page(ORG, run.id, 1, "a", LEASE)
    assert claimed is not None and claimed.state is PageState.PROCESSING
    assert stores.sync_runs.claim_page(ORG, run.id, 1, "b", LEASE) is None  # leased
    stores.sync_runs.fail_page(run, 1, "b", "not the holder", LATER)  # a lost claim records nothing
    stores.sync_runs.fail_page(run, 1, "a", "platform down", LATER)
    failed = stores.sync_runs.pages(ORG, run.id)[1]
    assert (failed.state, failed.attempts) == (PageState.FAILED, 1)
    noted = stores.sync_runs.get(ORG, run.id)
    assert noted is not None and noted.last_error == "Page 1: platform down"

    assert stores.sync_runs.claim_page(ORG, run.id, 1, "c", EXPIRED) is not None
    assert stores.sync_runs.claim_page(ORG, run.id, 1, "d", LEASE) is not None  # c's lease ran out
    assert stores.sync_runs.commit_page(run, "c", result, LATER) is None  # c lost its claim
    stores.sync_runs.release_page(run, 1, "d")
    assert stores.sync_runs.claim_page(ORG, run.id, 1, "e", LEASE) is not None  # released at once
    committed = stores.sync_runs.commit_page(run, "e", result, LATER)

    assert committed is not None
    assert (committed.processed_pages, committed.success_count, committed.duplicate_count) == (1, 1, 1)
    assert committed.last_error is None
    done = stores.sync_runs.claim_page(ORG, run.id, 1, "f", LEASE)
    assert done is not None and (done.state, done.result, done.attempts) == (PageState.DONE, result, 1)
    assert stores.sync_runs.commit_page(run, "e", result, LATER) is None  # never counted twice


def test_a_page_in_flight_still_counts_on_a_cancelled_run_but_not_on_a_failed_one(stores: Stores) -> None:
    record = connection()
    stores.connections.create(record, None, 20)
    run = sync_run(record)
    stores.sync_runs.start(run, None)
    stores.sync_runs.claim_page(ORG, run.id, 1, "a", LEASE)
    stores.sync_runs.claim_page(ORG, run.id, 2, "b", LEASE)
    result = PageResult(page=1, fetched=1, inserted=1, duplicates=0, errors=0)

    stores.sync_runs.finish(run, RunStatus.CANCELLED, LATER)
    counted = stores.sync_runs.commit_page(run, "a", result, LATER)

    assert counted is not None and (counted.status, counted.success_count) == (RunStatus.CANCELLED, 1)
    stores.sync_runs.fail_page(run, 2, "b", "late", LATER)  # the run is over: nothing recorded
    assert stores.sync_runs.pages(ORG, run.id)[2].attempts == 0


def test_push_claims_outcomes_attempts_and_a_fresh_run(stores: Stores) -> None:
    record = connection(Direction.OUTBOUND)
    stores.connections.create(record, None, 20)
    run = push_run(record, 30)
    stores.push_runs.start(run, None)
    stores.push_runs.put_activations([pending(run, f"ot_{n:02d}") for n in range(30)])

    batch = stores.push_runs.pending_for_run(run, 25, 0.0)
    # Any 25 of the run's pending activations (the adapter reads them shard by shard), each once.
    assert len({a.topic_id for a in batch}) == 25 and {a.topic_id for a in batch} <= {f"ot_{n:02d}" for n in range(30)}
    first = batch[0]
    assert stores.push_runs.claim(first, run.id, "a", LEASE)
    assert not stores.push_runs.claim(first, run.id, "b", LEASE)
    assert not stores.push_runs.claim(first, "run_other", "c", LEASE)
    assert first.topic_id not in {a.topic_id for a in stores.push_runs.pending_for_run(run, 30, 0.0)}
    assert stores.push_runs.release(first, "b", "not the holder") is None
    assert stores.push_runs.release(first, "a", "crashed") == 1
    assert stores.push_runs.claim(first, run.id, "d", EXPIRED)
    assert stores.push_runs.claim(first, run.id, "e", LEASE)  # d's lease ran out
    assert not stores.push_runs.record_outcome(first.changed(status=ActivationStatus.ACTIVE), "d")
    assert stores.push_runs.release(first, "e", "crashed again") == 2
    assert stores.push_runs.claim(first, run.id, "f", LEASE)
    active = first.changed(status=ActivationStatus.ACTIVE, platform_segment_id="seg_1")
    assert stores.push_runs.record_outcome(active, "f")
    assert not stores.push_runs.claim(first, run.id, "g", LEASE)  # no longer pending

    listed = stores.push_runs.activations_for(ORG, record.id, [first.topic_id])
    assert (listed[first.topic_id].status, listed[first.topic_id].claimed_until) == (ActivationStatus.ACTIVE, 0.0)
    assert listed[first.topic_id].last_error is None  # the outcome is written whole
    counted = stores.push_runs.add_batch(run, 1, 0, LATER)
    assert counted is not None and (counted.processed_batches, counted.success_count) == (1, 1)
    noted = stores.push_runs.note_error(run, "slow platform", LATER)
    assert noted is not None and noted.last_error == "slow platform"
    assert stores.push_runs.finish(run, RunStatus.COMPLETED, LATER) is not None
    assert stores.push_runs.add_batch(run, 1, 0, LATER) is None

    again = push_run(record, 1)
    stores.push_runs.start(again, None)  # the lock was freed
    stores.push_runs.put_activations([first.changed(run_id=again.id, status=ActivationStatus.PENDING)])
    assert stores.push_runs.claim(first, again.id, "h", LEASE)
    assert stores.push_runs.release(first, "h", "attempts start afresh") == 1


def test_a_push_lock_left_by_a_finished_run_is_freed_at_the_next_start(stores: Stores) -> None:
    record = connection(Direction.OUTBOUND)
    stores.connections.create(record, None, 20)
    first = push_run(record, 1)
    stores.push_runs.start(first, None)

    with pytest.raises(PushAlreadyRunning):
        stores.push_runs.start(push_run(record, 1), None)
    assert stored(stores, record).active_push_run_id == first.id


def test_deleting_a_connection_cancels_its_running_sync_and_push(stores: Stores) -> None:
    record = connection()
    stores.connections.create(record, None, 20)
    sync, push = sync_run(record), push_run(record, 1)
    stores.sync_runs.start(sync, None)
    stores.push_runs.start(push, None)

    stores.connections.delete(stored(stores, record))

    for run in (stores.sync_runs.get(ORG, sync.id), stores.push_runs.get(ORG, push.id)):
        assert run is not None and (run.status, run.last_error) == (RunStatus.CANCELLED, "Connection was deleted")


def test_topics_are_unique_by_name_and_external_id_and_duplicates_fill_gaps(stores: Stores) -> None:
    first = stores.topics.ingest(
        ORG, TopicSource.SYNC, "conn_1",
        [TopicDraft("Golf Fans", "ext-1"), TopicDraft("Tennis Fans", "ext-2", description="Players")],
        "run_a#1", NOW,
    )  # fmt: skip
    again = stores.topics.ingest(
        ORG, TopicSource.SYNC, "conn_1",
        [
            TopicDraft("golf fans!", "ext-9", description="Filled in", category="Sports"),  # same name
            TopicDraft("Tennis Players", "ext-2", description="Not replaced"),  # same external id
            TopicDraft("Chess Fans", None),
        ],
        "run_b#1", LATER,
    )  # fmt: skip
    retried = stores.topics.ingest(ORG, TopicSource.SYNC, "conn_1", [TopicDraft("Chess Fans")], "run_b#1", LATER)
    renamed = stores.topics.ingest(ORG, TopicSource.SYNC, "conn_1", [TopicDraft("Golfers", "ext-9")], "run_c#1", LATER)
    manual = stores.topics.ingest(
        ORG, TopicSource.MANUAL, None, [TopicDraft("Tennis Fans", description="x")], "manual#1", LATER,
        enrich_duplicates=False,
    )  # fmt: skip

    golf, tennis = (outcome.topic_id for outcome in first)
    assert [outcome.kind for outcome in first] == [IngestKind.INSERTED, IngestKind.INSERTED]
    assert [(o.kind, o.topic_id) for o in again[:2]] == [(IngestKind.DUPLICATE, golf), (IngestKind.DUPLICATE, tennis)]
    assert again[2].kind is IngestKind.INSERTED
    assert [(o.kind, o.topic_id) for o in retried] == [(IngestKind.INSERTED, again[2].topic_id)]  # its own insert
    assert [(o.kind, o.topic_id) for o in renamed] == [(IngestKind.DUPLICATE, golf)]  # ext-9 was linked by name
    assert [(o.kind, o.topic_id) for o in manual] == [(IngestKind.DUPLICATE, tennis)]
    topics = stores.topics.get_many(ORG, [golf, tennis])
    assert (topics[golf].description, topics[golf].category, topics[golf].external_id) == (
        "Filled in",
        "Sports",
        "ext-1",
    )
    assert (topics[golf].last_seen_at, topics[tennis].description) == (LATER, "Players")
    assert [topic.name for topic in stores.topics.list_for_org(ORG)] == ["Golf Fans", "Tennis Fans", "Chess Fans"]
