"""POST /api/connections/{id}/push/run: one pending activation per chosen topic, then push in batches."""

from connections.domain.activation_requests import StartPushRequest
from connections.domain.idempotency import claim_from_header
from connections.http.resolver import api_handler, build_resolver, current_caller, header, request_body
from connections.observability import MetricUnit, logger, metrics
from connections.wiring import push_service

app = build_resolver()


@app.post("/api/connections/<connection_id>/push/run")
def start_push_run(connection_id: str) -> dict:
    request = request_body(app, StartPushRequest)
    claim = claim_from_header(
        "start_push_run", header(app, "Idempotency-Key"), {"connectionId": connection_id} | request.model_dump()
    )
    run = push_service().start_run(current_caller(app), connection_id, request, claim)
    logger.info("Push run started", extra={"connection_id": connection_id, "run_id": run.id})
    metrics.add_metric(name="PushRunStarted", unit=MetricUnit.Count, value=1)
    return run.to_created_response()


lambda_handler = api_handler(app)
