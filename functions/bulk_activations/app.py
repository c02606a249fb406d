"""POST /api/activations/bulk: deactivate or refresh up to 25 activations (ids, or a filter), a result each."""

from connections.domain.activation_requests import BulkActivationRequest
from connections.domain.deadline import Deadline
from connections.http.resolver import api_handler, build_resolver, current_caller, request_body
from connections.wiring import activation_service

# Kept for writing the outcomes and answering after the platform calls give up.
ANSWER_MARGIN_SECONDS = 3.0

app = build_resolver("CREDENTIALS_KEY_ARN")


@app.post("/api/activations/bulk")
def bulk_activations() -> dict:
    deadline = Deadline.from_lambda_context(app.lambda_context, ANSWER_MARGIN_SECONDS)
    body = request_body(app, BulkActivationRequest)
    return activation_service().bulk(current_caller(app), body, deadline)


lambda_handler = api_handler(app)
