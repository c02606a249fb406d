"""POST /api/connections/{id}/sync/run: start an inbound sync (count the items, compute the pages)."""

from connections.domain.deadline import Deadline
from connections.domain.idempotency import claim_from_header
from connections.http.resolver import api_handler, build_resolver, current_caller, header
from connections.observability import MetricUnit, logger, metrics
from connections.wiring import credential_cipher, platform_clients, sync_service

ANSWER_MARGIN_SECONDS = 2.0

app = build_resolver("CREDENTIALS_KEY_ARN")
# Built at init, which Lambda runs before the first request: the service and its AWS clients.
sync_service()
credential_cipher()
platform_clients()


@app.post("/api/connections/<connection_id>/sync/run")
def start_sync_run(connection_id: str) -> dict:
    claim = claim_from_header("start_sync_run", header(app, "Idempotency-Key"), {"connectionId": connection_id})
    deadline = Deadline.from_lambda_context(app.lambda_context, ANSWER_MARGIN_SECONDS)
    run = sync_service().start_run(current_caller(app), connection_id, deadline, claim)
    logger.info("Sync run started", extra={"connection_id": connection_id, "run_id": run.id})
    metrics.add_metric(name="SyncRunStarted", unit=MetricUnit.Count, value=1)
    return run.to_created_response()


lambda_handler = api_handler(app)
