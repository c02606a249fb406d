"""Outbound push runs: create (one pending activation per topic and connection), push the next batch of
at most 25 (claimed before the platform call, so no segment is pushed twice), status, cancel; and the
activations list with stale detection."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connections.domain.access import Caller
from connections.domain.activation import (
    BATCH_SIZE,
    Activation,
    ActivationStatus,
    PushRun,
)
from connections.domain.activation_list import ActivationList, ActivationListing
from connections.domain.clock import SYSTEM_CLOCK, Clock
from connections.domain.connection import Connection
from connections.domain.deadline import Deadline
from connections.domain.errors import (
    Conflict,
    DomainError,
    FieldProblem,
    InvalidInput,
    PushAlreadyRunning,
    StorageThrottled,
)
from connections.domain.idempotency import IdempotencyClaim
from connections.domain.identifiers import ACTIVATION_PREFIX, RUN_PREFIX, new_id
from connections.domain.outbound_errors import (
    DeadlineExceeded,
    OutboundError,
    UpstreamStatusError,
    UpstreamUnavailable,
)
from connections.domain.run_lifecycle import RunLifecycle, connection_of_org
from connections.domain.segment_naming import template_for
from connections.domain.segment_specs import segment_spec
from connections.domain.sync_run import RunStatus
from connections.domain.topic import Topic
from connections.domain.unexpected_failures import INTERNAL_ERROR, log_unexpected, log_unrecorded
from connections.ports.connection_repository import ConnectionRepository
from connections.ports.platforms import SegmentDestination
from connections.ports.push_repository import PushRepository
from connections.ports.topic_repository import TopicRepository
from connections.profiles.registry import profile_of

if TYPE_CHECKING:  # the routes validate them; the service only reads their fields
    from connections.domain.activation_requests import StartPushRequest
    from connections.domain.list_filters import ActivationFilters


# A claim outlives the Lambda that made it (30 s at most); after this it may be pushed again.
CLAIM_LEASE_SECONDS = 120.0
# A segment whose batch failed (raised) or whose platform failed for now (429, 5xx, timeout) this many
# times fails the run; a platform's refusal (4xx) is an error of that segment at once.
MAX_PUSH_ATTEMPTS = 5


@dataclass(frozen=True)
class SegmentResult:
    topic_id: str
    status: ActivationStatus
    platform_segment_id: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"topicId": self.topic_id, "status": self.status.value}
        if self.platform_segment_id:
            body["platformSegmentId"] = self.platform_segment_id
        if self.error:
            body["error"] = self.error
        return body


@dataclass(frozen=True)
class BatchOutcome:
    """A push call's answer: the segments it settled, why the batch failed (if it did), and the run."""

    run: PushRun
    results: list[SegmentResult]
    error: str | None = None

    def to_response(self) -> dict[str, Any]:
        body: dict[str, Any] = {"results": [result.to_dict() for result in self.results]}
        if self.error:
            body |= {"error": self.error, "retryable": self.run.status is RunStatus.RUNNING}
        return body | {"run": self.run.to_status_response()}


def is_transient(error: OutboundError) -> bool:
    """Failures worth another try later: rate limits, server errors, timeouts, unreachable platform."""
    if isinstance(error, UpstreamStatusError):
        return error.status == 429 or error.status >= 500
    return isinstance(error, DeadlineExceeded | UpstreamUnavailable)


class PushService:
    def __init__(
        self,
        connections: ConnectionRepository,
        pushes: PushRepository,
        topics: TopicRepository,
        open_destination: Callable[[Connection], SegmentDestination],
        clock: Clock = SYSTEM_CLOCK,
        claim_lease_seconds: float = CLAIM_LEASE_SECONDS,
    ) -> None:
        self._connections = connections
        self._pushes = pushes
        self._lifecycle = RunLifecycle(pushes, "Push", PushAlreadyRunning)
        self._topics = topics
        self._open_destination = open_destination  # decrypts credentials: only push calls need it
        self._clock = clock
        self._claim_lease_seconds = claim_lease_seconds

    # -- create -------------------------------------------------------------------------------------

    def start_run(
        self, caller: Caller, connection_id: str, request: StartPushRequest, idempotency: IdempotencyClaim | None
    ) -> PushRun:
        connection = self._outbound_connection(caller.org_id, connection_id)
        earlier = self._lifecycle.earlier_run(caller.org_id, idempotency)
        if earlier is not None:
            return earlier
        template_for(
            connection.platform,
            # An empty key is a key like any other (unknown), not a request for the default.
            request.templateKey if request.templateKey is not None else connection.config.get("template_key"),
        )
        if profile_of(connection.platform).priced and request.cpm is None and "default_cpm" not in connection.config:
            raise InvalidInput(
                f"{profile_of(connection.platform).display_name} needs a price for each permitted use case",
                [FieldProblem("cpm", "is required when the connection has no default_cpm")],
            )
        topic_ids = list(dict.fromkeys(request.segmentIds))
        topics = self._topics.get_many(caller.org_id, topic_ids)
        unknown = [topic_id for topic_id in topic_ids if topic_id not in topics]
        if unknown:
            shown = ", ".join(unknown[:20]) + (f" and {len(unknown) - 20} more" if len(unknown) > 20 else "")
            raise InvalidInput(
                f"Unknown topic ids: {shown}",
                [FieldProblem("segmentIds", f"unknown topic id '{topic_id}'") for topic_id in unknown[:100]],
            )
        existing = self._pushes.activations_for(caller.org_id, connection.id, topic_ids)
        in_flight = sum(activation.claimed_until > self._clock.epoch() for activation in existing.values())
        if in_flight:
            # A cancelled run's batch is still talking to the platform; resetting its activations now
            # would drop its claims and push those segments a second time.
            raise Conflict(f"{in_flight} of these segments are still being pushed by an earlier run; retry shortly")
        now = self._clock.timestamp()
        run = PushRun(
            id=new_id(RUN_PREFIX),
            org_id=caller.org_id,
            connection_id=connection.id,
            status=RunStatus.RUNNING,
            total_segments=len(topic_ids),
            started_at=now,
            updated_at=now,
            template_key=request.templateKey,
            cpm=request.cpm,
            currency=request.currency,
        )
        self._lifecycle.ensure_idle(connection.org_id, connection.id)
        started = self._lifecycle.start(run, idempotency)
        if started is not run:  # an earlier request with the same Idempotency-Key started it
            return started
        try:
            self._pushes.put_activations(
                [
                    self._pending(connection, run, topics[topic_id], existing.get(topic_id), now)
                    for topic_id in topic_ids
                ]
            )
        except Exception:
            self._pushes.finish(run, RunStatus.FAILED, self._clock.timestamp())  # frees the connection for a retry
            raise
        return run

    def _pending(
        self, connection: Connection, run: PushRun, topic: Topic, existing: Activation | None, now: str
    ) -> Activation:
        """The activation to push in this run: the existing one reset to pending, or a new one."""
        if existing is not None:
            return existing.changed(status=ActivationStatus.PENDING, run_id=run.id, updated_at=now)
        return Activation(
            id=new_id(ACTIVATION_PREFIX),
            org_id=run.org_id,
            topic_id=topic.id,
            connection_id=connection.id,
            platform=connection.platform.value,
            topic_name=topic.name,
            status=ActivationStatus.PENDING,
            created_at=now,
            updated_at=now,
            run_id=run.id,
        )

    # -- batches ------------------------------------------------------------------------------------

    def push_batch(self, caller: Caller, connection_id: str, run_id: str, deadline: Deadline) -> BatchOutcome:
        """Push the next batch of at most 25 pending segments of the run."""
        run = self.get_run(caller, connection_id, run_id)
        self._lifecycle.ensure_running(run, "no more batches can be pushed")
        connection = self._outbound_connection(caller.org_id, connection_id)
        # Before any claim: a connection that cannot build its destination must not hold segments.
        destination = self._open_destination(connection)
        token = uuid.uuid4().hex
        claimed = [
            activation
            for activation in self._pushes.pending_for_run(run, BATCH_SIZE, self._clock.epoch())
            if self._pushes.claim(activation, run.id, token, self._claim_lease_seconds)
        ]
        if not claimed:
            if not self._pushes.pending_for_run(run, 1, self._clock.epoch(), include_claimed=True):
                # Nothing pending, claimed or not: the run is over (its start may have been cut short).
                return BatchOutcome(self._pushes.finish(run, RunStatus.COMPLETED, self._clock.timestamp()) or run, [])
            raise Conflict("Every pending segment of this run is being pushed by another call; poll the status")
        try:
            outcome, crash = self._push_claimed(connection, run, destination, claimed, token, deadline)
        except StorageThrottled:
            # Given back but not counted, as for sync pages: a throttle says nothing about the segments,
            # and the caller is answered 503 with Retry-After.
            self._release_quietly(run, claimed, token, None)
            raise
        except Exception as failure:
            outcome, crash = BatchOutcome(run, []), failure
        if crash is None:
            return outcome
        if isinstance(crash, DomainError):
            message = crash.message
        else:  # a bug or a fault below us; its text may carry topic data
            log_unexpected(f"Push batch of {run.id}", crash)
            message = INTERNAL_ERROR
        return self._batch_failed(outcome, claimed, token, message)

    def _push_claimed(
        self,
        connection: Connection,
        run: PushRun,
        destination: SegmentDestination,
        claimed: list[Activation],
        token: str,
        deadline: Deadline,
    ) -> tuple[BatchOutcome, Exception | None]:
        """Push the claimed segments and record and count what each did. A segment whose push raised is
        left claimed and returned as the batch's failure, after its siblings' outcomes are written (they
        were pushed: dropping their outcomes would push them twice)."""
        topics = self._topics.get_many(run.org_id, [activation.topic_id for activation in claimed])
        workers = profile_of(connection.platform).push_concurrency
        with ThreadPoolExecutor(max_workers=min(workers, len(claimed))) as pool:
            pushed = list(
                pool.map(
                    lambda activation: self._push_caught(connection, run, destination, activation, topics, deadline),
                    claimed,
                )
            )
        results: list[SegmentResult] = []
        retried: list[int] = []  # attempts so far of each segment the platform failed for now
        for activation, outcome in zip(claimed, pushed, strict=True):
            if not isinstance(outcome, Activation):
                continue
            result = SegmentResult(activation.topic_id, outcome.status, outcome.platform_segment_id, outcome.last_error)
            if outcome.status is ActivationStatus.PENDING:
                # The platform failed for now (rate limit, 5xx, timeout): given back at once with one more
                # attempt, so a platform that never recovers fails the run instead of keeping it running.
                attempts = self._pushes.release(activation, token, outcome.last_error)
                if attempts is not None:
                    retried.append(attempts)
                    results.append(result)
            elif self._pushes.record_outcome(outcome, token):
                results.append(result)
        succeeded = sum(result.status is ActivationStatus.ACTIVE for result in results)
        failed = sum(result.status is ActivationStatus.ERROR for result in results)
        updated = self._pushes.add_batch(run, succeeded, failed, self._clock.timestamp()) or self._lifecycle.latest(run)
        crash = next((outcome for outcome in pushed if isinstance(outcome, Exception)), None)
        if retried and updated.status is RunStatus.RUNNING:
            return self._retried_later(updated, results, retried), crash
        if crash is None and updated.status is RunStatus.RUNNING and updated.pending_count == 0:
            updated = self._pushes.finish(updated, RunStatus.COMPLETED, self._clock.timestamp()) or updated
        return BatchOutcome(updated, results), crash

    def _retried_later(self, run: PushRun, results: list[SegmentResult], retried: list[int]) -> BatchOutcome:
        """Note why segments are still pending in the run's lastError; fail the run once one of them
        has failed MAX_PUSH_ATTEMPTS times, as for a batch that crashed."""
        message = next(result.error for result in results if result.status is ActivationStatus.PENDING)
        now = self._clock.timestamp()
        if max(retried) >= MAX_PUSH_ATTEMPTS:
            error = f"A segment's push failed {max(retried)} times: {message}"
            finished = self._pushes.finish(run, RunStatus.FAILED, now, last_error=error)
            return BatchOutcome(finished or self._lifecycle.latest(run), results, error)
        return BatchOutcome(self._pushes.note_error(run, message or "", now) or self._lifecycle.latest(run), results)

    def _push_caught(self, *args: Any) -> Activation | Exception:
        try:
            return self._push_one(*args)
        except Exception as failure:  # reported once for the batch, after the other segments are recorded
            return failure

    def _batch_failed(self, outcome: BatchOutcome, claimed: list[Activation], token: str, message: str) -> BatchOutcome:
        """Give back the claims the failed batch still holds, each with one more attempt, and set the
        run's lastError; the run fails once a segment reaches MAX_PUSH_ATTEMPTS. When even that cannot
        be written, the claims lapse (CLAIM_LEASE_SECONDS); the answer is the same failure."""
        run = outcome.run
        try:
            attempts = self._release(claimed, token, message)
            now = self._clock.timestamp()
            if max(attempts, default=0) >= MAX_PUSH_ATTEMPTS:
                error = f"A segment's batch failed {max(attempts)} times: {message}"
                finished = self._pushes.finish(run, RunStatus.FAILED, now, last_error=error)
                return BatchOutcome(finished or self._lifecycle.latest(run), outcome.results, error)
            noted = self._pushes.note_error(run, message, now)
            return BatchOutcome(noted or self._lifecycle.latest(run), outcome.results, message)
        except Exception as failure:
            log_unrecorded(f"Push batch of {run.id}", failure)
            return BatchOutcome(run, outcome.results, message)

    def _release(self, claimed: list[Activation], token: str, error: str | None) -> list[int]:
        """Give back the claims still held (outcomes already written are not), with their attempts."""
        attempts = (self._pushes.release(activation, token, error) for activation in claimed)
        return [count for count in attempts if count is not None]

    def _release_quietly(self, run: PushRun, claimed: list[Activation], token: str, error: str | None) -> None:
        try:
            self._release(claimed, token, error)
        except Exception as failure:  # the first failure is the one to report; the claims lapse instead
            log_unrecorded(f"Push batch of {run.id}", failure)

    def _push_one(
        self,
        connection: Connection,
        run: PushRun,
        destination: SegmentDestination,
        activation: Activation,
        topics: dict[str, Topic],
        deadline: Deadline,
    ) -> Activation:
        """The activation after one platform call: active, error (refused), or pending (try again later)."""
        now = self._clock.timestamp()
        topic = topics.get(activation.topic_id)
        if topic is None:
            return activation.changed(
                status=ActivationStatus.ERROR, last_error="Topic no longer exists", updated_at=now
            )
        template_key = run.template_key or connection.config.get("template_key")
        spec = segment_spec(topic, connection, template_key, run.cpm, run.currency)
        try:
            if activation.platform_segment_id:
                pushed = destination.update_segment(activation.platform_segment_id, spec, deadline)
            else:
                pushed = destination.create_segment(spec, deadline)
        except OutboundError as failure:
            status = ActivationStatus.PENDING if is_transient(failure) else ActivationStatus.ERROR
            return activation.changed(status=status, last_error=failure.message, updated_at=now)
        return activation.changed(
            status=ActivationStatus.ACTIVE,
            platform_segment_id=pushed.platform_segment_id,
            pushed_name=spec.name,
            pushed_description=spec.description,
            engine_version_at_push=topic.classification.engine_version if topic.classification else None,
            topic_name=topic.name,
            activated_at=activation.activated_at or now,
            last_error=None,
            platform_note=None,
            template_key=run.template_key,
            updated_at=now,
        )

    # -- status, cancel, list -----------------------------------------------------------------------

    def get_run(self, caller: Caller, connection_id: str, run_id: str) -> PushRun:
        """The connection's push run (NotFound otherwise)."""
        return self._lifecycle.get(caller.org_id, connection_id, run_id)

    def cancel(self, caller: Caller, connection_id: str, run_id: str) -> PushRun:
        """Stop the run; its remaining activations stay pending."""
        return self._lifecycle.cancel(
            caller.org_id,
            connection_id,
            run_id,
            lambda run: self._pushes.finish(run, RunStatus.CANCELLED, self._clock.timestamp()),
        )

    def list_activations(self, caller: Caller, filters: ActivationFilters) -> ActivationListing:
        """One page of the organisation's activations (activation_list.py)."""
        return ActivationList(self._connections, self._pushes, self._topics).page(caller, filters)

    # -- helpers ------------------------------------------------------------------------------------

    def _outbound_connection(self, org_id: str, connection_id: str) -> Connection:
        connection = connection_of_org(self._connections, org_id, connection_id)
        if not connection.direction.pushes:
            raise InvalidInput("Pushes need an outbound or bidirectional connection; this one is inbound")
        return connection
