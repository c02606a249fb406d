"""Storage of push runs and activations (one per topic and connection)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from connections.domain.activation import Activation, ActivationPage, ActivationQuery, PushRun
from connections.domain.idempotency import IdempotencyClaim
from connections.domain.sync_run import RunStatus


class PushRepository(Protocol):
    def replay_of(self, org_id: str, idempotency: IdempotencyClaim) -> str | None:
        """The run id an earlier request with this key created, if any."""
        ...

    def start(self, run: PushRun, idempotency: IdempotencyClaim | None) -> None:
        """Store a running run holding the connection (PushAlreadyRunning / NotFound / IdempotentReplay)."""
        ...

    def active_run_id(self, org_id: str, connection_id: str) -> str | None:
        """The id of the run holding the connection's push lock, if any."""
        ...

    def release_connection(self, org_id: str, connection_id: str, run_id: str) -> None:
        """Free the connection for the next push, if ``run_id`` still holds it."""
        ...

    def activations_for(self, org_id: str, connection_id: str, topic_ids: Sequence[str]) -> dict[str, Activation]:
        """The existing activations of these topics on the connection, by topic id."""
        ...

    def put_activations(self, activations: Sequence[Activation]) -> None:
        """Write activations as given (batched; creates or resets them for a run)."""
        ...

    def get(self, org_id: str, run_id: str) -> PushRun | None: ...

    def pending_for_run(
        self, run: PushRun, limit: int, now_epoch: float, *, include_claimed: bool = False
    ) -> list[Activation]:
        """Up to ``limit`` activations of the run that are pending and not claimed (or claimed with a
        lease expired at ``now_epoch``); with ``include_claimed``, claimed or not."""
        ...

    def claim(self, activation: Activation, run_id: str, token: str, lease_seconds: float) -> bool:
        """Take a pending activation of the run for one push; False when someone else has it."""
        ...

    def record_outcome(self, activation: Activation, token: str) -> bool:
        """Write a pushed activation's outcome if the claim still holds (False otherwise)."""
        ...

    def release(self, activation: Activation, token: str, error: str | None) -> int | None:
        """Give back a claim after a failed batch, still pending. With ``error`` one more attempt is
        counted and noted on the activation; returns its attempts so far (None: the claim was lost)."""
        ...

    def add_batch(self, run: PushRun, succeeded: int, failed: int, now: str) -> PushRun | None:
        """Count a processed batch on a running run and clear its lastError (None when not running)."""
        ...

    def note_error(self, run: PushRun, error: str, now: str) -> PushRun | None:
        """Set a running run's lastError (None when the run is no longer running)."""
        ...

    def finish(self, run: PushRun, status: RunStatus, now: str, last_error: str | None = None) -> PushRun | None:
        """Close a running run and free its connection (None when it was no longer running)."""
        ...

    def list_page(self, org_id: str, query: ActivationQuery) -> ActivationPage:
        """One page of the organisation's activations for ``query`` (never all of them)."""
        ...
