"""GET /api/connections/{id}: one connection of the caller's organisation (never its credentials)."""

from connections.http.resolver import api_handler, build_resolver, current_caller
from connections.wiring import connection_service

app = build_resolver()
# Built at init, which Lambda runs before the first request: the service and its AWS clients.
connection_service()


@app.get("/api/connections/<connection_id>")
def get_connection(connection_id: str) -> dict:
    return connection_service().get(current_caller(app), connection_id).to_response()


lambda_handler = api_handler(app)
