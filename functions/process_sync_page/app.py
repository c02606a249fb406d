"""POST /api/connections/{id}/sync/run/{runId}/page: fetch, classify, dedupe and insert one page.

Body `{"page": n}` is optional (default: the next unprocessed page). Repeating a processed page returns
its stored result and changes nothing.
"""

from typing import Annotated

from pydantic import Field

from connections.domain.deadline import Deadline
from connections.domain.strict_body import StrictBody, StrictInt
from connections.http.resolver import api_handler, build_resolver, current_caller, optional_request_body
from connections.observability import MetricUnit, logger, metrics
from connections.wiring import sync_service

ANSWER_MARGIN_SECONDS = 3.0

app = build_resolver("CREDENTIALS_KEY_ARN")


# A run has at most a million items (field_mapping.MAX_TOTAL_ITEMS), so no page number goes past this.
MAX_PAGE = 1_000_000


class PageRequest(StrictBody):
    page: Annotated[StrictInt, Field(ge=1, le=MAX_PAGE)] | None = None


@app.post("/api/connections/<connection_id>/sync/run/<run_id>/page")
def process_sync_page(connection_id: str, run_id: str) -> dict:
    request = optional_request_body(app, PageRequest)
    deadline = Deadline.from_lambda_context(app.lambda_context, ANSWER_MARGIN_SECONDS)
    outcome = sync_service().process_page(current_caller(app), connection_id, run_id, request.page, deadline)
    logger.append_keys(connection_id=connection_id, run_id=run_id)
    if outcome.result:
        logger.info("Sync page processed", extra={"page": outcome.result.page, "fetched": outcome.result.fetched})
        metrics.add_metric(name="SyncPageProcessed", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="SyncItemsFetched", unit=MetricUnit.Count, value=outcome.result.fetched)
    else:
        logger.warning("Sync page failed", extra={"page": outcome.page, "error": outcome.error})
        metrics.add_metric(name="SyncPageFailed", unit=MetricUnit.Count, value=1)
    return outcome.to_response()


lambda_handler = api_handler(app)
