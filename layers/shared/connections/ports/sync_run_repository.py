"""Storage of sync runs and their pages."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from connections.domain.idempotency import IdempotencyClaim
from connections.domain.sync_run import PageResult, RunStatus, SyncRun


class PageState(StrEnum):
    PROCESSING = "processing"
    FAILED = "failed"
    DONE = "done"


@dataclass(frozen=True)
class PageRecord:
    page: int
    state: PageState
    lease_expires: float = 0.0
    attempts: int = 0
    result: PageResult | None = None


class SyncRunRepository(Protocol):
    def active_run_id(self, org_id: str, connection_id: str) -> str | None:
        """The id of the connection's running sync, if any."""
        ...

    def start(self, run: SyncRun, idempotency: IdempotencyClaim | None) -> None:
        """Store a new running run and mark it as the connection's active sync, atomically.

        Raises SyncAlreadyRunning (another run holds the connection), NotFound (no connection),
        or IdempotentReplay (the key was used before).
        """
        ...

    def replay_of(self, org_id: str, idempotency: IdempotencyClaim) -> str | None:
        """The run id an earlier request with this key created, if any (checked before work starts)."""
        ...

    def get(self, org_id: str, run_id: str) -> SyncRun | None: ...

    def pages(self, org_id: str, run_id: str) -> dict[int, PageRecord]:
        """Every page record of the run by page number (reads them all: for inspection, not requests)."""
        ...

    def pages_from(self, org_id: str, run_id: str, first: int, limit: int) -> list[PageRecord]:
        """Up to ``limit`` page records of the run from page ``first`` up, lowest first (consistent)."""
        ...

    def raise_open_mark(self, run: SyncRun, page: int) -> None:
        """Record that every page below ``page`` is done (the run's first_open_page; never lowered)."""
        ...

    def page(self, org_id: str, run_id: str, page: int) -> PageRecord | None:
        """One page's record (a strongly consistent point read), None before the page was claimed."""
        ...

    def claim_page(self, org_id: str, run_id: str, page: int, token: str, lease_seconds: float) -> PageRecord | None:
        """Take the page for processing (None when taken); a done page's record is returned as it is."""
        ...

    def fail_page(self, run: SyncRun, page: int, token: str, error: str, now: str) -> None:
        """Release a claimed page after a failure, leaving it retryable, and set the run's lastError."""
        ...

    def release_page(self, run: SyncRun, page: int, token: str) -> None:
        """Release a claimed page at once without counting an attempt (nothing if the claim was lost)."""
        ...

    def commit_page(self, run: SyncRun, token: str, result: PageResult, now: str) -> SyncRun | None:
        """Mark the page done and add its counts to the run in one transaction (a running run, or a
        cancelled one whose page was in flight).

        Returns the updated run, or None when the claim was lost (another call finished the page).
        """
        ...

    def finish(self, run: SyncRun, status: RunStatus, now: str, **changes: object) -> SyncRun | None:
        """Move a running run to ``status`` and free its connection (None if it was no longer running)."""
        ...

    def release_connection(self, org_id: str, connection_id: str, run_id: str) -> None:
        """Free the connection for the next sync, if ``run_id`` still holds it."""
        ...
