"""GET /api/topics: the organisation's topic library (filters source, connectionId, iabCode, search)."""

from connections.domain.topic_requests import TopicFilters
from connections.http.resolver import api_handler, build_resolver, current_caller, query_parameters
from connections.wiring import topic_library

app = build_resolver()


@app.get("/api/topics")
def list_topics() -> dict:
    return topic_library().list(current_caller(app), query_parameters(app, TopicFilters)).to_response()


lambda_handler = api_handler(app)
