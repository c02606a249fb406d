"""GET /api/connections: the organisation's connections, filtered by direction and platform."""

from connections.domain.list_filters import ConnectionFilters
from connections.http.resolver import api_handler, build_resolver, current_caller
from connections.wiring import connection_service

app = build_resolver()
# Built at init, which Lambda runs before the first request: the service and its AWS clients.
connection_service()


@app.get("/api/connections")
def list_connections() -> list[dict]:
    filters = ConnectionFilters.from_query(app.current_event.query_string_parameters)
    connections = connection_service().list(current_caller(app), filters)
    return [connection.to_response() for connection in connections]


lambda_handler = api_handler(app)
