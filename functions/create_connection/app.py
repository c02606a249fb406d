"""POST /api/connections: create a connection (session only; credentials are encrypted with KMS)."""

from connections.domain.connection_requests import CreateConnectionRequest
from connections.domain.idempotency import claim_from_header
from connections.http.error_mapping import json_response
from connections.http.resolver import api_handler, build_resolver, current_caller, header, request_body
from connections.http.routing import Response
from connections.observability import MetricUnit, metrics
from connections.wiring import connection_service

app = build_resolver("CREDENTIALS_KEY_ARN")
# Built at init, which Lambda runs before the first request: the service and its AWS clients.
connection_service(handles_credentials=True)


@app.post("/api/connections")
def create_connection() -> Response:
    request = request_body(app, CreateConnectionRequest)
    # A retry must carry the same request; credentials stay out of the fingerprint.
    claim = claim_from_header(
        "create_connection", header(app, "Idempotency-Key"), request.model_dump(exclude={"credentials"})
    )
    connection = connection_service(handles_credentials=True).create(current_caller(app), request, claim)
    metrics.add_metric(name="ConnectionCreated", unit=MetricUnit.Count, value=1)
    return json_response(201, connection.to_created_response())


lambda_handler = api_handler(app)
