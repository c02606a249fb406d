"""POST /api/connections/{id}/sync/run/{runId}/cancel: stop a sync; later page calls are 409."""

from connections.http.resolver import api_handler, build_resolver, current_caller
from connections.wiring import dynamodb, sync_service

app = build_resolver()
# Made at init, which Lambda runs before the first request: the DynamoDB client (the service itself
# loads the topic or push modules its status reads never use, so it is built on the first request).
dynamodb()


@app.post("/api/connections/<connection_id>/sync/run/<run_id>/cancel")
def cancel_sync_run(connection_id: str, run_id: str) -> dict:
    return sync_service().cancel(current_caller(app), connection_id, run_id).to_status_response()


lambda_handler = api_handler(app)
