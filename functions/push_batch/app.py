"""POST /api/connections/{id}/push/run/{runId}/push: push the next batch of at most 25 segments."""

from connections.domain.deadline import Deadline
from connections.http.resolver import api_handler, build_resolver, current_caller
from connections.observability import MetricUnit, logger, metrics
from connections.wiring import push_service

# Kept for writing the outcomes and answering after the platform calls give up.
ANSWER_MARGIN_SECONDS = 3.0

app = build_resolver("CREDENTIALS_KEY_ARN")


@app.post("/api/connections/<connection_id>/push/run/<run_id>/push")
def push_batch(connection_id: str, run_id: str) -> dict:
    deadline = Deadline.from_lambda_context(app.lambda_context, ANSWER_MARGIN_SECONDS)
    outcome = push_service().push_batch(current_caller(app), connection_id, run_id, deadline)
    logger.info(
        "Push batch done", extra={"connection_id": connection_id, "run_id": run_id, "segments": len(outcome.results)}
    )
    metrics.add_metric(name="SegmentsPushed", unit=MetricUnit.Count, value=len(outcome.results))
    return outcome.to_response()


lambda_handler = api_handler(app)
