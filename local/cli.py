"""``connections-dev``: run the API locally without Docker, and issue credentials for it.

    connections-dev serve                                   # what `make dev` runs
    connections-dev api-key --org ORG --scopes sync,activations [--name NAME] [--expires-in-days N]  # POST /api/keys
    connections-dev session-token --org ORG [--user USER] [--role admin] [--ttl-minutes N]
    connections-dev invoke FUNCTION -e events/FILE.json     # like `sam local invoke`
    connections-dev trigger-sync CONNECTION_ID [--org ORG] [--wait]   # run a scheduled sync now
    connections-dev set-plan --org ORG --plan free|pro|enterprise      # the organisation's quota tier

Every command reads ``PORT`` (API, default 3000) and ``MOTO_PORT`` (moto, default 5000); all but
``serve`` work against the stack that a running ``serve`` with the same ports provides.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from local import dev_keys, dev_stack
from local.dev_stack import DevPorts

DEV_ORG = "org_dev"
DEV_USER = "user_dev"
DEV_SCOPES = "sync,activations,topics:read,topics:write"
DEV_TOKEN_TTL_SECONDS = 24 * 3600
# The owner session `api-key` mints for its one request.
KEY_REQUEST_SESSION_TTL_SECONDS = 300
# Scheduled syncs under `serve`: page worker processes, and how often the scheduler loop looks.
SYNC_WORKERS_VARIABLE = "LOCAL_SYNC_WORKERS"
SCHEDULER_TICK_VARIABLE = "LOCAL_SCHEDULER_TICK_SECONDS"


class DevStackNotRunning(dev_stack.DevStackError):
    def __init__(self, ports: DevPorts) -> None:
        super().__init__(
            f"No dev stack on {ports.moto_url} (MOTO_PORT={ports.moto}). Start it with `make dev` "
            "or `connections-dev serve` using the same PORT and MOTO_PORT."
        )


def _connect_to_running_stack(ports: DevPorts) -> dev_stack.LocalResources:
    dev_stack.use_layer()
    dev_stack.point_boto3_at(ports.moto_url)
    if not dev_stack.moto_is_running(ports.moto_url):
        raise DevStackNotRunning(ports)
    try:
        return dev_stack.existing_resources()
    except Exception:
        raise DevStackNotRunning(ports) from None


def issue_api_key(org_id: str, scopes: str, name: str, expires_in_days: int | None = None) -> str:
    """A new API key written straight into the table boto3 points at (the layer's service), for the
    key ``serve`` prints before it listens."""
    from connections.adapters.dynamodb.api_key_repository import DynamoApiKeyRepository
    from connections.domain.api_key_service import ApiKeyService
    from connections.domain.errors import DomainError

    service = ApiKeyService(DynamoApiKeyRepository(dev_stack.TABLE_NAME))
    try:
        plaintext, _record = service.issue(org_id, name, scopes, _expiry(expires_in_days))
    except DomainError as error:
        raise SystemExit(f"No API key issued: {error.message}") from None
    return plaintext


def request_api_key(ports: DevPorts, org_id: str, scopes: str, name: str, expires_in_days: int | None = None) -> str:
    """A new API key from the running stack's ``POST /api/keys``, asked for with a locally minted owner
    session of ``org_id``, as a client of the deployed API would."""
    import httpx

    dev_stack.use_layer()
    body: dict[str, Any] = {"name": name, "scopes": [part.strip() for part in scopes.split(",") if part.strip()]}
    if expires_in_days is not None:
        body["expiresAt"] = _expiry(expires_in_days)
    session = dev_keys.signing_key().token(org_id, DEV_USER, "owner", KEY_REQUEST_SESSION_TTL_SECONDS)
    try:
        response = httpx.post(
            f"{ports.api_url}/api/keys", json=body, headers={"Authorization": f"Bearer {session}"}, timeout=30
        )
    except httpx.TransportError:
        raise dev_stack.DevStackError(
            f"No API on {ports.api_url} (PORT={ports.api}). Start it with `make dev` or `connections-dev serve` "
            "using the same PORT and MOTO_PORT."
        ) from None
    if response.status_code != 201:
        raise SystemExit(f"No API key issued for scopes {scopes!r}: {_error_text(response)}")
    return str(response.json()["key"])


def _expiry(days: int | None) -> str | None:
    from connections.domain.clock import format_timestamp

    return None if days is None else format_timestamp(datetime.now(UTC) + timedelta(days=days))


def _error_text(response: Any) -> str:
    """The API's error message and field details, or the status when the answer is not the API's."""
    try:
        answer = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    details = "; ".join(f"{item.get('field')}: {item.get('message')}" for item in answer.get("details") or [])
    message = str(answer.get("error") or answer.get("message") or f"HTTP {response.status_code}")
    return f"{message} ({details})" if details else message


def set_plan(org_id: str, plan_name: str) -> dict[str, Any]:
    """Put the organisation on a plan in the table boto3 points at; the plan and this month's usage."""
    from connections.adapters.dynamodb.usage_meters import DynamoUsageMeters
    from connections.domain.quotas import PLAN_LIMITS, Meter, Plan, Quotas, billing_month

    meters = DynamoUsageMeters(dev_stack.TABLE_NAME)
    plan = Plan(plan_name)
    Quotas(meters).set_plan(org_id, plan)
    month = billing_month(datetime.now(UTC))
    return {
        "orgId": org_id,
        "plan": plan.value,
        "month": month,
        "usage": {
            meter.value: {"used": meters.used(org_id, month, meter.value), "limit": PLAN_LIMITS[plan][meter]}
            for meter in Meter
        },
    }


def _banner(
    ports: DevPorts, api_key: str, token: str, reused_moto: bool, origins: str, scheduled_syncs: str = ""
) -> str:
    state = (
        f"State lives in the moto server already running on {ports.moto_url}; it outlives this process."
        if reused_moto
        else "State lives in memory in this process: everything is lost when it stops."
    )
    return f"""
Connections API (local) listening on {ports.api_url}
  OpenAPI:        {ports.api_url}/openapi.json
  AWS (moto):     {ports.moto_url}  table {dev_stack.TABLE_NAME}
  CORS origins:   {origins or "(CORS off)"}
  Scheduled syncs: {scheduled_syncs or "(off)"}

Credentials for organisation {DEV_ORG}:
  API key:        {api_key}
  Session token:  {token}
  (API key scopes {DEV_SCOPES}; session user {DEV_USER}, role org:admin, valid 24 h)

Try:
  curl -s {ports.api_url}/api/connections -H "Authorization: Bearer {api_key}"

More credentials: connections-dev api-key --org ORG --scopes sync,activations
                  connections-dev session-token --org ORG --role admin
{state}
Ctrl-C stops the server.
"""


def _stop_serving(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(ports: DevPorts) -> None:
    """Moto, the template's resources, and the API on ``ports``, until Ctrl-C or SIGTERM."""
    from local.api_gateway import AUTHORIZER_DIR, ApiGateway, load_handler
    from local.http_api_cors import CorsPolicy
    from local.server import LocalApiServer

    dev_stack.use_layer()
    dev_stack.point_boto3_at(ports.moto_url)
    reused_moto = dev_stack.moto_is_running(ports.moto_url)
    moto = None if reused_moto else dev_stack.EmbeddedMoto(ports.moto).start()
    try:
        resources = dev_stack.ensure_resources()
        dev_stack.apply_function_environment(ports, resources)
        signing_key = dev_keys.signing_key()
        gateway = ApiGateway()
        # Import every function before serving, so no two request threads import one concurrently.
        load_handler(AUTHORIZER_DIR)
        for route in gateway.routes:
            load_handler(route.code_dir, route.handler)
        origins = dev_stack.allowed_origins()
        try:
            server = LocalApiServer(ports.api, gateway, CorsPolicy.from_template(origins), signing_key.jwks())
        except OSError as error:
            raise dev_stack.DevStackError(f"Cannot listen on {ports.api_url} ({error.strerror}); set PORT") from None
        api_key = issue_api_key(DEV_ORG, DEV_SCOPES, "make dev")
        token = signing_key.token(DEV_ORG, DEV_USER, "admin", DEV_TOKEN_TTL_SECONDS)
        scheduled = _start_scheduled_syncs(resources)
        print(_banner(ports, api_key, token, reused_moto, origins, scheduled.describe()), flush=True)
        # Explicit handlers: a shell starts background jobs with SIGINT ignored.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _stop_serving)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
            scheduled.stop()
    finally:
        if moto is not None:
            moto.stop()
    print("Stopped.", flush=True)
    # Everything is closed; skip the interpreter's slow tidy-up of moto's in-memory tables.
    sys.stderr.flush()
    os._exit(0)


def _start_scheduled_syncs(resources: dev_stack.LocalResources) -> Any:
    """The local scheduler loop and page workers (their processes get this process's environment)."""
    from local.scheduled_syncs import LocalScheduledSyncs

    workers = int(os.environ.get(SYNC_WORKERS_VARIABLE) or 2)
    tick_seconds = float(os.environ.get(SCHEDULER_TICK_VARIABLE) or 10)
    return LocalScheduledSyncs(resources.sync_page_queue_url, resources.schedule_group, workers, tick_seconds).start()


def trigger_sync(ports: DevPorts, org_id: str, connection_id: str, wait: bool, timeout: float) -> Any:
    """Run a connection's scheduled sync now against the running stack, whose workers process the
    pages; with ``wait``, also the run's status once it has finished."""
    from local import scheduled_syncs

    resources = _connect_to_running_stack(ports)
    dev_stack.apply_function_environment(ports, resources, [scheduled_syncs.SCHEDULED_SYNC_FUNCTION])
    with contextlib.redirect_stdout(sys.stderr):
        result = scheduled_syncs.trigger(org_id, connection_id)
        if wait and isinstance(result, dict) and result.get("runId"):
            result["run"] = scheduled_syncs.wait_for_run(org_id, result["runId"], resources.table_name, timeout)
    return result


def _function_id(name: str) -> str:
    """A logical id from the template, given either it or the function's folder name."""
    from local.sam_template import functions

    declared = functions()
    if name in declared:
        return name
    for function_id, spec in declared.items():
        if Path(spec.get("Properties", {}).get("CodeUri", "")).name == name:
            return function_id
    raise SystemExit(f"Unknown function {name!r}; known: {', '.join(sorted(declared))}")


def invoke(ports: DevPorts, name: str, event_path: Path) -> Any:
    """Run one function on one event against the running dev stack; its return value."""
    from local.api_gateway import LambdaContextStub, function_timeout, load_handler
    from local.sam_template import PROJECT_ROOT, functions

    function_id = _function_id(name)
    event = json.loads(event_path.read_text())
    resources = _connect_to_running_stack(ports)
    dev_stack.apply_function_environment(ports, resources, [function_id])
    properties = functions()[function_id].get("Properties", {})
    # Function logs go to stderr, so stdout carries only the result (as with `sam local invoke`).
    with contextlib.redirect_stdout(sys.stderr):
        handler = load_handler(PROJECT_ROOT / properties["CodeUri"], properties.get("Handler", "app.lambda_handler"))
        return handler(event, LambdaContextStub(function_id, timeout_seconds=function_timeout(function_id)))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="connections-dev", description="Run the Connections API locally without Docker, and issue credentials."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the API with an embedded moto (what `make dev` runs)")

    api_key = commands.add_parser(
        "api-key", help="print a new API key, created by POST /api/keys with a local owner session of --org"
    )
    api_key.add_argument("--org", required=True, help="organisation id, e.g. org_dev")
    api_key.add_argument("--scopes", required=True, help="comma-separated, e.g. sync,activations")
    api_key.add_argument("--name", default="connections-dev", help="label stored with the key")
    api_key.add_argument("--expires-in-days", type=int, help="expiry; none by default")

    token = commands.add_parser("session-token", help="print a session JWT the local authorizer accepts")
    token.add_argument("--org", required=True, help="active organisation id (o.id)")
    token.add_argument("--user", default=DEV_USER, help="user id (sub)")
    token.add_argument("--role", default="admin", help="organisation role, e.g. admin or viewer")
    token.add_argument("--ttl-minutes", type=int, default=DEV_TOKEN_TTL_SECONDS // 60, help="lifetime")

    run = commands.add_parser("invoke", help="run one function on one event, like `sam local invoke`")
    run.add_argument("function", help="logical id (GetConnectionFunction) or folder name (get_connection)")
    run.add_argument("-e", "--event", required=True, type=Path, help="event JSON file, e.g. events/get.json")

    sync = commands.add_parser(
        "trigger-sync", help="run a connection's scheduled sync now; the pages go to the running stack's workers"
    )
    sync.add_argument("connection_id", help="a connection with config.schedule, e.g. conn_01...")
    sync.add_argument("--org", default=DEV_ORG, help=f"the connection's organisation (default {DEV_ORG})")
    sync.add_argument("--wait", action="store_true", help="wait for the run to finish and print its status")
    sync.add_argument("--timeout", type=float, default=300.0, help="seconds --wait waits at most")
    plan = commands.add_parser("set-plan", help="put an organisation on a quota plan (Free, Pro or Enterprise)")
    plan.add_argument("--org", required=True, help="organisation id, e.g. org_dev")
    plan.add_argument("--plan", required=True, choices=("free", "pro", "enterprise"), help="the plan's tier")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``connections-dev`` console script."""
    args = _parser().parse_args(argv)
    try:
        _run(args, DevPorts.from_environ())
    except dev_stack.DevStackError as error:
        raise SystemExit(str(error)) from None


def _run(args: argparse.Namespace, ports: DevPorts) -> None:
    if args.command == "serve":
        serve(ports)
    elif args.command == "api-key":
        print(request_api_key(ports, args.org, args.scopes, args.name, args.expires_in_days))
    elif args.command == "session-token":
        ttl_seconds = args.ttl_minutes * 60
        print(dev_keys.signing_key().token(args.org, args.user, args.role, ttl_seconds))
    elif args.command == "invoke":
        print(json.dumps(invoke(ports, args.function, args.event), indent=2, default=str))
    elif args.command == "trigger-sync":
        result = trigger_sync(ports, args.org, args.connection_id, args.wait, args.timeout)
        print(json.dumps(result, indent=2, default=str))
    elif args.command == "set-plan":
        _connect_to_running_stack(ports)
        print(json.dumps(set_plan(args.org, args.plan), indent=2))


if __name__ == "__main__":
    main()
