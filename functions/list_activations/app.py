"""GET /api/activations: what was pushed where (filters connectionId, platform, status, stale), a bare
array; the next page's URL in the Link header."""

from connections.domain.list_filters import ActivationFilters
from connections.http.error_mapping import json_response
from connections.http.link_header import next_page_link
from connections.http.resolver import api_handler, build_resolver, current_caller
from connections.http.routing import Response
from connections.wiring import push_service

app = build_resolver()


@app.get("/api/activations")
def list_activations() -> Response:
    request = app.current_event
    filters = ActivationFilters.from_query(request.query_string_parameters)
    listing = push_service().list_activations(current_caller(app), filters)
    headers = None
    if listing.next_cursor is not None:
        headers = {"Link": next_page_link(request.raw_path, request.query_string_parameters, listing.next_cursor)}
    return json_response(200, listing.rows, headers)


lambda_handler = api_handler(app)
