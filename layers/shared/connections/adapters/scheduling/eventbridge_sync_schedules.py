"""SyncSchedules on EventBridge Scheduler: one schedule per connection in the stack's schedule group.

The schedule's name is derived from the organisation and the connection (``sync-<connection id>-<org
digest>``), so a write is idempotent and one organisation can never name another's schedule. It
invokes the ScheduledSync function through the role EventBridge Scheduler assumes (``role_arn``),
with ``{"orgId", "connectionId", "scheduledTime"}`` as the event; ``scheduledTime`` is filled in by
the scheduler for every invocation and is what makes a retried invocation find its first run.

A flexible time window spreads the invocations of many organisations that chose the same time.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from connections.adapters.aws_clients import new_client

FLEXIBLE_WINDOW_MINUTES = 5
# Delivery retries of the scheduler itself (throttling, the function being unavailable).
TARGET_RETRY_ATTEMPTS = 3
TARGET_MAX_EVENT_AGE_SECONDS = 3600
SCHEDULED_TIME_PLACEHOLDER = "<aws.scheduler.scheduled-time>"


@cache
def scheduler_client() -> Any:
    """One EventBridge Scheduler client per container, created on first use."""
    return new_client("scheduler")


def schedule_name(org_id: str, connection_id: str) -> str:
    """The schedule of a connection (at most 64 characters of ``[0-9A-Za-z_.-]``)."""
    digest = hashlib.sha256(org_id.encode()).hexdigest()[:16]
    return f"sync-{connection_id}-{digest}"


def target_input(org_id: str, connection_id: str) -> dict[str, str]:
    """The event a schedule sends to the ScheduledSync function."""
    return {"orgId": org_id, "connectionId": connection_id, "scheduledTime": SCHEDULED_TIME_PLACEHOLDER}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class EventBridgeSyncSchedules:
    def __init__(self, group_name: str, target_arn: str, role_arn: str, client: Any | None = None) -> None:
        self._group = group_name
        self._target_arn = target_arn
        self._role_arn = role_arn
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = scheduler_client()
        return self._client

    def put(self, org_id: str, connection_id: str, expression: str, *, exists: bool) -> None:
        """Create or update the schedule; whichever call is unlikely to apply is only the fallback."""
        request = self._request(org_id, connection_id, expression)
        first, second = (
            (self.client.update_schedule, self.client.create_schedule)
            if exists
            else (self.client.create_schedule, self.client.update_schedule)
        )
        try:
            first(**request)
        except ClientError as error:
            # Update of a missing schedule, or create of one that exists: the other call applies.
            if _code(error) not in ("ResourceNotFoundException", "ConflictException"):
                raise
            second(**request)

    def remove(self, org_id: str, connection_id: str) -> None:
        try:
            self.client.delete_schedule(Name=schedule_name(org_id, connection_id), GroupName=self._group)
        except ClientError as error:
            if _code(error) != "ResourceNotFoundException":
                raise

    def describe(self, org_id: str, connection_id: str) -> dict[str, Any] | None:
        """The stored schedule as GetSchedule returns it, or None (local tools and tests only)."""
        try:
            return dict(self.client.get_schedule(Name=schedule_name(org_id, connection_id), GroupName=self._group))
        except ClientError as error:
            if _code(error) == "ResourceNotFoundException":
                return None
            raise

    def _request(self, org_id: str, connection_id: str, expression: str) -> dict[str, Any]:
        return {
            "Name": schedule_name(org_id, connection_id),
            "GroupName": self._group,
            "Description": f"Scheduled sync of connection {connection_id} of {org_id}"[:512],
            "ScheduleExpression": expression,
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": FLEXIBLE_WINDOW_MINUTES},
            "State": "ENABLED",
            "Target": {
                "Arn": self._target_arn,
                "RoleArn": self._role_arn,
                "Input": json.dumps(target_input(org_id, connection_id)),
                "RetryPolicy": {
                    "MaximumRetryAttempts": TARGET_RETRY_ATTEMPTS,
                    "MaximumEventAgeInSeconds": TARGET_MAX_EVENT_AGE_SECONDS,
                },
            },
        }
