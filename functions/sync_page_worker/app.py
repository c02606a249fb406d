"""SQS page worker of scheduled syncs: each message is one page, processed by the same domain function
as the page endpoint (claims, idempotency and counts are shared). Pages that must be retried are
reported as batch item failures; after the queue's maxReceiveCount they go to the dead-letter queue."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from connections.observability import logger, metrics, tracer
from connections.settings import require_settings
from connections.triggers.sync_page_batch import process_page_batch

require_settings("TABLE_NAME", "CREDENTIALS_KEY_ARN", "SYNC_PAGE_QUEUE_URL")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_page_batch(event, context)
