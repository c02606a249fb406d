"""POST /api/activations/{id}/deactivate: deactivate the segment on its platform, then the record."""

from connections.domain.deadline import Deadline
from connections.http.resolver import api_handler, build_resolver, current_caller
from connections.wiring import activation_service

# Kept for writing the outcome and answering after the platform call gives up.
ANSWER_MARGIN_SECONDS = 3.0

app = build_resolver("CREDENTIALS_KEY_ARN")


@app.post("/api/activations/<activation_id>/deactivate")
def deactivate_activation(activation_id: str) -> dict:
    deadline = Deadline.from_lambda_context(app.lambda_context, ANSWER_MARGIN_SECONDS)
    return activation_service().deactivate(current_caller(app), activation_id, deadline).to_response()


lambda_handler = api_handler(app)
