"""HTTP API Lambda authorizer (payload 2.0, simple responses) for API keys and Clerk sessions.

It always answers isAuthorized=true and says in the context whether the caller is authenticated, so
that functions can answer 401/403 in the API's error format (see http/caller_context.py).
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from connections.domain.authentication import presented_credential
from connections.domain.errors import Forbidden, Unauthenticated
from connections.http.caller_context import authorizer_context, rejection_context
from connections.observability import logger, tracer
from connections.settings import require_settings
from connections.wiring import authenticator

# Clerk settings are optional: without a verification key, sessions are refused and API keys still work.
require_settings("TABLE_NAME")
# Built at init: the authenticator and its API-key repository, without a DynamoDB client. The client
# is made on the first API-key request (made at init, it cost every session-authenticated cold start
# some 55 ms of CPU for nothing); the session verifier on the first session request.
authenticator()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        credential = presented_credential(event.get("headers") or {}, event.get("cookies") or [])
        caller = authenticator().authenticate(credential.token, credential.source)
    except (Unauthenticated, Forbidden) as refusal:
        status = 403 if isinstance(refusal, Forbidden) else 401
        logger.info("Caller not authenticated", extra={"reason": refusal.message, "status": status})
        return {"isAuthorized": True, "context": rejection_context(refusal.message, status)}
    logger.info(
        "Caller authenticated",
        extra={
            "org_id": caller.org_id,
            "auth_type": caller.auth_type.value,
            "role": caller.role,
            "source": credential.source,
        },
    )
    return {"isAuthorized": True, "context": authorizer_context(caller)}
