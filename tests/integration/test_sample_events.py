"""Every function runs on its sample event from events/, as `sam local invoke` would run it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connections.domain.access import AuthType, Caller, OrgRole
from connections.domain.activation import Activation, ActivationStatus, PushRun
from connections.domain.connection import Connection
from connections.domain.identifiers import ACTIVATION_PREFIX, new_id
from connections.domain.platforms import ConnectionStatus, Direction, Platform
from connections.domain.sync_run import RunStatus, SyncRun
from connections.domain.topic import Topic
from connections.domain.topic_requests import CreateTopicRequest
from local.api_gateway import AUTHORIZER_DIR, LambdaContextStub, load_handler
from local.sam_template import PROJECT_ROOT, functions, load_template
from tests.fakes.http_server import FakeResponse, RecordedRequest
from tests.fakes.segment_catalogue import (
    CATALOGUE_CREDENTIALS,
    SegmentCatalogue,
    catalogue_items,
    segment_catalogue,
)

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
    "StartPushRunFunction": 200,
    "PushBatchFunction": 200,
    "GetPushStatusFunction": 200,
    "CancelPushRunFunction": 200,
    "ListActivationsFunction": 200,
    "DeactivateActivationFunction": 200,
    "RefreshActivationFunction": 200,
    "BulkActivationsFunction": 200,
    "CreateApiKeyFunction": 201,
    "ListApiKeysFunction": 200,
    "RevokeApiKeyFunction": 200,
    "MethodNotAllowedFunction": 405,
}
# Samples whose answer is an error on purpose, and the answer they must give.
EXPECTED_ERROR: dict[str, tuple[dict[str, Any], str]] = {
    "MethodNotAllowedFunction": (
        {"error": "Method PUT is not allowed on /api/connections/{id}"},
        "DELETE, GET, PATCH",
    ),
}
# Samples that name a run need it to exist; starting a run needs the connection free.
NEEDS_RUN = {"ProcessSyncPageFunction", "GetSyncStatusFunction", "CancelSyncRunFunction"}
# Push samples need a connection that pushes and the sample topics; those naming a run need the run.
PUSH_SAMPLES = {
    "StartPushRunFunction",
    "PushBatchFunction",
    "GetPushStatusFunction",
    "CancelPushRunFunction",
    "ListActivationsFunction",
    "DeactivateActivationFunction",
    "RefreshActivationFunction",
    "BulkActivationsFunction",
}
# Samples that change a pushed, stale activation (the one their path names, if it names one).
CHANGE_SAMPLES = {"DeactivateActivationFunction", "RefreshActivationFunction", "BulkActivationsFunction"}
NEEDS_PUSH_RUN = {"PushBatchFunction", "GetPushStatusFunction", "CancelPushRunFunction"}
SAMPLE_TIME = "2026-02-25T10:00:00.000Z"
_START_PUSH = json.loads((EVENTS / "start_push_run.json").read_text())
# The list sample names no connection: its activation is on the one the push samples use.
SAMPLE_PUSH_CONNECTION_ID = _START_PUSH["pathParameters"]["id"]
SAMPLE_TOPICS = dict(
    zip(
        json.loads(_START_PUSH["body"])["segmentIds"],
        ["Auto Intenders - SUVs", "Frequent Business Travelers"],
        strict=True,
    )
)
# The custom API the sample connection pushes to, served beside the segment catalogue.
PUSH_API_PATH = "/activation-api"
PUSH_SEGMENTS_PATH = f"{PUSH_API_PATH}/segments"
PUSH_SEGMENT_PATH = f"{PUSH_SEGMENTS_PATH}/{{segment_id}}"
# What each push sample answers beyond its status, given the records seeded for it.
EXPECTED_PUSH_BODY: dict[str, Callable[[Any], bool]] = {
    "StartPushRunFunction": lambda body: body["totalSegments"] == len(SAMPLE_TOPICS) and body["status"] == "running",
    "PushBatchFunction": lambda body: (
        [(result["topicId"], result["status"], result.get("platformSegmentId")) for result in body["results"]]
        == [(topic_id, "active", f"seg-{topic_id}") for topic_id in SAMPLE_TOPICS]
        and body["run"]["status"] == "completed"
    ),
    "GetPushStatusFunction": lambda body: body["status"] == "running" and body["pendingCount"] == len(SAMPLE_TOPICS),
    "CancelPushRunFunction": lambda body: body["status"] == "cancelled" and body["completedAt"] is not None,
    "ListActivationsFunction": lambda body: len(body) == 1 and body[0]["stale"] is True,
    "DeactivateActivationFunction": lambda body: body["status"] == "deactivated" and body["platformNote"] is None,
    "RefreshActivationFunction": lambda body: (
        body["status"] == "active" and body["stale"] is False and body["pushedName"] == "Auto Intenders - SUVs"
    ),
    "BulkActivationsFunction": lambda body: (
        [result["status"] for result in body["results"]] == ["refreshed"] and body["nextCursor"] is None
    ),
}


TEMPLATE_ALLOWED_ORIGINS = load_template()["Parameters"]["AllowedOrigins"]["Default"]
HTTP_SAMPLES = sorted(
    path.name
    for path in EVENTS.glob("*.json")
    if json.loads(path.read_text()).get("requestContext", {}).get("authorizer", {}).get("lambda")
)


def seed_sample_api_key(org_id: str, key_id: str) -> None:
    """The API key the revoke sample names, stored as a create would store it."""
    from connections.domain.api_keys import ApiKey, api_key_digest, display_prefix, generate_api_key
    from connections.wiring import api_key_repository

    key = generate_api_key()
    record = ApiKey(key_id, org_id, "Sample key", frozenset({"sync"}), SAMPLE_TIME, prefix=display_prefix(key))
    api_key_repository().add(record, api_key_digest(key), max_per_org=25)


def seed_sample_records(event: dict, base_url: str, with_run: bool) -> None:
    """Store the connection (and run) the sample event's path names, in the sample's organisation."""
    from connections.wiring import sync_run_repository

    parameters = event.get("pathParameters", {})
    connection_id = parameters.get("id")
    if not connection_id:
        return
    if connection_id.startswith("key_"):  # the revoke sample names an API key
        seed_sample_api_key(event["requestContext"]["authorizer"]["lambda"]["orgId"], connection_id)
        return
    org_id = event["requestContext"]["authorizer"]["lambda"]["orgId"]
    store_sample_connection(org_id, connection_id, Direction.INBOUND, sample_config(base_url))
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


def sample_config(base_url: str) -> dict[str, Any]:
    """The sample connection's inbound settings: the local segment catalogue."""
    return {"base_url": base_url, "items_path": "data.segments", "count_path": "data.total", "auth_type": "bearer"}


def store_sample_connection(org_id: str, connection_id: str, direction: Direction, config: dict[str, Any]) -> None:
    """A custom API connection whose credentials are the catalogue's bearer token."""
    from connections.wiring import connection_repository, credential_cipher

    connection = Connection(
        id=connection_id,
        org_id=org_id,
        name="Sample",
        platform=Platform.CUSTOM_API,
        direction=direction,
        config=config,
        status=ConnectionStatus.ACTIVE,
        created_at=SAMPLE_TIME,
        updated_at=SAMPLE_TIME,
        has_credentials=True,
    )
    ciphertext = credential_cipher().encrypt(CATALOGUE_CREDENTIALS, org_id=org_id, connection_id=connection_id)
    connection_repository().create(connection, ciphertext, max_per_org=20)


def created_segment(request: RecordedRequest) -> FakeResponse:
    """The custom API's create: the new segment's id is derived from the topic id it was sent."""
    if request.header("authorization") != f"Bearer {CATALOGUE_CREDENTIALS['token']}":
        return FakeResponse.json({"error": "unauthorized"}, status=401)
    return FakeResponse.json({"id": f"seg-{request.json()['external_id']}"}, status=201)


def sample_activation(
    topic: Topic, status: ActivationStatus, run_id: str, activation_id: str | None = None, **pushed: Any
) -> Activation:
    return Activation(
        id=activation_id or new_id(ACTIVATION_PREFIX),
        org_id=topic.org_id,
        topic_id=topic.id,
        connection_id=SAMPLE_PUSH_CONNECTION_ID,
        platform=Platform.CUSTOM_API.value,
        topic_name=topic.name,
        status=status,
        created_at=SAMPLE_TIME,
        updated_at=SAMPLE_TIME,
        run_id=run_id,
        **pushed,
    )


def seed_push_samples(
    function_id: str, event: dict, catalogue: SegmentCatalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bidirectional sample connection that pushes to a custom API beside the catalogue, the sample
    topics under their sample ids, and the push run (with pending activations) or the pushed
    activation the sample needs."""
    from connections.wiring import push_repository, topic_library

    org_id = event["requestContext"]["authorizer"]["lambda"]["orgId"]
    catalogue.server.route("POST", PUSH_SEGMENTS_PATH, created_segment)
    catalogue.server.route("PUT", PUSH_SEGMENT_PATH, FakeResponse.json({}))
    catalogue.server.route("DELETE", PUSH_SEGMENT_PATH, FakeResponse(204, b"", {}))
    config = sample_config(catalogue.base_url) | {"api_base_url": f"{catalogue.server.url}{PUSH_API_PATH}"}
    store_sample_connection(org_id, SAMPLE_PUSH_CONNECTION_ID, Direction.BIDIRECTIONAL, config)

    caller = Caller(org_id=org_id, principal="user_dev", auth_type=AuthType.SESSION, role=OrgRole.ADMIN)
    sample_ids = iter(SAMPLE_TOPICS)
    with monkeypatch.context() as patch:
        patch.setattr("connections.adapters.dynamodb.topic_repository.new_id", lambda _prefix: next(sample_ids))
        topics = [
            topic_library().create(caller, CreateTopicRequest(topic_name=name)) for name in SAMPLE_TOPICS.values()
        ]

    if function_id in NEEDS_PUSH_RUN:
        run = PushRun(
            id=event["pathParameters"]["runId"],
            org_id=org_id,
            connection_id=SAMPLE_PUSH_CONNECTION_ID,
            status=RunStatus.RUNNING,
            total_segments=len(topics),
            started_at=SAMPLE_TIME,
            updated_at=SAMPLE_TIME,
        )
        push_repository().start(run, None)
        push_repository().put_activations([sample_activation(t, ActivationStatus.PENDING, run.id) for t in topics])
    elif function_id == "ListActivationsFunction" or function_id in CHANGE_SAMPLES:
        # Pushed under the name the topic had before it was renamed: active and stale.
        pushed = sample_activation(
            topics[0],
            ActivationStatus.ACTIVE,
            "run_01KJA3VF80DCCVQYCP1GDKMM01",
            event.get("pathParameters", {}).get("id"),
            platform_segment_id=f"seg-{topics[0].id}",
            pushed_name="Auto Intenders",
            pushed_description="Auto Intenders",
            activated_at=SAMPLE_TIME,
        )
        push_repository().put_activations([pushed])


# Functions no HTTP request triggers: the sample's connection is scheduled; the worker's run exists.
TRIGGER_SAMPLES = {"ScheduledSyncFunction", "SyncPageWorkerFunction"}
EXPECTED_TRIGGER_RESULT: dict[str, Callable[[Any, dict[str, Any]], bool]] = {
    "ScheduledSyncFunction": lambda result, run: (
        result["status"] == "started" and result["pagesEnqueued"] == result["totalPages"] == 1
    ),
    # The sample delivers page 1 twice (the second a redelivery): processed once, the run complete.
    "SyncPageWorkerFunction": lambda result, run: (
        result == {"batchItemFailures": []} and run["status"] == "completed" and run["successCount"] == 30
    ),
}


def run_trigger_sample(function_id: str, event: dict[str, Any], aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Seed what a scheduled sync sample names, run its function; the result and the run afterwards."""
    from connections.wiring import sync_run_repository
    from tests.support.scheduled_syncs import use_scheduled_syncs

    use_scheduled_syncs(monkeypatch, aws)
    names = event if function_id == "ScheduledSyncFunction" else json.loads(event["Records"][0]["body"])
    org_id, connection_id, run_id = names["orgId"], names["connectionId"], names.get("runId")
    with segment_catalogue(catalogue_items(30)[0]) as catalogue:
        config = sample_config(catalogue.base_url) | {"schedule": "rate(1 day)"}
        store_sample_connection(org_id, connection_id, Direction.INBOUND, config)
        if run_id:
            run = SyncRun(run_id, org_id, connection_id, RunStatus.RUNNING, 100, 30, 1, SAMPLE_TIME, SAMPLE_TIME)
            sync_run_repository().start(run.changed(trigger="schedule"), None)
        result = load_handler(FUNCTIONS[function_id])(event, LambdaContextStub(function_id, timeout_seconds=60))
    run_id = run_id or result.get("runId")
    stored = sync_run_repository().get(org_id, run_id) if run_id else None
    return result, stored.to_status_response() if stored else {}


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_function_runs_on_its_sample_event(aws, monkeypatch: pytest.MonkeyPatch, function_id: str) -> None:
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")  # the sample connection's API is a local fake
    monkeypatch.setenv("ALLOWED_ORIGINS", TEMPLATE_ALLOWED_ORIGINS)  # the samples' browser origin
    code_dir = FUNCTIONS[function_id]
    event = json.loads((EVENTS / f"{Path(code_dir).name}.json").read_text())
    if function_id in TRIGGER_SAMPLES:
        from tests.support.scheduled_syncs import use_scheduled_syncs

        use_scheduled_syncs(monkeypatch, aws)  # the queue URL is checked when the function is imported
    handler = load_handler(code_dir)

    if function_id == "AuthorizerFunction":
        result = handler(event, LambdaContextStub(function_id))
        # The sample carries a made-up API key: let through, marked unauthenticated, for a 401 downstream.
        assert result["isAuthorized"] is True
        assert result["context"]["authenticated"] is False
        assert result["context"]["authStatus"] == 401
        return
    if function_id in TRIGGER_SAMPLES:
        result, run = run_trigger_sample(function_id, event, aws, monkeypatch)
        assert EXPECTED_TRIGGER_RESULT[function_id](result, run), (result, run)
        return

    with segment_catalogue(catalogue_items(30)[0]) as catalogue:
        if function_id in PUSH_SAMPLES:
            seed_push_samples(function_id, event, catalogue, monkeypatch)
        else:
            seed_sample_records(event, catalogue.base_url, with_run=function_id in NEEDS_RUN)
        result = handler(event, LambdaContextStub(function_id, timeout_seconds=30))
        segments_created = catalogue.server.count("POST", PUSH_SEGMENTS_PATH)
        segments_changed = {method: catalogue.server.count(method, PUSH_SEGMENT_PATH) for method in ("PUT", "DELETE")}

    assert result["statusCode"] == EXPECTED_STATUS[function_id], result["body"]
    body = json.loads(result["body"])
    if function_id in EXPECTED_ERROR:
        assert (body, result["headers"]["Allow"]) == EXPECTED_ERROR[function_id]
    else:
        assert "error" not in body, body
    assert result["headers"]["Content-Type"] == "application/json"
    if function_id in EXPECTED_PUSH_BODY:
        assert EXPECTED_PUSH_BODY[function_id](body), body
    # Only the push call creates on the platform, once per segment; a change calls once.
    assert segments_created == (len(SAMPLE_TOPICS) if function_id == "PushBatchFunction" else 0)
    expected_changes = {
        "DeactivateActivationFunction": {"PUT": 0, "DELETE": 1},
        "RefreshActivationFunction": {"PUT": 1, "DELETE": 0},
        "BulkActivationsFunction": {"PUT": 1, "DELETE": 0},
    }
    assert segments_changed == expected_changes.get(function_id, {"PUT": 0, "DELETE": 0})


def authorizer_event(sample: dict[str, Any], token: str) -> dict[str, Any]:
    """The authorizer's event for the sample's request, its credential replaced by a real one where
    the sample carries it (Authorization header or __session cookie)."""
    headers = dict(sample["headers"])
    cookies = list(sample.get("cookies") or [])
    if "authorization" in headers:
        headers["authorization"] = f"Bearer {token}"
    else:
        cookies = [f"__session={token}" if c.startswith("__session=") else c for c in cookies]
    context = {name: value for name, value in sample["requestContext"].items() if name != "authorizer"}
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeKey": sample["routeKey"],
        "rawPath": sample["rawPath"],
        "rawQueryString": sample.get("rawQueryString", ""),
        "headers": headers,
        "cookies": cookies,
        "requestContext": context,
    }


@pytest.mark.parametrize("sample_name", HTTP_SAMPLES)
def test_sample_context_is_what_the_authorizer_emits(aws, token_issuer, sample_name: str) -> None:
    """Each sample's requestContext.authorizer.lambda must equal what the real authorizer answers for
    the sample's request: role spelling (the application role, not Clerk's), credential source, scopes."""
    from connections.domain.api_key_service import ApiKeyService
    from connections.wiring import api_key_repository

    sample = json.loads((EVENTS / sample_name).read_text())
    stated = sample["requestContext"]["authorizer"]["lambda"]
    if stated["authType"] == "session":
        # The samples' sessions are Clerk's default admin role, which a v2 token spells `admin`.
        token = token_issuer.token(stated["orgId"], user_id=stated["principal"], role="admin")
    else:
        scopes = ",".join(stated["scopes"].split())
        token, _record = ApiKeyService(api_key_repository()).issue(stated["orgId"], "sample", scopes, None)

    result = load_handler(AUTHORIZER_DIR)(authorizer_event(sample, token), LambdaContextStub("AuthorizerFunction"))

    emitted = result["context"]
    if stated["authType"] == "api_key":
        emitted["principal"] = stated["principal"]  # a key id, new for every issued key
    assert emitted == stated
