"""DELETE /api/keys/{id}: revoke an API key at once; again, the same record (session only: owner, admin)."""

from connections.http.resolver import api_handler, build_resolver, current_caller
from connections.observability import MetricUnit, metrics
from connections.wiring import api_key_service

app = build_resolver()
# Built at init, which Lambda runs before the first request: the service and its AWS clients.
api_key_service()


@app.delete("/api/keys/<key_id>")
def revoke_api_key(key_id: str) -> dict:
    api_key = api_key_service().revoke(current_caller(app).org_id, key_id)
    metrics.add_metric(name="ApiKeyRevoked", unit=MetricUnit.Count, value=1)
    return api_key.to_response()


lambda_handler = api_handler(app)
