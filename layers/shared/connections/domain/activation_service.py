"""Changes to activations one at a time and in bulk: deactivate (on the platform, then the record) and
refresh (push a stale segment again with the name and description its topic has now).

A change claims the activation before any platform call (the push claim: activation_repository.py),
so concurrent calls never send one change twice and a push batch never takes an activation being
changed; the outcome is written only while the claim holds. A retry is answered from the record: a
deactivated activation is not deactivated again and a refreshed one is no longer stale, so both are
``unchanged`` without a platform call. A platform that refuses or fails a change leaves the record as
it was and answers 409 with the platform's message (already free of credentials: credential_redaction.py).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from connections.domain.access import Caller
from connections.domain.activation import MAX_BULK_ACTIVATIONS, Activation, ActivationStatus, CurrentSegment
from connections.domain.activation_list import ActivationList, current_segment
from connections.domain.clock import SYSTEM_CLOCK, Clock
from connections.domain.connection import Connection
from connections.domain.deadline import Deadline
from connections.domain.errors import Conflict, DomainError, NotFound
from connections.domain.identifiers import ACTIVATION_PREFIX, is_valid_id
from connections.domain.list_filters import ActivationFilters
from connections.domain.outbound_errors import OutboundError, UndocumentedOperation
from connections.domain.push_service import CLAIM_LEASE_SECONDS, is_transient
from connections.domain.segment_specs import segment_spec
from connections.domain.topic import Topic
from connections.domain.unexpected_failures import INTERNAL_ERROR, log_unexpected, log_unrecorded
from connections.ports.activation_repository import ActivationRepository
from connections.ports.connection_repository import ConnectionRepository
from connections.ports.platforms import SegmentDestination
from connections.ports.push_repository import PushRepository
from connections.ports.topic_repository import TopicRepository

if TYPE_CHECKING:  # the route validates it; the service only reads its fields
    from connections.domain.activation_requests import BulkActivationRequest

# Platform calls of one bulk call in flight at once: The Trade Desk's cautious limit of a push batch
# (push_service.PLATFORM_CONCURRENCY), whichever platforms the activations are on.
BULK_CONCURRENCY = 4


class ChangeStatus(StrEnum):
    """What a change did to one activation (a bulk result's ``status``)."""

    DEACTIVATED = "deactivated"
    REFRESHED = "refreshed"
    UNCHANGED = "unchanged"
    ERROR = "error"
    NOT_FOUND = "not_found"


class ActivationBusy(Conflict):
    """A push call or another change holds the activation (409); a retry shortly after will do."""

    def __init__(self) -> None:
        super().__init__("This activation is being pushed or changed by another request; retry shortly")


class PlatformRefused(Conflict):
    """The platform refused or failed the change (409); the record is as it was."""


class NothingToRefresh(Conflict):
    """A stale activation that is not on its platform to refresh: deactivated, or pending in a push run
    (which pushes the current name). 409 by id; ``unchanged`` in bulk, where "refresh every stale one"
    must not report each deactivated one as a failure."""


@dataclass(frozen=True)
class Change:
    """An activation after a change, and the segment its topic would be pushed as now."""

    status: ChangeStatus
    activation: Activation
    current: CurrentSegment

    def to_response(self) -> dict[str, Any]:
        return self.activation.to_response(self.current)


class ActivationService:
    def __init__(
        self,
        connections: ConnectionRepository,
        activations: ActivationRepository,
        pushes: PushRepository,
        topics: TopicRepository,
        open_destination: Callable[[Connection], SegmentDestination],
        clock: Clock = SYSTEM_CLOCK,
        claim_lease_seconds: float = CLAIM_LEASE_SECONDS,
    ) -> None:
        self._connections = connections
        self._activations = activations
        self._pushes = pushes
        self._topics = topics
        self._open_destination = open_destination  # decrypts credentials: only changes that call need it
        self._clock = clock
        self._lease = claim_lease_seconds

    def deactivate(self, caller: Caller, activation_id: str, deadline: Deadline) -> Change:
        """Deactivate on the platform, then mark ``deactivated``; an activation already deactivated
        is answered as it is. Never pushed: marked without a platform call."""
        activation = self._find(caller.org_id, activation_id)
        return self._changes(caller.org_id, [activation], deadline).deactivate(activation)

    def refresh(self, caller: Caller, activation_id: str, deadline: Deadline) -> Change:
        """Push a stale activation again with its topic's current name and description (the
        platform's update); one that is not stale is answered as it is."""
        activation = self._find(caller.org_id, activation_id)
        return self._changes(caller.org_id, [activation], deadline).refresh(activation)

    def bulk(self, caller: Caller, request: BulkActivationRequest, deadline: Deadline) -> dict[str, Any]:
        """The action on up to 25 activations (the ids, or the next ones the filter finds), a result
        for each; with a filter, ``nextCursor`` says where the next call goes on (None: done)."""
        request.check_selection()
        found: dict[str, Activation | None]
        next_cursor: str | None = None
        if request.ids is not None:
            ids = list(dict.fromkeys(request.ids))
            found = {activation_id: self._find_or_none(caller.org_id, activation_id) for activation_id in ids}
        else:
            assert request.filter is not None  # check_selection: one of the two
            chosen = request.filter
            filters = ActivationFilters(
                connectionId=chosen.connectionId,
                platform=chosen.platform,
                status=chosen.status,
                stale=chosen.stale,
                limit=MAX_BULK_ACTIVATIONS,
                cursor=request.cursor,
            )
            listing = ActivationList(self._connections, self._pushes, self._topics).page(caller, filters)
            # Each change is decided on the activation as stored now, not on the listing's index entry.
            found = {row["id"]: self._find_or_none(caller.org_id, row["id"]) for row in listing.rows}
            next_cursor = listing.next_cursor
        present = [activation for activation in found.values() if activation is not None]
        changes = self._changes(caller.org_id, present, deadline)
        change = changes.deactivate if request.action.value == "deactivate" else changes.refresh
        with ThreadPoolExecutor(max_workers=BULK_CONCURRENCY) as pool:
            outcomes = dict(zip(found, pool.map(lambda item: _result(item, change), found.items()), strict=True))
        return {"action": request.action.value, "results": list(outcomes.values()), "nextCursor": next_cursor}

    # -- helpers ------------------------------------------------------------------------------------

    def _find_or_none(self, org_id: str, activation_id: str) -> Activation | None:
        if not is_valid_id(activation_id, ACTIVATION_PREFIX):
            return None
        return self._activations.find(org_id, activation_id)

    def _find(self, org_id: str, activation_id: str) -> Activation:
        activation = self._find_or_none(org_id, activation_id)
        if activation is None:
            raise NotFound("Activation not found")
        return activation

    def _changes(self, org_id: str, activations: list[Activation], deadline: Deadline) -> _Changes:
        connection_ids = {activation.connection_id for activation in activations}
        if len(connection_ids) == 1:
            (only,) = connection_ids
            found = self._connections.get(org_id, only)
            connections = {only: found} if found is not None else {}
        else:  # at most 20 per organisation: one read for all
            connections = {connection.id: connection for connection in self._connections.list_for_org(org_id)}
        topics = self._topics.get_many(org_id, list({activation.topic_id for activation in activations}))
        return _Changes(
            self._activations, self._open_destination, self._clock, self._lease, connections, topics, deadline
        )


def _result(item: tuple[str, Activation | None], change: Callable[[Activation], Change]) -> dict[str, Any]:
    """One bulk result: what the change did, or why it did nothing."""
    activation_id, activation = item
    if activation is None:
        return {"id": activation_id, "status": ChangeStatus.NOT_FOUND.value}
    try:
        return {"id": activation_id, "status": change(activation).status.value}
    except NotFound:
        return {"id": activation_id, "status": ChangeStatus.NOT_FOUND.value}
    except NothingToRefresh:
        return {"id": activation_id, "status": ChangeStatus.UNCHANGED.value}
    except DomainError as error:
        return {"id": activation_id, "status": ChangeStatus.ERROR.value, "error": error.message}
    except Exception as failure:  # a bug or a fault below us; its text may carry topic data
        log_unexpected(f"Change of {activation_id}", failure)
        return {"id": activation_id, "status": ChangeStatus.ERROR.value, "error": INTERNAL_ERROR}


class _Changes:
    """The changes of one request: its connections and topics read once, each destination opened
    (credentials decrypted) once, on the first change that calls its platform."""

    def __init__(
        self,
        activations: ActivationRepository,
        open_destination: Callable[[Connection], SegmentDestination],
        clock: Clock,
        lease_seconds: float,
        connections: dict[str, Connection],
        topics: dict[str, Topic],
        deadline: Deadline,
    ) -> None:
        self._activations = activations
        self._open_destination = open_destination
        self._clock = clock
        self._lease = lease_seconds
        self._connections = connections
        self._topics = topics
        self._deadline = deadline
        self._destinations: dict[str, SegmentDestination] = {}
        self._opening = threading.Lock()

    def deactivate(self, activation: Activation) -> Change:
        current = self._current(activation)
        if activation.status is ActivationStatus.DEACTIVATED:
            return Change(ChangeStatus.UNCHANGED, activation, current)
        connection = self._connections.get(activation.connection_id)
        # Opened before the claim: a connection that cannot build its destination must not hold it.
        destination = self._destination(connection) if activation.platform_segment_id and connection else None
        token = uuid.uuid4().hex
        claimed = self._activations.claim_change(activation, token, self._lease)
        if claimed is None:
            return self._after_lost_claim(activation, lambda now: now.status is ActivationStatus.DEACTIVATED)
        note = None
        try:
            if claimed.platform_segment_id and connection is None:
                note = "The connection was deleted, so nothing was sent to the platform"
            elif claimed.platform_segment_id:
                destination = destination or self._destination(connection)
                try:
                    destination.deactivate_segment(claimed.platform_segment_id, self._deadline)
                except UndocumentedOperation as nothing_sent:
                    note = nothing_sent.message
        except BaseException as failure:
            self._release(claimed, token)
            if isinstance(failure, OutboundError):
                raise _refused("deactivate", failure) from None
            raise
        outcome = claimed.changed(
            status=ActivationStatus.DEACTIVATED, platform_note=note, updated_at=self._clock.timestamp()
        )
        return self._record(ChangeStatus.DEACTIVATED, outcome, token, current)

    def refresh(self, activation: Activation) -> Change:
        current = self._current(activation)
        if not activation.is_stale(current):
            return Change(ChangeStatus.UNCHANGED, activation, current)
        connection, topic = self._refreshable(activation, current)
        destination = self._destination(connection)
        token = uuid.uuid4().hex
        claimed = self._activations.claim_change(activation, token, self._lease)
        if claimed is None:
            return self._after_lost_claim(activation, lambda now: not now.is_stale(self._current(now)))
        if not claimed.is_stale(current) or not claimed.platform_segment_id:  # pushed meanwhile
            self._release(claimed, token)
            return Change(ChangeStatus.UNCHANGED, claimed, current)
        template_key = claimed.template_key or connection.config.get("template_key")
        spec = segment_spec(topic, connection, template_key)
        try:
            pushed = destination.update_segment(claimed.platform_segment_id, spec, self._deadline)
        except BaseException as failure:
            self._release(claimed, token)
            if isinstance(failure, OutboundError):
                raise _refused("refresh", failure) from None
            raise
        outcome = claimed.changed(
            status=ActivationStatus.ACTIVE,
            platform_segment_id=pushed.platform_segment_id,
            pushed_name=spec.name,
            pushed_description=spec.description,
            engine_version_at_push=current.engine_version,
            topic_name=topic.name,
            last_error=None,
            platform_note=None,
            updated_at=self._clock.timestamp(),
        )
        return self._record(ChangeStatus.REFRESHED, outcome, token, current)

    def _refreshable(self, activation: Activation, current: CurrentSegment) -> tuple[Connection, Topic]:
        """The connection and topic of a stale activation that can be pushed again; Conflict otherwise."""
        if activation.status is ActivationStatus.DEACTIVATED:
            raise NothingToRefresh("This activation is deactivated; push its topic again (a push run) to activate it")
        if activation.status is ActivationStatus.PENDING:
            raise NothingToRefresh("This activation is waiting in a push run, which pushes the topic's current name")
        connection = self._connections.get(activation.connection_id)
        topic = self._topics.get(activation.topic_id)
        if connection is None:
            raise Conflict("The activation's connection was deleted; there is nothing to refresh it on")
        if topic is None:
            raise Conflict("The activation's topic no longer exists; deactivate the activation instead")
        if current.name is None:
            raise Conflict("The template this activation was pushed with is no longer known; start a push run")
        return connection, topic

    def _current(self, activation: Activation) -> CurrentSegment:
        return current_segment(
            activation, self._topics.get(activation.topic_id), self._connections.get(activation.connection_id)
        )

    def _destination(self, connection: Connection | None) -> SegmentDestination:
        assert connection is not None  # callers check that the connection exists
        with self._opening:
            if connection.id not in self._destinations:
                try:
                    self._destinations[connection.id] = self._open_destination(connection)
                except OutboundError as failure:  # e.g. a setting the platform needs is missing
                    raise PlatformRefused(failure.message) from None
            return self._destinations[connection.id]

    def _after_lost_claim(self, activation: Activation, done: Callable[[Activation], bool]) -> Change:
        """Someone else holds or changed the activation: done already (a concurrent retry of the same
        change) is ``unchanged``; otherwise ActivationBusy."""
        now = self._activations.find(activation.org_id, activation.id)
        if now is None:
            raise NotFound("Activation not found")
        if now.claimed_until <= self._clock.epoch() and done(now):
            return Change(ChangeStatus.UNCHANGED, now, self._current(now))
        raise ActivationBusy()

    def _record(self, status: ChangeStatus, outcome: Activation, token: str, current: CurrentSegment) -> Change:
        if self._activations.record_outcome(outcome, token):
            return Change(status, outcome, current)
        # The claim lapsed during the platform call and another change or push took the activation:
        # the platform call was made; the answer is the record as it is now.
        now = self._activations.find(outcome.org_id, outcome.id)
        return Change(status, now or outcome, current)

    def _release(self, claimed: Activation, token: str) -> None:
        try:
            self._activations.release(claimed, token)
        except Exception as failure:  # the first failure is the one to report; the claim lapses instead
            log_unrecorded(f"Change of {claimed.id}", failure)


def _refused(action: str, failure: OutboundError) -> PlatformRefused:
    later = "; retry later" if is_transient(failure) else ""
    return PlatformRefused(f"The platform did not {action} the segment: {failure.message}{later}")
