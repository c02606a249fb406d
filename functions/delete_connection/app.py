"""DELETE /api/connections/{id}: remove a connection and its credentials, freeing its slot (session only)."""

from connections.http.resolver import api_handler, build_resolver, current_caller
from connections.observability import MetricUnit, metrics
from connections.wiring import connection_service

app = build_resolver()
# Built at init, which Lambda runs before the first request: the service and its AWS clients.
connection_service()


@app.delete("/api/connections/<connection_id>")
def delete_connection(connection_id: str) -> dict:
    connection_service().delete(current_caller(app), connection_id)
    metrics.add_metric(name="ConnectionDeleted", unit=MetricUnit.Count, value=1)
    return {"deleted": True}


lambda_handler = api_handler(app)
