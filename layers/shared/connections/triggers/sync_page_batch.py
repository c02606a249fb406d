"""The SyncPageWorker function's edge: an SQS batch of page messages, processed one by one with
Powertools batch processing. A message that must be delivered again is reported as a batch item
failure; the others are deleted by the event source mapping."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import EphemeralMetrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from connections.domain.deadline import Deadline
from connections.domain.sync_page_message import InvalidPageMessage, SyncPageMessage
from connections.domain.sync_page_worker import PageWork
from connections.domain.sync_run import SyncRun
from connections.observability import MetricUnit, logger, metrics, tracer
from connections.wiring import sync_page_worker

# One page gets at most this long (the page endpoint's budget is API Gateway's 30 s), and a page is
# not started with less than MIN_SECONDS_PER_PAGE left in the invocation: it goes back to the queue.
PAGE_SECONDS = 60.0
MIN_SECONDS_PER_PAGE = 20.0
ANSWER_MARGIN_SECONDS = 3.0
_RECORD_KEYS = ["org_id", "connection_id", "run_id", "page", "message_id", "delivery"]

# A batch whose every page must be retried is reported item by item too, not as a failed invocation.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class PageRedelivery(Exception):
    """The page message goes back to the queue (reported as a batch item failure)."""


def handle_page_record(record: SQSRecord, lambda_context: LambdaContext) -> dict[str, Any]:
    """Process one page message; raises PageRedelivery when it must be delivered again."""
    delivery = int(record.attributes.approximate_receive_count or 1)
    try:
        message = SyncPageMessage.from_body(record.body)
    except InvalidPageMessage as problem:
        # It can never succeed: dropped (deleted) rather than sent round to the dead-letter queue.
        logger.error(
            "Page message is malformed; dropped", extra={"message_id": record.message_id, "problem": str(problem)}
        )
        metrics.add_metric(name="SyncPageMessagesDropped", unit=MetricUnit.Count, value=1)
        return {"dropped": True}
    logger.append_keys(
        org_id=message.org_id,
        connection_id=message.connection_id,
        run_id=message.run_id,
        page=message.page,
        message_id=record.message_id,
        delivery=delivery,
    )
    try:
        deadline = Deadline.from_lambda_context(lambda_context, ANSWER_MARGIN_SECONDS, PAGE_SECONDS)
        if deadline.remaining() < MIN_SECONDS_PER_PAGE:
            logger.info("Not enough time left for this page; it goes back to the queue")
            raise PageRedelivery("not enough time left in this invocation")
        with tracer.provider.in_subsegment("## sync_page") as subsegment:
            subsegment.put_annotation(key="org_id", value=message.org_id)
            subsegment.put_annotation(key="run_id", value=message.run_id)
            work = sync_page_worker().process(message, deadline, delivery)
        _report(work)
        if work.retry:
            raise PageRedelivery(work.reason or "page failed")
        return {"page": message.page, "processed": work.processed_now}
    finally:
        logger.remove_keys(_RECORD_KEYS)


def _report(work: PageWork) -> None:
    if work.result is not None and work.processed_now:
        result = work.result
        logger.info(
            "Sync page processed",
            extra={
                "fetched": result.fetched,
                "inserted": result.inserted,
                "duplicates": result.duplicates,
                "errors": result.errors,
            },
        )
        metrics.add_metric(name="SyncPagesProcessed", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="SyncItemsFetched", unit=MetricUnit.Count, value=result.fetched)
        metrics.add_metric(name="SyncItemsInserted", unit=MetricUnit.Count, value=result.inserted)
        metrics.add_metric(name="SyncItemsDuplicate", unit=MetricUnit.Count, value=result.duplicates)
        metrics.add_metric(name="SyncItemErrors", unit=MetricUnit.Count, value=result.errors)
        if work.next_page_enqueued:
            metrics.add_metric(name="SyncPagesEnqueued", unit=MetricUnit.Count, value=1)
    elif work.result is not None:
        logger.info("Sync page was already processed; duplicate delivery changed nothing")
        metrics.add_metric(name="SyncPageDuplicateDeliveries", unit=MetricUnit.Count, value=1)
    elif work.retry:
        logger.warning("Sync page failed; it will be delivered again", extra={"reason": work.reason, "busy": work.busy})
        metrics.add_metric(name="SyncPageBusy" if work.busy else "SyncPageFailed", unit=MetricUnit.Count, value=1)
    else:
        logger.info("Page message dropped", extra={"reason": work.reason})
        metrics.add_metric(name="SyncPageMessagesDropped", unit=MetricUnit.Count, value=1)
    if work.finished_run is not None:
        _report_finished_run(work.finished_run)


def _report_finished_run(run: SyncRun) -> None:
    """One log line and one metrics document per run, from the delivery that ended it."""
    duration = None
    if run.completed_at:
        duration = (datetime.fromisoformat(run.completed_at) - datetime.fromisoformat(run.started_at)).total_seconds()
    summary = run.to_status_response()
    logger.info(f"Sync run {run.status.value}", extra={"run": summary, "duration_seconds": duration})
    # A document of its own: the batch's shared metrics may span several runs.
    run_metrics = EphemeralMetrics()
    run_metrics.add_metadata(key="run_id", value=run.id)
    run_metrics.add_metadata(key="connection_id", value=run.connection_id)
    run_metrics.add_metadata(key="org_id", value=run.org_id)
    run_metrics.add_metric(name=f"SyncRun{run.status.value.capitalize()}", unit=MetricUnit.Count, value=1)
    run_metrics.add_metric(name="SyncRunPages", unit=MetricUnit.Count, value=run.processed_pages)
    run_metrics.add_metric(
        name="SyncRunItems", unit=MetricUnit.Count, value=run.success_count + run.duplicate_count + run.error_count
    )
    run_metrics.add_metric(name="SyncRunInserted", unit=MetricUnit.Count, value=run.success_count)
    run_metrics.add_metric(name="SyncRunDuplicates", unit=MetricUnit.Count, value=run.duplicate_count)
    run_metrics.add_metric(name="SyncRunErrors", unit=MetricUnit.Count, value=run.error_count)
    if duration is not None:
        run_metrics.add_metric(name="SyncRunDuration", unit=MetricUnit.Seconds, value=duration)
    run_metrics.flush_metrics()


def process_page_batch(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Every record of the batch; the failures are returned for the queue to deliver again."""
    return dict(
        process_partial_response(event=event, record_handler=handle_page_record, processor=processor, context=context)
    )
