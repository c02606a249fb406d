"""The ScheduledSync function's edge: the event EventBridge Scheduler sends, the outcome's logs and metrics."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connections.domain.deadline import Deadline
from connections.domain.scheduled_sync import StartOutcome
from connections.observability import MetricUnit, logger, metrics, tracer
from connections.wiring import scheduled_syncs

# Kept back from the invocation's time for queuing the pages after the platform's count.
ENQUEUE_MARGIN_SECONDS = 10.0


class ScheduledSyncEvent(BaseModel):
    """The schedule's target input (adapters/scheduling/eventbridge_sync_schedules.py builds it)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    org_id: str = Field(alias="orgId", min_length=1, max_length=128)
    connection_id: str = Field(alias="connectionId", min_length=1, max_length=64)
    scheduled_time: str | None = Field(default=None, alias="scheduledTime", max_length=64)


def start_scheduled_sync(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Start the connection's scheduled run and queue its pages; what happened, as a dict."""
    try:
        request = ScheduledSyncEvent.model_validate(event)
    except ValidationError:
        logger.error("Scheduled sync event is malformed; nothing started")
        metrics.add_metric(name="ScheduledSyncSkipped", unit=MetricUnit.Count, value=1)
        return {"status": StartOutcome.SKIPPED.value, "reason": "malformed event"}
    logger.append_keys(org_id=request.org_id, connection_id=request.connection_id)
    tracer.put_annotation(key="org_id", value=request.org_id)
    tracer.put_annotation(key="connection_id", value=request.connection_id)
    deadline = Deadline.from_lambda_context(context, ENQUEUE_MARGIN_SECONDS)
    outcome = scheduled_syncs().start(request.org_id, request.connection_id, deadline, request.scheduled_time)
    if outcome.run is not None:
        logger.append_keys(run_id=outcome.run.id)
        tracer.put_annotation(key="run_id", value=outcome.run.id)
    details = {"scheduled_time": request.scheduled_time} | {
        key: value for key, value in outcome.to_dict().items() if key not in ("runId", "status")
    }
    if outcome.outcome is StartOutcome.STARTED:
        logger.info("Scheduled sync started", extra=details)
        metrics.add_metric(name="ScheduledSyncStarted", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="SyncPagesEnqueued", unit=MetricUnit.Count, value=outcome.pages_enqueued)
        if outcome.replaced_run_id:
            metrics.add_metric(name="ScheduledSyncStalledRunsFailed", unit=MetricUnit.Count, value=1)
    elif outcome.outcome is StartOutcome.SKIPPED:
        logger.info("Scheduled sync skipped", extra=details)
        metrics.add_metric(name="ScheduledSyncSkipped", unit=MetricUnit.Count, value=1)
    else:
        logger.warning("Scheduled sync could not start", extra=details)
        metrics.add_metric(name="ScheduledSyncFailed", unit=MetricUnit.Count, value=1)
    return outcome.to_dict()
