"""schemathesis against the local server: every operation of openapi.yaml, every built-in check, a fixed
seed and a bounded number of examples, so that a 5xx or an answer openapi.yaml does not describe fails
the suite.

The run is pinned to real resources of one organisation so that routes do real work rather than
answer 404: a bidirectional custom API connection on a fake platform (127.0.0.1) with a running sync
(30 pages) and a running push, library topics, an activation. Operations that change or end what they
touch get resources of their own: PATCH a connection that nothing tests, syncs or pushes (a generated
``base_url`` is never called), DELETE a throwaway connection made again whenever one is gone, start
calls a second connection; the connections a create makes are deleted at once, so the organisation
never reaches its 20-connection limit, and the API keys a create makes are revoked at once (freeing
their slots among the 25). The stack is one of its own whose scheduler loop never ticks
during the run, so no schedule a generated config asks for reaches a generated host.

Requests use an API key with every scope where the operation accepts one and a session token (role
admin) where it is session-only, as the schemes listed first in each operation's ``security`` say.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from connections.domain.connection_config import CONFIG_KEYS, CREDENTIAL_URL_KEYS, merge_config
from connections.domain.platforms import Direction, Platform
from tests.e2e.local_stack import ALL_SCOPES, LocalStack, bearer, start_local_stack, stop, unique_org
from tests.fakes.platforms import CustomApiFake, custom_api_fake

pytestmark = pytest.mark.e2e

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.yaml"
SEED = 20260225
MAX_EXAMPLES = 25
SEGMENTS = 60
PAGE_SIZE = 2  # 30 pages: page calls keep fetching and classifying for the whole run
TOPICS = 3
# The scheduler loop's first look comes after this many seconds, long after the run.
SCHEDULER_TICK_SECONDS = "86400"
# Where a generated API key expiry is moved to: the service refuses past ones (documented in prose).
FUTURE_EXPIRY = "2099-01-01T00:00:00.000Z"
# The fake custom API's credentials for each auth_type (tests/fakes/platforms.py).
CUSTOM_CREDENTIALS = {
    "bearer": {"token": "custom-token-0a9b8c7d"},
    "basic": {"username": "custom-user", "password": "custom-pass-6e5f4a"},
    "api_key": {"api_key": "custom-key-3c2d1e0f"},
    "none": {},
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    started, process = start_local_stack(
        tmp_path_factory.mktemp("conformance_stack"), {"LOCAL_SCHEDULER_TICK_SECONDS": SCHEDULER_TICK_SECONDS}
    )
    try:
        yield started
    finally:
        stop(process)


@pytest.fixture(scope="module")
def platform() -> Iterator[CustomApiFake]:
    with custom_api_fake(total=SEGMENTS) as fake:
        yield fake


@dataclass
class Pinned:
    """The organisation's real resources the run is pinned to, and a session client to make more."""

    client: httpx.Client
    platform: CustomApiFake
    api_key: str
    session_token: str
    connection_id: str
    start_connection_id: str
    patch_connection_id: str
    sync_run_id: str
    sync_pages: int
    push_run_id: str
    topic_ids: list[str]
    activation_id: str
    throwaway_id: str = ""
    api_key_id: str = ""
    created: list[str] = field(default_factory=list)

    def create_connection(self, name: str, direction: str = "bidirectional") -> str:
        if direction == "outbound":
            config = self.platform.outbound_config()
        else:
            config = self.platform.config | {"page_size": PAGE_SIZE}
        body = {
            "name": name,
            "platform": "custom_api",
            "direction": direction,
            "config": config,
            "credentials": self.platform.credentials,
        }
        response = self.client.post("/api/connections", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def throwaway(self) -> str:
        """A connection that may be deleted: the last one while it exists, else a new one."""
        if not self.throwaway_id or self.client.get(f"/api/connections/{self.throwaway_id}").status_code == 404:
            self.throwaway_id = self.create_connection("Throwaway", "outbound")
        return self.throwaway_id

    def revocable_key(self) -> str:
        """An API key of the organisation for DELETE /api/keys/{id}: one, made on first use (revoking
        it again answers 200 with the same record, so every case after the first checks that)."""
        if not self.api_key_id:
            self.api_key_id = _created(self.client, "/api/keys", {"name": "Revocable", "scopes": ["sync"]})
        return self.api_key_id


def _created(client: httpx.Client, path: str, body: dict[str, Any] | None = None, key: str = "id") -> str:
    response = client.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    return str(response.json()[key])


@pytest.fixture(scope="module")
def pinned(stack: LocalStack, platform: CustomApiFake) -> Iterator[Pinned]:
    org = unique_org("org_conformance")
    session_token = stack.session_token(org, role="admin")
    client = httpx.Client(base_url=stack.base_url, headers=bearer(session_token), timeout=60)
    partial = Pinned(
        client,
        platform,
        stack.api_key(org, ALL_SCOPES),
        session_token,
        connection_id="",
        start_connection_id="",
        patch_connection_id="",
        sync_run_id="",
        sync_pages=0,
        push_run_id="",
        topic_ids=[],
        activation_id="",
    )
    connection_id = partial.create_connection("Seller catalogue and destination")
    topic_ids = [
        _created(client, "/api/topics", {"topic_name": f"Auto Intenders {n}", "description": "Researching SUVs"})
        for n in range(TOPICS)
    ]
    sync_run = client.post(f"/api/connections/{connection_id}/sync/run")
    assert sync_run.status_code == 200, sync_run.text
    push_run_id = _created(client, f"/api/connections/{connection_id}/push/run", {"segmentIds": topic_ids}, "runId")
    # One batch pushed: the activations are real, and the push run still has nothing left to do but finish.
    assert client.post(f"/api/connections/{connection_id}/push/run/{push_run_id}/push").status_code == 200
    activations = client.get("/api/activations", params={"connectionId": connection_id}).json()
    pinned = Pinned(
        client=client,
        platform=platform,
        api_key=partial.api_key,
        session_token=session_token,
        connection_id=connection_id,
        start_connection_id=partial.create_connection("Second catalogue"),
        patch_connection_id=partial.create_connection("Renamed and reconfigured", "outbound"),
        sync_run_id=sync_run.json()["runId"],
        sync_pages=int(sync_run.json()["totalPages"]),
        push_run_id=push_run_id,
        topic_ids=topic_ids,
        activation_id=activations[0]["id"],
    )
    assert pinned.sync_pages == SEGMENTS // PAGE_SIZE
    try:
        yield pinned
    finally:
        client.close()


ACTIVATION_OPERATIONS = {"deactivateActivation", "refreshActivation"}
SYNC_RUN_OPERATIONS = {"processSyncPage", "getSyncStatus", "cancelSyncRun"}
PUSH_RUN_OPERATIONS = {"pushBatch", "getPushStatus", "cancelPushRun"}
START_OPERATIONS = {"startSyncRun", "startPushRun"}


def pin_path(case: Any, pinned: Pinned) -> None:
    """Path parameters name the operation's real resource (generated ids would all be 404s)."""
    operation_id = case.operation.definition.raw.get("operationId")
    names = {parameter.name for parameter in case.operation.path_parameters}
    if not names:
        return
    pins = {"id": pinned.connection_id}
    if operation_id == "updateConnection":
        pins["id"] = pinned.patch_connection_id
    elif operation_id == "deleteConnection":
        pins["id"] = pinned.throwaway()
    elif operation_id == "revokeApiKey":
        pins["id"] = pinned.revocable_key()
    elif operation_id in START_OPERATIONS:
        pins["id"] = pinned.start_connection_id
    elif operation_id in SYNC_RUN_OPERATIONS:
        pins["runId"] = pinned.sync_run_id
    elif operation_id in PUSH_RUN_OPERATIONS:
        pins["runId"] = pinned.push_run_id
    elif operation_id in ACTIVATION_OPERATIONS:
        pins["id"] = pinned.activation_id
    case.path_parameters = {**(case.path_parameters or {}), **{name: pins[name] for name in names}}


def pin_body(case: Any, pinned: Pinned) -> None:
    """Schema-valid bodies name real things: the run's pages, the library's topics (PATCH bodies:
    pin_update_body)."""
    if case.meta is None or not case.meta.generation.mode.is_positive or not isinstance(case.body, dict):
        return
    if case.operation.path.endswith("/sync/run/{runId}/page") and _is_integer(case.body.get("page")):
        # 58.0 is the integer 58 by the schema (and by the service), so it is pinned like 58.
        case.body["page"] = 1 + (int(case.body["page"]) - 1) % pinned.sync_pages
    if isinstance(case.body.get("segmentIds"), list) and case.body["segmentIds"]:
        case.body["segmentIds"] = pinned.topic_ids
    if case.operation.path == "/api/activations/bulk":
        # A cursor is opaque and checked (list_cursor.py): a generated one is never one the API returned.
        case.body.pop("cursor", None)
    if case.operation.label == "POST /api/keys" and isinstance(case.body.get("expiresAt"), str):
        # A key's expiry must lie ahead, which the schema cannot say (it knows no "now"); the 400 for
        # a past one is tested in tests/integration/test_api_keys.py.
        case.body["expiresAt"] = FUTURE_EXPIRY


def _is_integer(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and float(value).is_integer()


def pin_update_body(case: Any, pinned: Pinned) -> None:
    """A PATCH body fitted to the connection it updates.

    Whether a PATCH is valid depends on the stored connection as well as the body: the merged
    connection is checked whole (openapi.yaml, updateConnection), which no request schema can
    express, since it cannot see what is stored. Like the real ids above, the body is therefore
    pinned to the stored connection, as any caller's body is written for the connection it edits:
    its platform and direction stay, config keys that do not apply to them are removed (null)
    rather than set, and credentials are those of the merged auth_type, given whenever the body
    moves a URL they are sent to. Every field the schema generated otherwise goes as generated.
    """
    if case.meta is None or not case.meta.generation.mode.is_positive or not isinstance(case.body, dict):
        return
    if case.operation.definition.raw.get("operationId") != "updateConnection":
        return
    stored = pinned.client.get(f"/api/connections/{pinned.patch_connection_id}").json()
    platform, direction = Platform(stored["platform"]), Direction(stored["direction"])
    body = case.body
    if "platform" in body:
        body["platform"] = platform.value
    if "direction" in body:
        body["direction"] = direction.value
    changes = body.get("config")
    if isinstance(changes, dict):
        for key in list(changes):
            spec = CONFIG_KEYS.get(key)
            fits = spec is not None and (
                ((spec.inbound and direction.pulls) or (spec.outbound and direction.pushes))
                and (spec.platforms is None or platform in spec.platforms)
            )
            if spec is not None and not fits:
                changes[key] = None
        if direction.pulls and "base_url" in changes and changes["base_url"] is None:
            del changes["base_url"]  # a pulling connection needs one; the schema cannot know it pulls
    merged = merge_config(stored["config"], changes if isinstance(changes, dict) else {})
    moved = any(stored["config"].get(key) != merged.get(key) for key in CREDENTIAL_URL_KEYS)
    if "credentials" in body or moved:
        body["credentials"] = CUSTOM_CREDENTIALS[merged.get("auth_type") or "none"]


def credential_for(case: Any, pinned: Pinned) -> str:
    """The API key where the operation's first security scheme is the API key, else the session token."""
    first = case.operation.definition.raw["security"][0]
    return pinned.api_key if "apiKey" in first else pinned.session_token


# The filters that make a listing page by cursor only (status only together with connectionId; page
# is dropped whenever it is given, which loses no check of the bounded rule).
BOUNDED_FILTERS = {
    "GET /api/topics": {"source", "iabCode", "search"},
    "GET /api/activations": {"platform", "stale", "status"},
}

# Each listing's page size parameters (the first given counts) and default; page numbers reach the
# first MAX_LIST_OFFSET items, a prose rule whose 400 is right (list_cursor.py).
PAGE_SIZES = {"GET /api/topics": (("pageSize",), 25), "GET /api/activations": (("limit", "pageSize"), 50)}
MAX_LIST_OFFSET = 1000


def _skips_past_the_offset_cap(label: str, query: dict[str, Any]) -> bool:
    names, default = PAGE_SIZES[label]
    sizes = [query[name] for name in names if _is_integer(query.get(name))]
    if not _is_integer(query.get("page")):
        return False
    return (int(query["page"]) - 1) * int(sizes[0] if sizes else default) > MAX_LIST_OFFSET


schema = schemathesis.openapi.from_path(
    OPENAPI,
    config=SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "continue-on-failure": True,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none", "mode": "all"},
            "checks": {"enabled": True},
            "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
        }
    ),
)


@schema.parametrize()
def test_every_operation_answers_as_openapi_yaml_says(case: Any, stack: LocalStack, pinned: Pinned) -> None:
    pin_path(case, pinned)
    if isinstance(case.query, dict):
        # Rules the schema states in prose only, whose 400s are right: a cursor is opaque and checked
        # (list_cursor.py), so a generated one is never one the API returned; and listings read with a
        # bounded filter page by cursor only. The listings' paging is tested with real cursors.
        case.query.pop("cursor", None)
        if BOUNDED_FILTERS.get(case.operation.label, set()) & set(case.query):
            case.query.pop("page", None)
        if case.operation.label in PAGE_SIZES and _skips_past_the_offset_cap(case.operation.label, case.query):
            case.query.pop("page", None)
    pin_body(case, pinned)
    pin_update_body(case, pinned)
    headers = {"Authorization": f"Bearer {credential_for(case, pinned)}"}
    response = case.call_and_validate(base_url=stack.base_url, headers=headers)
    if case.operation.label == "POST /api/connections" and response.status_code == 201:
        # Made by a generated body: gone again at once, so creates never run into the limit.
        assert pinned.client.delete(f"/api/connections/{response.json()['id']}").status_code == 200
    if case.operation.label == "POST /api/keys" and response.status_code == 201:
        # Revoked at once, which frees its slot: creates never run into the 25-key limit.
        assert pinned.client.delete(f"/api/keys/{response.json()['id']}").status_code == 200
