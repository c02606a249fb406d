"""GET /api/keys: the organisation's API keys without their secrets (session only: owner, admin)."""

from connections.http.request_parsing import refuse_query_parameters
from connections.http.resolver import api_handler, build_resolver, current_caller
from connections.wiring import api_key_service

app = build_resolver()
# Built at init, which Lambda runs before the first request: the service and its AWS clients.
api_key_service()


@app.get("/api/keys")
def list_api_keys() -> list[dict]:
    refuse_query_parameters(app.current_event.query_string_parameters)
    return [api_key.to_response() for api_key in api_key_service().list_keys(current_caller(app).org_id)]


lambda_handler = api_handler(app)
