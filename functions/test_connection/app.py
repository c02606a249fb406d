"""POST /api/connections/{id}/test: check the platform answers with these credentials (session only).

Always 200 with {"success": ...}; finishes inside API Gateway's 30 s because every outbound call runs
against a deadline taken from the Lambda context, less a margin to record the result and answer.
"""

from connections.domain.deadline import Deadline
from connections.http.resolver import api_handler, build_resolver, current_caller
from connections.observability import MetricUnit, logger, metrics
from connections.wiring import connection_tester, credential_cipher

# Kept for recording the outcome and answering after the platform calls give up.
ANSWER_MARGIN_SECONDS = 1.5
TEST_LIMIT_SECONDS = 30.0

app = build_resolver("CREDENTIALS_KEY_ARN")
# Built at init, which Lambda runs before the first request: the service and its AWS clients.
connection_tester()
credential_cipher()


@app.post("/api/connections/<connection_id>/test")
def test_connection(connection_id: str) -> dict:
    deadline = Deadline.from_lambda_context(app.lambda_context, ANSWER_MARGIN_SECONDS, TEST_LIMIT_SECONDS)
    result = connection_tester().test(current_caller(app), connection_id, deadline)
    logger.info("Connection tested", extra={"connection_id": connection_id, "success": result["success"]})
    metrics.add_metric(
        name="ConnectionTestSucceeded" if result["success"] else "ConnectionTestFailed", unit=MetricUnit.Count, value=1
    )
    return result


lambda_handler = api_handler(app)
