"""GET /api/topics: the organisation's topic library (filters source, connectionId, iabCode, search)."""

from connections.domain.list_filters import TopicFilters
from connections.http.resolver import api_handler, build_resolver, current_caller
from connections.wiring import topic_library

app = build_resolver()
# Built at init, which Lambda runs before the first request: the service and its AWS clients.
topic_library()


@app.get("/api/topics")
def list_topics() -> dict:
    return (
        topic_library()
        .list(current_caller(app), TopicFilters.from_query(app.current_event.query_string_parameters))
        .to_response()
    )


lambda_handler = api_handler(app)
