"""EventBridge Scheduler target: start a connection's scheduled sync (as the API starts one) and queue
one SQS message per page for the page workers. Skips, and logs why, when a run is already running or
the connection is gone, outbound or no longer scheduled."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from connections.observability import logger, metrics, tracer
from connections.settings import require_settings
from connections.triggers.scheduled_sync_event import start_scheduled_sync

require_settings("TABLE_NAME", "CREDENTIALS_KEY_ARN", "SYNC_PAGE_QUEUE_URL")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return start_scheduled_sync(event, context)
