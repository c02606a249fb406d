"""PATCH /api/connections/{id}: partial update; config merged key by key (session only)."""

from connections.domain.connection_requests import UpdateConnectionRequest
from connections.http.resolver import api_handler, build_resolver, current_caller, request_body
from connections.wiring import connection_service

app = build_resolver("CREDENTIALS_KEY_ARN")
# Built at init, which Lambda runs before the first request: the service and its AWS clients. The
# service always has the cipher: a PATCH without credentials may decrypt the stored ones to find an
# account id (The Trade Desk's provider id) it leaves the connection needing.
connection_service(handles_credentials=True)


@app.patch("/api/connections/<connection_id>")
def update_connection(connection_id: str) -> dict:
    request = request_body(app, UpdateConnectionRequest)
    service = connection_service(handles_credentials=True)
    return service.update(current_caller(app), connection_id, request).to_response()


lambda_handler = api_handler(app)
