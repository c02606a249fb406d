"""Activations: one record per (topic, connection) saying what was pushed where, and push runs (the
request bodies and filters of the push routes: activation_requests.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from connections.domain.sync_run import RunStatus

BATCH_SIZE = 25
MAX_SEGMENTS_PER_RUN = 5000
# Activations one bulk change (POST /api/activations/bulk) goes through at most: each may make a platform
# call, and the call must end within the HTTP API's 30 seconds, as a push batch of the same size does.
MAX_BULK_ACTIVATIONS = 25


class ActivationStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    ERROR = "error"
    DEACTIVATED = "deactivated"


@dataclass(frozen=True)
class Activation:
    id: str
    org_id: str
    topic_id: str
    connection_id: str
    platform: str
    topic_name: str
    status: ActivationStatus
    created_at: str
    updated_at: str
    run_id: str | None = None
    platform_segment_id: str | None = None
    pushed_name: str | None = None
    pushed_description: str | None = None
    engine_version_at_push: str | None = None
    activated_at: str | None = None
    last_error: str | None = None
    # The template the last push asked for (None: the connection's template_key at the time of reading).
    template_key: str | None = None
    # Until when a push call holds this activation (epoch seconds; 0 when none does).
    claimed_until: float = 0.0
    # What the platform could not do at the last deactivation (e.g. it documents no way to), so the
    # segment may still be live there; None after any push.
    platform_note: str | None = None

    def changed(self, **changes: Any) -> Activation:
        return replace(self, **changes)

    @property
    def pushed(self) -> bool:
        return self.pushed_name is not None

    def is_stale(self, current: CurrentSegment) -> bool:
        """Pushed, and the name or engine version the topic would get now is not what was pushed."""
        return self.pushed and (
            current.name != self.pushed_name or current.engine_version != self.engine_version_at_push
        )

    def to_response(self, current: CurrentSegment) -> dict[str, Any]:
        """The published activation fields, then the ones this API adds (a client of the published
        page ignores them): ``stale``, ``lastError``, ``platformNote``, ``runId``, ``updatedAt``."""
        return {
            "id": self.id,
            "orgTopicId": self.topic_id,
            "connectionId": self.connection_id,
            "platform": self.platform,
            "topicName": self.topic_name,
            "status": self.status.value,
            "platformSegmentId": self.platform_segment_id,
            "pushedName": self.pushed_name,
            "pushedDescription": self.pushed_description,
            "engineVersionAtPush": self.engine_version_at_push,
            "currentPlatformName": current.name,
            "currentPlatformDesc": current.description,
            "currentEngineVersion": current.engine_version,
            "activatedAt": self.activated_at,
            "createdAt": self.created_at,
            "stale": self.is_stale(current),
            "lastError": self.last_error,
            "platformNote": self.platform_note,
            "runId": self.run_id,
            "updatedAt": self.updated_at,
        }


@dataclass(frozen=True)
class CurrentSegment:
    """The segment a topic would be pushed as now; all None when its topic or connection is gone."""

    name: str | None = None
    description: str | None = None
    engine_version: str | None = None


@dataclass(frozen=True)
class ActivationQuery:
    """One page of an organisation's activations, newest first by id, below ``after`` when given.

    ``budget``: with filters the storage cannot index (platform, a status within a connection,
    pushed only), how many activations a read may examine before it answers what it found."""

    connection_id: str | None = None
    platform: str | None = None
    status: ActivationStatus | None = None
    pushed_only: bool = False
    after: str | None = None
    skip: int = 0
    limit: int = 50
    budget: int | None = None


@dataclass(frozen=True)
class ActivationPage:
    activations: list[Activation]  # newest first
    next_after: str | None  # the activation id the next page starts below (None: nothing is left)
    examined: int = 0  # items read to find the page


@dataclass(frozen=True)
class PushRun:
    id: str
    org_id: str
    connection_id: str
    status: RunStatus
    total_segments: int
    started_at: str
    updated_at: str
    template_key: str | None = None
    cpm: float | None = None
    currency: str | None = None
    processed_batches: int = 0
    success_count: int = 0
    error_count: int = 0
    completed_at: str | None = None
    last_error: str | None = None

    @property
    def total_batches(self) -> int:
        return math.ceil(self.total_segments / BATCH_SIZE)

    @property
    def pending_count(self) -> int:
        return max(0, self.total_segments - self.success_count - self.error_count)

    def changed(self, **changes: Any) -> PushRun:
        return replace(self, **changes)

    def to_created_response(self) -> dict[str, Any]:
        return {
            "runId": self.id,
            "totalSegments": self.total_segments,
            "totalBatches": self.total_batches,
            "status": self.status.value,
        }

    def to_status_response(self) -> dict[str, Any]:
        return {
            "runId": self.id,
            "status": self.status.value,
            "processedBatches": self.processed_batches,
            "totalBatches": self.total_batches,
            "totalSegments": self.total_segments,
            "successCount": self.success_count,
            "errorCount": self.error_count,
            "pendingCount": self.pending_count,
            "startedAt": self.started_at,
            "updatedAt": self.updated_at,
            "completedAt": self.completed_at,
            "lastError": self.last_error,
        }
