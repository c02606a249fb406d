"""A sync run's state: pages, counters and status (DESIGN.md section 8)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

DEFAULT_PAGE_SIZE = 100
MAX_ERROR_SAMPLES = 10


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


def total_pages(total_items: int | None, page_size: int) -> int | None:
    """Pages needed for ``total_items`` (None when the platform gave no total)."""
    return None if total_items is None else math.ceil(total_items / page_size)


@dataclass(frozen=True)
class ItemError:
    """Why one item of a page could not become a topic."""

    index: int
    reason: str
    external_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "externalId": self.external_id, "reason": self.reason}


@dataclass(frozen=True)
class PageResult:
    """What one page did; stored with the page so a repeated call returns it unchanged."""

    page: int
    fetched: int
    inserted: int
    duplicates: int
    errors: int
    error_samples: tuple[ItemError, ...] = ()

    def __post_init__(self) -> None:
        if self.inserted + self.duplicates + self.errors != self.fetched:
            raise ValueError("page counts must add up to the items fetched")

    def to_dict(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "fetched": self.fetched,
            "inserted": self.inserted,
            "duplicates": self.duplicates,
            "errors": self.errors,
            "errorSamples": [sample.to_dict() for sample in self.error_samples],
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> PageResult:
        return cls(
            page=int(values["page"]),
            fetched=int(values["fetched"]),
            inserted=int(values["inserted"]),
            duplicates=int(values["duplicates"]),
            errors=int(values["errors"]),
            error_samples=tuple(
                ItemError(int(sample["index"]), str(sample["reason"]), sample.get("externalId"))
                for sample in values.get("errorSamples", [])
            ),
        )


@dataclass(frozen=True)
class SyncRun:
    id: str
    org_id: str
    connection_id: str
    status: RunStatus
    page_size: int
    total_items: int | None
    total_pages: int | None
    started_at: str
    updated_at: str
    processed_pages: int = 0
    success_count: int = 0
    error_count: int = 0
    duplicate_count: int = 0
    completed_at: str | None = None
    last_error: str | None = None
    trigger: str = "api"
    # Every page below this one is done (a low-water mark, raised as pages finish; open_pages.py).
    first_open_page: int = 1

    def changed(self, **changes: Any) -> SyncRun:
        return replace(self, **changes)

    @property
    def all_pages_done(self) -> bool:
        return self.total_pages is not None and self.processed_pages >= self.total_pages

    def to_created_response(self) -> dict[str, Any]:
        return {
            "runId": self.id,
            "totalItems": self.total_items,
            "totalPages": self.total_pages,
            "status": self.status.value,
        }

    def to_status_response(self) -> dict[str, Any]:
        return {
            "runId": self.id,
            "status": self.status.value,
            "processedPages": self.processed_pages,
            "totalPages": self.total_pages,
            "totalItems": self.total_items,
            "successCount": self.success_count,
            "errorCount": self.error_count,
            "duplicateCount": self.duplicate_count,
            "startedAt": self.started_at,
            "updatedAt": self.updated_at,
            "completedAt": self.completed_at,
            "lastError": self.last_error,
        }
