"""GET /api/activations: what was pushed where (filters connectionId, platform, status, stale)."""

from connections.domain.list_filters import ActivationFilters
from connections.http.resolver import api_handler, build_resolver, current_caller
from connections.wiring import push_service

app = build_resolver()


@app.get("/api/activations")
def list_activations() -> dict:
    filters = ActivationFilters.from_query(app.current_event.query_string_parameters)
    return push_service().list_activations(current_caller(app), filters)


lambda_handler = api_handler(app)
