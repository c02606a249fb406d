"""Every function runs on its sample event from events/, as `sam local invoke` would run it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connections.domain.connection import Connection
from connections.domain.platforms import ConnectionStatus, Direction, Platform
from connections.domain.sync_run import RunStatus, SyncRun
from local.api_gateway import LambdaContextStub, load_handler
from local.sam_template import PROJECT_ROOT, functions
from tests.fakes.segment_catalogue import CATALOGUE_CREDENTIALS, catalogue_items, segment_catalogue

EVENTS = PROJECT_ROOT / "events"
FUNCTIONS = {function_id: PROJECT_ROOT / spec["Properties"]["CodeUri"] for function_id, spec in functions().items()}
# What each sample should produce when the sample's connection (and run) exist in org_dev.
EXPECTED_STATUS = {
    "ListConnectionsFunction": 200,
    "CreateConnectionFunction": 201,
    "GetConnectionFunction": 200,
    "UpdateConnectionFunction": 200,
    "DeleteConnectionFunction": 200,
    "TestConnectionFunction": 200,
    "StartSyncRunFunction": 200,
    "ProcessSyncPageFunction": 200,
    "GetSyncStatusFunction": 200,
    "CancelSyncRunFunction": 200,
    "ListTopicsFunction": 200,
    "CreateTopicFunction": 201,
}
# Samples that name a run need it to exist; starting a run needs the connection free.
NEEDS_RUN = {"ProcessSyncPageFunction", "GetSyncStatusFunction", "CancelSyncRunFunction"}


def seed_sample_records(event: dict, base_url: str, with_run: bool) -> None:
    """Store the connection (and run) the sample event's path names, in the sample's organisation."""
    from connections.wiring import connection_repository, credential_cipher, sync_run_repository

    parameters = event.get("pathParameters", {})
    connection_id = parameters.get("id")
    if not connection_id:
        return
    org_id = event["requestContext"]["authorizer"]["lambda"]["orgId"]
    connection = Connection(
        id=connection_id,
        org_id=org_id,
        name="Sample",
        platform=Platform.CUSTOM_API,
        direction=Direction.INBOUND,
        config={"base_url": base_url, "items_path": "data.segments", "count_path": "data.total", "auth_type": "bearer"},
        status=ConnectionStatus.ACTIVE,
        created_at="2026-02-25T10:00:00.000Z",
        updated_at="2026-02-25T10:00:00.000Z",
        has_credentials=True,
    )
    ciphertext = credential_cipher().encrypt(CATALOGUE_CREDENTIALS, org_id=org_id, connection_id=connection_id)
    connection_repository().create(connection, ciphertext, max_per_org=20)
    if with_run and parameters.get("runId"):
        run = SyncRun(
            id=parameters["runId"],
            org_id=org_id,
            connection_id=connection_id,
            status=RunStatus.RUNNING,
            page_size=100,
            total_items=30,
            total_pages=1,
            started_at="2026-02-25T10:00:00.000Z",
            updated_at="2026-02-25T10:00:00.000Z",
        )
        sync_run_repository().start(run, None)


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_function_runs_on_its_sample_event(aws, monkeypatch: pytest.MonkeyPatch, function_id: str) -> None:
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")  # the sample connection's API is a local fake
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

    with segment_catalogue(catalogue_items(30)[0]) as catalogue:
        seed_sample_records(event, catalogue.base_url, with_run=function_id in NEEDS_RUN)
        result = handler(event, LambdaContextStub(function_id, timeout_seconds=30))

    assert result["statusCode"] == EXPECTED_STATUS[function_id], result["body"]
    body = json.loads(result["body"])
    assert "error" not in body, body
    assert result["headers"]["Content-Type"] == "application/json"
