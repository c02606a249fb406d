"""POST /api/topics: add a topic by hand (classified on insert), e.g. to push it to a platform."""

from connections.domain.topic_requests import CreateTopicRequest
from connections.http.error_mapping import json_response
from connections.http.resolver import api_handler, build_resolver, current_caller, request_body
from connections.http.routing import Response
from connections.wiring import topic_library

app = build_resolver()


@app.post("/api/topics")
def create_topic() -> Response:
    topic = topic_library().create(current_caller(app), request_body(app, CreateTopicRequest))
    return json_response(201, topic.to_response())


lambda_handler = api_handler(app)
