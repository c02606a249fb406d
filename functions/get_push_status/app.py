"""GET /api/connections/{id}/push/run/{runId}/status: a push run's progress and counts."""

from connections.http.resolver import api_handler, build_resolver, current_caller
from connections.wiring import push_service

app = build_resolver()


@app.get("/api/connections/<connection_id>/push/run/<run_id>/status")
def get_push_status(connection_id: str, run_id: str) -> dict:
    return push_service().get_run(current_caller(app), connection_id, run_id).to_status_response()


lambda_handler = api_handler(app)
