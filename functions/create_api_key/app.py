"""POST /api/keys: a new API key for the organisation, shown once (session only: owner, admin)."""

from connections.domain.api_key_requests import CreateApiKeyRequest
from connections.http.error_mapping import json_response
from connections.http.resolver import api_handler, build_resolver, current_caller, request_body
from connections.http.routing import Response
from connections.observability import MetricUnit, metrics
from connections.wiring import api_key_service

app = build_resolver()
# Built at init, which Lambda runs before the first request: the service and its AWS clients.
api_key_service()


@app.post("/api/keys")
def create_api_key() -> Response:
    request = request_body(app, CreateApiKeyRequest)
    key, record = api_key_service().create(current_caller(app).org_id, request)
    metrics.add_metric(name="ApiKeyCreated", unit=MetricUnit.Count, value=1)
    # The key itself is in this answer only; the store keeps its digest.
    return json_response(201, record.to_response() | {"key": key})


lambda_handler = api_handler(app)
