"""ANY on every path of the API: a method the path does not have is 405 with Allow, OPTIONS 204.

No authentication: the answer says only which methods a path has, as openapi.yaml publishes."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from connections.http.method_not_allowed import method_not_allowed
from connections.observability import logger, metrics, tracer


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = method_not_allowed(event)
    logger.info("Method not on the route", extra={"route_key": event.get("routeKey"), "status": response["statusCode"]})
    return response
