"""Every function runs on its sample event from events/, as `sam local invoke` would run it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connections.domain.connection import Connection
from connections.domain.platforms import ConnectionStatus, Direction, Platform
from local.api_gateway import LambdaContextStub, load_handler
from local.sam_template import PROJECT_ROOT, functions

EVENTS = PROJECT_ROOT / "events"
FUNCTIONS = {
    function_id: PROJECT_ROOT / spec["Properties"]["CodeUri"] for function_id, spec in functions().items()
}
# What each sample should produce when the sample's connection exists in org_dev.
EXPECTED_STATUS = {
    "ListConnectionsFunction": 200,
    "CreateConnectionFunction": 201,
    "GetConnectionFunction": 200,
    "UpdateConnectionFunction": 200,
    "DeleteConnectionFunction": 200,
    "TestConnectionFunction": 200,
}


def seed_sample_connection(event: dict) -> None:
    """Store the connection the sample event's path names, in the sample's organisation."""
    from connections.wiring import connection_repository

    connection_id = event.get("pathParameters", {}).get("id")
    if not connection_id:
        return
    org_id = event["requestContext"]["authorizer"]["lambda"]["orgId"]
    connection = Connection(
        id=connection_id,
        org_id=org_id,
        name="Sample",
        platform=Platform.CUSTOM_API,
        direction=Direction.INBOUND,
        # A private address: the test function's guard refuses it without any network traffic.
        config={"base_url": "https://10.1.2.3/segments", "auth_type": "none"},
        status=ConnectionStatus.ACTIVE,
        created_at="2026-02-25T10:00:00.000Z",
        updated_at="2026-02-25T10:00:00.000Z",
    )
    connection_repository().create(connection, None, max_per_org=20)


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_function_runs_on_its_sample_event(aws, function_id: str) -> None:
    code_dir = FUNCTIONS[function_id]
    event = json.loads((EVENTS / f"{Path(code_dir).name}.json").read_text())
    handler = load_handler(code_dir)

    if function_id == "AuthorizerFunction":
        result = handler(event, LambdaContextStub(function_id))
        # The sample carries a made-up API key: let through, marked unauthenticated, for a 401 downstream.
        assert result["isAuthorized"] is True
        assert result["context"]["authenticated"] is False
        assert result["context"]["authStatus"] == 401
        return

    seed_sample_connection(event)
    result = handler(event, LambdaContextStub(function_id))

    assert result["statusCode"] == EXPECTED_STATUS[function_id], result["body"]
    body = json.loads(result["body"])
    assert "error" not in body
    assert result["headers"]["Content-Type"] == "application/json"
