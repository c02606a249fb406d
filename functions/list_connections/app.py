"""GET /api/connections: the organisation's connections, filtered by direction and platform."""

from connections.domain.connection_requests import ConnectionFilters
from connections.http.resolver import api_handler, build_resolver, current_caller, query_parameters
from connections.wiring import connection_service

app = build_resolver()


@app.get("/api/connections")
def list_connections() -> list[dict]:
    filters = query_parameters(app, ConnectionFilters)
    connections = connection_service().list(current_caller(app), filters)
    return [connection.to_response() for connection in connections]


lambda_handler = api_handler(app)
