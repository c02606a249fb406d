"""GET /api/activations: what was pushed where (filters connectionId, platform, status, stale)."""

from connections.domain.activation_requests import ActivationFilters
from connections.http.resolver import api_handler, build_resolver, current_caller, query_parameters
from connections.wiring import push_service

app = build_resolver()


@app.get("/api/activations")
def list_activations() -> dict:
    return push_service().list_activations(current_caller(app), query_parameters(app, ActivationFilters))


lambda_handler = api_handler(app)
