"""Cold start of every function from the built artifact, as a ratio to a bare boto3 handler measured
side by side in one run.

The layer and the function directories are built by the step ``sam build`` runs
(``lambda_build/build_artifact.py``), for this machine's platform instead of arm64 (arm64 wheels do not
import here), then made read-only. Each measurement is a fresh Python 3.13 process laid out as Lambda's:
``sys.path`` is the function directory (``/var/task``), the layer's ``python/`` (``/opt/python``), then
boto3 and its dependencies in a directory of their own (the runtime's ``/var/runtime``), with
``PYTHONDONTWRITEBYTECODE=1``. It imports the handler module (Lambda's init) and invokes it once on its
sample event. An embedded moto server in this process stands in for DynamoDB, KMS, SQS and EventBridge
Scheduler; a fake platform on 127.0.0.1 for the platforms. Functions and the baseline take turns,
round after round, so that machine noise hits both alike.

Run alone: ``.venv/bin/python bench/bench_cold_start.py`` (prints the markdown section).
"""

from __future__ import annotations

import copy
import functools
import json
import os
import platform as host
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LAYER_PATH = PROJECT_ROOT / "layers" / "shared"
for _path in (PROJECT_ROOT, LAYER_PATH):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from connections.adapters.dynamodb.api_key_repository import DynamoApiKeyRepository  # noqa: E402
from connections.adapters.dynamodb.connection_repository import DynamoConnectionRepository  # noqa: E402
from connections.adapters.dynamodb.keys import connection_key  # noqa: E402
from connections.domain.api_key_service import ApiKeyService  # noqa: E402
from connections.domain.connection import Connection  # noqa: E402
from connections.domain.platforms import ConnectionStatus, Direction, Platform  # noqa: E402
from lambda_build import build_artifact  # noqa: E402
from local.api_gateway import ApiGateway  # noqa: E402
from local.dev_keys import SigningKey  # noqa: E402
from local.dev_stack import (  # noqa: E402
    HOST,
    DevPorts,
    EmbeddedMoto,
    ensure_resources,
    local_overrides,
    point_boto3_at,
    template_environment,
)
from local.lambda_container import reset_container_state  # noqa: E402
from local.provision import LocalResources  # noqa: E402
from local.sam_template import functions  # noqa: E402
from tests.fakes.http_server import FakeHttpServer  # noqa: E402
from tests.fakes.platforms import CustomApiFake  # noqa: E402

RUNS = int(os.environ.get("BENCH_COLD_RUNS") or 7)
EVENTS_DIR = PROJECT_ROOT / "events"
RESULT_MARKER = "BENCH_PROBE_RESULT "
BASELINE_LABEL = "Baseline (boto3 + one GetItem)"
# The environment the baseline runs with: a read function's, which is the template's Globals.
BASELINE_ENVIRONMENT_OF = "GetConnectionFunction"
AWS_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION")
# A trace header as Lambda sets it with Tracing: Active; the X-Ray SDK sends its segments by UDP to
# 127.0.0.1:2000, where nothing listens here (on Lambda, the X-Ray daemon).
TRACE_ID = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

# Targets per function and what the issue asks of them: read endpoints and the authorizer within 1.25x
# the baseline, the endpoints that handle credentials within 1.6x. Others have no target.
READ_FUNCTIONS = (
    "AuthorizerFunction",
    "ListConnectionsFunction",
    "GetConnectionFunction",
    "GetSyncStatusFunction",
    "ListTopicsFunction",
    "GetPushStatusFunction",
    "ListActivationsFunction",
)
CREDENTIAL_FUNCTIONS = (
    "CreateConnectionFunction",
    "UpdateConnectionFunction",
    "TestConnectionFunction",
    "StartSyncRunFunction",
)
TARGETS = {name: 1.25 for name in READ_FUNCTIONS} | {name: 1.6 for name in CREDENTIAL_FUNCTIONS}
# Extra rows for the decisions: the same functions with boto3 bundled in the layer, and without bytecode.
BUNDLED_ROWS = ("ListConnectionsFunction", "CreateConnectionFunction")
NO_BYTECODE_ROWS = ("ListConnectionsFunction",)

# Runs in the fresh interpreter. Only the standard library is loaded before the clock starts, as in
# Lambda's own bootstrap; the event is read before it too, since Lambda delivers it after init.
PROBE_SOURCE = textwrap.dedent(
    """
    import importlib
    import json
    import resource
    import sys
    import time


    class Context:
        def __init__(self, function_name):
            self.function_name = function_name
            self.function_version = "$LATEST"
            self.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + function_name
            self.memory_limit_in_mb = 512
            self.aws_request_id = "00000000-0000-4000-8000-000000000000"
            self.log_group_name = "/aws/lambda/" + function_name
            self.log_stream_name = "bench"
            self._deadline = time.monotonic() + 30

        def get_remaining_time_in_millis(self):
            return max(0, int((self._deadline - time.monotonic()) * 1000))


    def outcome_of(result):
        if isinstance(result, dict) and "statusCode" in result:
            try:
                body = json.loads(result.get("body") or "null")
            except ValueError:
                body = None
            # Actions that always answer 200 say in the body whether the platform call worked.
            if isinstance(body, dict) and "success" in body:
                return "%s, success %s" % (result["statusCode"], "true" if body["success"] else "false")
            return str(result["statusCode"])
        if isinstance(result, dict) and isinstance(result.get("context"), dict):
            return "authenticated" if result["context"].get("authenticated") else "refused"
        if isinstance(result, dict) and "batchItemFailures" in result:
            return "%d batch item failures" % len(result["batchItemFailures"])
        if isinstance(result, dict) and "status" in result:
            return str(result["status"])
        return repr(result)[:80]


    def peak_rss_kb():
        # VmHWM belongs to this program's memory map; ru_maxrss would also count the parent's memory
        # that the process had between fork and exec.
        try:
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


    def main():
        module_name, event_file, function_name = sys.argv[1:4]
        with open(event_file) as handle:
            event = json.load(handle)
        started = time.perf_counter()
        module = importlib.import_module(module_name)
        initialised = time.perf_counter()
        result = module.lambda_handler(event, Context(function_name))
        invoked = time.perf_counter()
        report = {
            "init_ms": (initialised - started) * 1000,
            "invoke_ms": (invoked - initialised) * 1000,
            "peak_rss_kb": peak_rss_kb(),
            "modules": len(sys.modules),
            "loads_encryption_sdk": "aws_encryption_sdk" in sys.modules,
            "loads_pydantic": "pydantic" in sys.modules,
            "outcome": outcome_of(result),
        }
        print("@MARKER@" + json.dumps(report), flush=True)


    main()
    """
).replace("@MARKER@", RESULT_MARKER)

BASELINE_SOURCE = textwrap.dedent(
    """
    \"\"\"A bare handler: boto3 and one DynamoDB client at init, one GetItem per invocation.\"\"\"
    import os

    import boto3

    client = boto3.client("dynamodb")
    TABLE_NAME = os.environ["TABLE_NAME"]
    KEY = @KEY@


    def lambda_handler(event, context):
        response = client.get_item(TableName=TABLE_NAME, Key=KEY)
        return {"statusCode": 200 if "Item" in response else 404}
    """
)


# -- the artifact ------------------------------------------------------------------------------------


def host_platform() -> str:
    """pip's platform tag for this machine: the same build step as arm64's, with wheels that import here."""
    return {"x86_64": "manylinux2014_x86_64", "aarch64": "manylinux2014_aarch64"}[host.machine()]


def runtime_python() -> str:
    """Python 3.13, the runtime's version: on PATH, or pyenv's."""
    found = build_artifact.find_python(build_artifact.RUNTIME_PYTHON_VERSION)
    if found is None:
        raise RuntimeError("the cold start bench needs Python 3.13 (python3.13 on PATH or in ~/.pyenv/versions)")
    return found


def directory_size(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def zipped_size(root: Path, workdir: Path) -> int:
    """The size of ``root`` as a deployment zip (what Lambda downloads and unpacks at a cold start)."""
    archive = shutil.make_archive(str(workdir / f"zip-{root.parent.name}-{root.name}"), "zip", root)
    size = Path(archive).stat().st_size
    Path(archive).unlink()
    return size


@dataclass
class Artifact:
    """The built layer (as /opt) and functions (each as /var/task), with the runtime's boto3 (as
    /var/runtime), all read-only; the variants the decisions compare; and their sizes."""

    python: str
    layer: Path
    layer_bundled: Path
    layer_without_bytecode: Path
    runtime: Path
    functions: dict[str, Path]
    functions_without_bytecode: dict[str, Path]
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)
    build_seconds: float = 0.0


def build(workdir: Path) -> Artifact:
    started = time.perf_counter()
    python = runtime_python()
    platform = host_platform()
    root = workdir / "artifact"
    layer = build_artifact.build_layer(LAYER_PATH, root / "layer", python=python, platform=platform)
    bundled = build_artifact.build_layer(
        LAYER_PATH, root / "layer-bundled", python=python, platform=platform, bundle_boto3=True
    )
    # The runtime's boto3: the version this project is tested with, in a directory of its own.
    runtime = root / "runtime"
    requirements = root / "runtime-requirements.txt"
    requirements.write_text(f"boto3=={metadata.version('boto3')}\n")
    build_artifact.install_requirements(
        requirements, runtime, python=python, platform=platform, bundle_boto3=True, pip_args=()
    )
    build_artifact.compile_tree(runtime, python=python)
    # What BuildMethod python3.13 used to ship: the same files, no __pycache__.
    without_bytecode = root / "layer-without-bytecode" / "python"
    shutil.copytree(layer, without_bytecode, ignore=build_artifact.IGNORED)
    built: dict[str, Path] = {}
    bare: dict[str, Path] = {}
    for function_id, spec in functions().items():
        source = PROJECT_ROOT / spec["Properties"]["CodeUri"]
        built[function_id] = build_artifact.build_function(source, root / "functions" / source.name, python=python)
        if function_id in NO_BYTECODE_ROWS:
            bare[function_id] = root / "functions-without-bytecode" / source.name
            shutil.copytree(source, bare[function_id], ignore=build_artifact.IGNORED)
    artifact = Artifact(python, layer, bundled, without_bytecode, runtime, built, bare)
    for label, directory in (("layer, boto3 from the runtime", layer), ("layer, boto3 bundled", bundled)):
        artifact.sizes[label] = (directory_size(directory), zipped_size(directory, workdir))
    artifact.sizes["boto3 and its dependencies alone"] = (directory_size(runtime), zipped_size(runtime, workdir))
    set_writable(root, writable=False)
    artifact.build_seconds = time.perf_counter() - started
    return artifact


def set_writable(root: Path, *, writable: bool) -> None:
    """Read-only as Lambda mounts /opt and /var/task (so no pyc can be written), or back for clean-up."""
    paths = [root, *root.rglob("*")]
    for path in paths if writable else reversed(paths):
        if path.is_symlink():
            continue
        mode = 0o755 if path.is_dir() else 0o644
        path.chmod(mode if writable else mode & 0o555)


# -- the state the samples act on ----------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def load_event(directory: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / f"{directory}.json").read_text())


@contextmanager
def preserved_environ() -> Iterator[None]:
    """Restore this process's environment afterwards (pointing boto3 at moto changes it)."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Stack:
    """The records the samples act on, made through the API Gateway emulator in this process (the
    real handlers from the layer's source, against the same moto): the sample events' connection,
    and per run new organisations with connections on the fake platform, sync and push runs."""

    def __init__(self, resources: LocalResources, fake: CustomApiFake, issuer: SigningKey) -> None:
        self._resources = resources
        self._fake = fake
        self._issuer = issuer
        self._gateway = ApiGateway()
        sample = load_event("get_connection")
        self.org_id: str = sample["requestContext"]["authorizer"]["lambda"]["orgId"]
        self.connection_id: str = sample["pathParameters"]["id"]
        self._connections = DynamoConnectionRepository(resources.table_name)
        self.api_key, _record = ApiKeyService(DynamoApiKeyRepository(resources.table_name)).issue(
            self.org_id, "cold start bench", "sync"
        )

    def call(self, org_id: str, status: int, method: str, path: str, body: Any = None) -> Any:
        """One request as the organisation's admin; its JSON answer, which must have ``status``."""
        headers = {"authorization": f"Bearer {self._issuer.token(org_id)}", "content-type": "application/json"}
        raw = json.dumps(body).encode() if body is not None else b""
        response = self._gateway.handle(method, path, "", headers, raw)
        if response.status != status:
            raise RuntimeError(f"setup: {method} {path} answered {response.status}: {response.body[:300]!r}")
        return json.loads(response.body) if response.body else None

    def connection(self, org_id: str, direction: str = "bidirectional", schedule: str | None = None) -> str:
        """A new connection on the fake platform with credentials; its id."""
        config = self._fake.config if direction == "bidirectional" else self._fake.outbound_config()
        if schedule:
            config = config | {"schedule": schedule}
        body = {
            "name": "Cold start bench",
            "platform": "custom_api",
            "direction": direction,
            "config": config,
            "credentials": self._fake.credentials,
        }
        return str(self.call(org_id, 201, "POST", "/api/connections", body)["id"])

    def sync_run(self, org_id: str) -> tuple[str, str]:
        connection_id = self.connection(org_id)
        return connection_id, str(self.call(org_id, 200, "POST", f"/api/connections/{connection_id}/sync/run")["runId"])

    def topics(self, org_id: str) -> list[str]:
        return [
            str(self.call(org_id, 201, "POST", "/api/topics", {"topic_name": f"Bench audience {number}"})["id"])
            for number in range(2)
        ]

    def push_run(self, org_id: str) -> tuple[str, str]:
        connection_id = self.connection(org_id, "outbound")
        body = {"segmentIds": self.topics(org_id)}
        run = self.call(org_id, 200, "POST", f"/api/connections/{connection_id}/push/run", body)
        return connection_id, str(run["runId"])

    def ensure_sample_connection(self) -> None:
        """Store the sample events' connection unless it is there (delete removes it each run)."""
        if self._connections.get(self.org_id, self.connection_id) is not None:
            return
        connection = Connection(
            id=self.connection_id,
            org_id=self.org_id,
            name="Partner Segments API",
            platform=Platform.CUSTOM_API,
            direction=Direction.INBOUND,
            config={"base_url": "https://api.partner-data.example/v2/segments", "auth_type": "bearer"},
            status=ConnectionStatus.ACTIVE,
            created_at="2026-02-25T10:00:00.000Z",
            updated_at="2026-02-25T10:00:00.000Z",
        )
        self._connections.create(connection, None, max_per_org=20)


def api_event(
    sample: dict[str, Any], org_id: str, parameters: dict[str, str] | None = None, body: Any = None
) -> dict[str, Any]:
    """An HTTP API sample event for ``org_id`` with its path parameters (and body) replaced."""
    event = copy.deepcopy(sample)
    event["requestContext"]["authorizer"]["lambda"]["orgId"] = org_id
    http = event["requestContext"]["http"]
    for name, value in (parameters or {}).items():
        old = event["pathParameters"][name]
        event["rawPath"] = event["rawPath"].replace(old, value)
        http["path"] = http["path"].replace(old, value)
        event["pathParameters"][name] = value
    if body is not None:
        event["body"] = json.dumps(body)
    return event


# -- what is measured ----------------------------------------------------------------------------------


@dataclass
class Target:
    """One handler to start cold: its directories, how to make each run's event, its environment."""

    label: str
    function_id: str
    code_dir: Path
    layer_dir: Path
    module: str
    environment: dict[str, str]
    event_for_run: Callable[[int], dict[str, Any]]
    expected_outcome: str


def sample_events(stack: Stack, issuer: SigningKey) -> dict[str, tuple[Callable[[int], dict[str, Any]], str]]:
    """Per function: how each run's event is made (and the state it needs), and the outcome it must give."""

    def fixed(event: dict[str, Any]) -> Callable[[int], dict[str, Any]]:
        def event_for_run(_run: int) -> dict[str, Any]:
            stack.ensure_sample_connection()
            return event

        return event_for_run

    def per_run(make: Callable[[str], dict[str, Any]], name: str) -> Callable[[int], dict[str, Any]]:
        # An organisation of its own per run: actions leave state behind (a run holds its connection's
        # lock) and the connection limit is per organisation.
        return lambda run: make(f"org_bench_{name}_{run}")

    @functools.cache
    def standing_sync_run() -> tuple[str, str, str]:
        org_id = "org_bench_sync_status"
        return (org_id, *stack.sync_run(org_id))

    @functools.cache
    def standing_push_run() -> tuple[str, str, str]:
        org_id = "org_bench_push_status"
        return (org_id, *stack.push_run(org_id))

    def on_sync_run(sample: dict[str, Any], body: Any = None) -> Callable[[str], dict[str, Any]]:
        def make(org_id: str) -> dict[str, Any]:
            connection_id, run_id = stack.sync_run(org_id)
            return api_event(sample, org_id, {"id": connection_id, "runId": run_id}, body)

        return make

    def on_push_run(sample: dict[str, Any]) -> Callable[[str], dict[str, Any]]:
        def make(org_id: str) -> dict[str, Any]:
            connection_id, run_id = stack.push_run(org_id)
            return api_event(sample, org_id, {"id": connection_id, "runId": run_id})

        return make

    def status_of(sample: dict[str, Any], standing: Callable[[], tuple[str, str, str]]) -> Callable[[int], Any]:
        def event_for_run(_run: int) -> dict[str, Any]:
            org_id, connection_id, run_id = standing()
            return api_event(sample, org_id, {"id": connection_id, "runId": run_id})

        return event_for_run

    def start_push(org_id: str) -> dict[str, Any]:
        connection_id = stack.connection(org_id, "outbound")
        body = {"segmentIds": stack.topics(org_id)}
        return api_event(load_event("start_push_run"), org_id, {"id": connection_id}, body)

    def scheduled(org_id: str) -> dict[str, Any]:
        connection_id = stack.connection(org_id, schedule="rate(1 day)")
        return load_event("scheduled_sync") | {"orgId": org_id, "connectionId": connection_id}

    def page_message(org_id: str) -> dict[str, Any]:
        connection_id, run_id = stack.sync_run(org_id)
        event = load_event("sync_page_worker")
        record = event["Records"][0]
        record["body"] = json.dumps({"orgId": org_id, "connectionId": connection_id, "runId": run_id, "page": 1})
        return event | {"Records": [record]}

    def on_connection(sample: dict[str, Any]) -> Callable[[str], dict[str, Any]]:
        return lambda org_id: api_event(sample, org_id, {"id": stack.connection(org_id)})

    def fresh_org(sample: dict[str, Any]) -> Callable[[str], dict[str, Any]]:
        return lambda org_id: api_event(sample, org_id)

    event = load_event
    return {
        "ListConnectionsFunction": (fixed(event("list_connections")), "200"),
        "CreateConnectionFunction": (per_run(fresh_org(event("create_connection")), "create"), "201"),
        "GetConnectionFunction": (fixed(event("get_connection")), "200"),
        "UpdateConnectionFunction": (fixed(event("update_connection")), "200"),
        "DeleteConnectionFunction": (fixed(event("delete_connection")), "200"),
        "TestConnectionFunction": (per_run(on_connection(event("test_connection")), "test"), "200, success true"),
        "StartSyncRunFunction": (per_run(on_connection(event("start_sync_run")), "sync"), "200"),
        "ProcessSyncPageFunction": (per_run(on_sync_run(event("process_sync_page"), {"page": 1}), "page"), "200"),
        "GetSyncStatusFunction": (status_of(event("get_sync_status"), standing_sync_run), "200"),
        "CancelSyncRunFunction": (per_run(on_sync_run(event("cancel_sync_run")), "cancel"), "200"),
        "ListTopicsFunction": (fixed(event("list_topics")), "200"),
        "CreateTopicFunction": (per_run(fresh_org(event("create_topic")), "topic"), "201"),
        "StartPushRunFunction": (per_run(start_push, "push"), "200"),
        "PushBatchFunction": (per_run(on_push_run(event("push_batch")), "batch"), "200"),
        "GetPushStatusFunction": (status_of(event("get_push_status"), standing_push_run), "200"),
        "CancelPushRunFunction": (per_run(on_push_run(event("cancel_push_run")), "pushcancel"), "200"),
        "ListActivationsFunction": (fixed(event("list_activations")), "200"),
        # The sample's activation does not exist in the bench organisation: found by id, refused 404
        # (the cold start loads and wires all the same; the change itself is not what is timed).
        "DeactivateActivationFunction": (fixed(event("deactivate_activation")), "404"),
        "RefreshActivationFunction": (fixed(event("refresh_activation")), "404"),
        # A filter that finds nothing: the listing read, no activation changed.
        "BulkActivationsFunction": (fixed(event("bulk_activations")), "200"),
        "MethodNotAllowedFunction": (fixed(event("method_not_allowed")), "405"),
        "ScheduledSyncFunction": (per_run(scheduled, "scheduled"), "started"),
        "SyncPageWorkerFunction": (per_run(page_message, "worker"), "0 batch item failures"),
    }


def base_environment(home: Path) -> dict[str, str]:
    """What every probe gets besides the function's variables: no user AWS config, boto3 at moto, and
    what Lambda sets (task root, function name, trace header; tracing on, as with Tracing: Active)."""
    missing = str(home / "no-aws-config")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_CONFIG_FILE": missing,
        "AWS_SHARED_CREDENTIALS_FILE": missing,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "_X_AMZN_TRACE_ID": TRACE_ID,
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    } | {name: os.environ[name] for name in AWS_VARIABLES}


def build_targets(
    resources: LocalResources, stack: Stack, issuer: SigningKey, artifact: Artifact, workdir: Path, moto_port: int
) -> tuple[Target, list[Target]]:
    """The baseline and every template function (the authorizer twice: API key and session), and the
    extra rows of the decisions."""
    base = base_environment(workdir)

    def environment_of(function_id: str, code_dir: Path) -> dict[str, str]:
        declared = template_environment(resources, [function_id])
        variables = declared | local_overrides(DevPorts(api=0, moto=moto_port))
        # The session verifier takes the bench's public key directly, so nothing fetches a JWKS. Every
        # connection the samples act on points at the fake platform on 127.0.0.1. The origins are the
        # template's, which the samples' cookie requests come from.
        variables |= {
            "CLERK_JWKS_URL": "",
            "CLERK_JWT_KEY": issuer.public_pem,
            "CONNECTIONS_ALLOW_PRIVATE_TARGETS": "1",
            "ALLOWED_ORIGINS": declared["ALLOWED_ORIGINS"],
        }
        variables.pop("POWERTOOLS_TRACE_DISABLED", None)
        return base | variables | {"LAMBDA_TASK_ROOT": str(code_dir), "AWS_LAMBDA_FUNCTION_NAME": function_id}

    baseline_dir = workdir / "baseline"
    baseline_dir.mkdir()
    key = connection_key(stack.org_id, stack.connection_id)
    (baseline_dir / "app.py").write_text(BASELINE_SOURCE.replace("@KEY@", repr(key)))
    build_artifact.compile_tree(baseline_dir, python=artifact.python)
    set_writable(baseline_dir, writable=False)

    def fixed_event(run: int) -> dict[str, Any]:
        stack.ensure_sample_connection()
        return {}

    baseline = Target(
        BASELINE_LABEL,
        "baseline",
        baseline_dir,
        artifact.layer,
        "app",
        environment_of(BASELINE_ENVIRONMENT_OF, baseline_dir),
        fixed_event,
        "200",
    )

    samples = sample_events(stack, issuer)
    targets = []
    for function_id, spec in functions().items():
        code_dir = artifact.functions[function_id]
        module = spec["Properties"].get("Handler", "app.lambda_handler").rsplit(".", 1)[0]
        environment = environment_of(function_id, code_dir)

        def target(label: str, events: Callable[[int], dict[str, Any]], expected: str, **changes: Any) -> Target:
            made = Target(label, function_id, code_dir, artifact.layer, module, environment, events, expected)  # noqa: B023
            for name, value in changes.items():
                setattr(made, name, value)
            return made

        if function_id == "AuthorizerFunction":
            event = load_event("authorizer")
            session = issuer.token(stack.org_id, iss=environment["CLERK_ISSUER"] or None)
            for caller, token in (("API key", stack.api_key), ("session", session)):
                with_token = copy.deepcopy(event)
                with_token["headers"]["authorization"] = f"Bearer {token}"
                targets.append(target(f"{function_id} ({caller})", always(with_token), "authenticated"))
            continue
        events, expected = samples[function_id]
        targets.append(target(function_id, events, expected))
        if function_id in BUNDLED_ROWS:
            targets.append(
                target(f"{function_id}, boto3 bundled in the layer", events, expected, layer_dir=artifact.layer_bundled)
            )
        if function_id in NO_BYTECODE_ROWS:
            targets.append(
                target(
                    f"{function_id}, no bytecode",
                    events,
                    expected,
                    layer_dir=artifact.layer_without_bytecode,
                    code_dir=artifact.functions_without_bytecode[function_id],
                )
            )
    return baseline, targets


def always(event: dict[str, Any]) -> Callable[[int], dict[str, Any]]:
    """The same event for every run."""
    return lambda _run: event


class ProbeFailed(Exception):
    """A cold start that did not produce its sample's expected outcome (timing it would mislead)."""


def probe(target: Target, event: dict[str, Any], artifact: Artifact, workdir: Path) -> dict[str, Any]:
    """Start one fresh interpreter on ``target`` and return what it measured."""
    event_file = workdir / "event.json"
    event_file.write_text(json.dumps(event))
    # Lambda's order: /var/task, /opt/python, /var/runtime (then the interpreter's own library).
    path = os.pathsep.join(str(directory) for directory in (target.code_dir, target.layer_dir, artifact.runtime))
    started = time.perf_counter()
    completed = subprocess.run(
        [artifact.python, "-s", "-c", PROBE_SOURCE, target.module, str(event_file), target.function_id],
        env=target.environment | {"PYTHONPATH": path, "LAMBDA_TASK_ROOT": str(target.code_dir)},
        cwd=target.code_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    process_ms = (time.perf_counter() - started) * 1000
    lines = [line for line in completed.stdout.splitlines() if line.startswith(RESULT_MARKER)]
    if completed.returncode != 0 or not lines:
        last_line = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise ProbeFailed(f"exited {completed.returncode}: {last_line[:200]}")
    report: dict[str, Any] = json.loads(lines[-1][len(RESULT_MARKER) :])
    if report["outcome"] != target.expected_outcome:
        errors = sorted({match for match in re.findall(r'"error_type": ?"(\w+)"', completed.stdout)})
        cause = f" ({', '.join(errors)})" if errors else ""
        raise ProbeFailed(f"sample answered {report['outcome']}{cause}, expected {target.expected_outcome}")
    report["process_ms"] = process_ms
    return report


@dataclass
class Samples:
    init_ms: list[float] = field(default_factory=list)
    invoke_ms: list[float] = field(default_factory=list)
    total_ms: list[float] = field(default_factory=list)
    process_ms: list[float] = field(default_factory=list)
    peak_rss_mb: list[float] = field(default_factory=list)
    modules: list[int] = field(default_factory=list)
    loads_encryption_sdk: set[bool] = field(default_factory=set)
    loads_pydantic: set[bool] = field(default_factory=set)
    outcomes: set[str] = field(default_factory=set)
    failure: str | None = None

    def add(self, report: dict[str, Any]) -> None:
        self.init_ms.append(report["init_ms"])
        self.invoke_ms.append(report["invoke_ms"])
        self.total_ms.append(report["init_ms"] + report["invoke_ms"])
        self.process_ms.append(report["process_ms"])
        self.peak_rss_mb.append(report["peak_rss_kb"] / 1024)
        self.modules.append(report["modules"])
        self.loads_encryption_sdk.add(report["loads_encryption_sdk"])
        self.loads_pydantic.add(report["loads_pydantic"])
        self.outcomes.add(report["outcome"])


def measure(
    baseline: Target, targets: list[Target], artifact: Artifact, runs: int, workdir: Path
) -> dict[str, Samples]:
    """``runs`` rounds over baseline and functions; the order rotates each round. A function whose
    sample fails is reported as not measured and left out of later rounds."""
    everything = [baseline, *targets]
    results = {target.label: Samples() for target in everything}
    run_number = 0
    for round_index in range(runs):
        shift = round_index % len(everything)
        for target in everything[shift:] + everything[:shift]:
            samples = results[target.label]
            if samples.failure:
                continue
            run_number += 1
            try:
                report = probe(target, target.event_for_run(run_number), artifact, workdir)
            except (ProbeFailed, RuntimeError) as failure:
                if target is baseline:
                    raise RuntimeError(f"the baseline failed, nothing to compare with: {failure}") from None
                samples.failure = str(failure)
                print(f"cold start: {target.label} failed: {failure}", file=sys.stderr, flush=True)
                continue
            samples.add(report)
        print(f"cold start: round {round_index + 1}/{runs} done", file=sys.stderr, flush=True)
    return results


def yes_no(flags: set[bool]) -> str:
    return " / ".join("yes" if flag else "no" for flag in sorted(flags, reverse=True))


def render(results: dict[str, Samples], artifact: Artifact, runs: int, loads: tuple[float, float]) -> str:
    """The markdown section: how it was measured, then one row per function."""
    median = statistics.median
    baseline_total = median(results[BASELINE_LABEL].total_ms)
    baseline_init = median(results[BASELINE_LABEL].init_ms)
    rows = [
        "| Function | Outcome | Init ms | First invoke ms | Init + invoke ms (min-max) | Init ratio "
        "| Ratio to baseline | Target "
        "| Process ms | Peak RSS MB | Modules | Loads pydantic | Loads aws_encryption_sdk |",
        "|---|---|--:|--:|--:|--:|--:|---|--:|--:|--:|---|---|",
    ]
    met: list[str] = []
    missed: list[str] = []
    for label, samples in results.items():
        function_id = label.split(" (")[0].split(",")[0]
        limit = TARGETS.get(function_id) if label == function_id or label.endswith(")") else None
        if samples.failure:
            rows.append(f"| {label} | not measured: {samples.failure} | | | | | | | | | | | |")
            if limit:
                missed.append(label)
            continue
        total = median(samples.total_ms)
        ratio = total / baseline_total
        verdict = ""
        if limit:
            passed = ratio <= limit
            (met if passed else missed).append(label)
            verdict = f"≤ {limit:.2f}: {'pass' if passed else '**fail**'}"
        rows.append(
            f"| {label} | {', '.join(sorted(samples.outcomes))} | {median(samples.init_ms):.0f} "
            f"| {median(samples.invoke_ms):.0f} "
            f"| {total:.0f} ({min(samples.total_ms):.0f}-{max(samples.total_ms):.0f}) "
            f"| {median(samples.init_ms) / baseline_init:.2f} | {ratio:.2f} | {verdict} "
            f"| {median(samples.process_ms):.0f} "
            f"| {median(samples.peak_rss_mb):.1f} | {median(samples.modules):.0f} "
            f"| {yes_no(samples.loads_pydantic)} | {yes_no(samples.loads_encryption_sdk)} |"
        )
    with_sdk = [label for label, samples in results.items() if True in samples.loads_encryption_sdk]
    sizes = [
        "| Artifact | Unpacked MB | Zipped MB |",
        "|---|--:|--:|",
        *(
            f"| {label} | {unpacked / 1e6:.1f} | {zipped / 1e6:.1f} |"
            for label, (unpacked, zipped) in artifact.sizes.items()
        ),
    ]
    measured = sum(1 for label in results if label != BASELINE_LABEL and "," not in label)
    return "\n".join(
        [
            "## Cold start",
            "",
            f"Medians of {runs} cold starts per row (`BENCH_COLD_RUNS`), {len(functions())} functions of",
            f"template.yaml ({measured} rows: the authorizer twice); 1-minute load average {loads[0]:.1f} at the",
            f"start and {loads[1]:.1f} at the end of the section.",
            "",
            "What is started is the built artifact: `lambda_build/build_artifact.py`, the step `sam build` runs",
            f"for arm64, run here for `{host_platform()}` (arm64 wheels do not import on this machine), with",
            f"Python {build_artifact.python_version_of(artifact.python)} as the runtime (bytecode compiled by it,",
            "unchecked-hash).",
            f"Building took {artifact.build_seconds:.0f} s. The files are read-only and `PYTHONDONTWRITEBYTECODE=1`,",
            "as on Lambda. Each cold start is a fresh `python3.13 -s` process whose `sys.path` is the function",
            "directory (`/var/task`), the layer's `python/` (`/opt/python`), then boto3 and its dependencies",
            "in a directory of their own (the runtime's `/var/runtime`); it imports the handler module by name, as",
            "Lambda's init does, then invokes it once on its sample event. The baseline is a bare handler",
            "(same layout) that imports boto3 and makes one DynamoDB client at init, and does one `GetItem`",
            "per invocation. Functions and baseline take turns round by round (the order rotates each round),",
            "so machine noise hits both alike. All talk to one embedded moto server on 127.0.0.1, so invoke",
            "times include moto's latency (a few ms per call), not DynamoDB's or KMS's.",
            "",
            "- **Init**: from the first line of the process (standard library and event already loaded)",
            "  to the handler module imported; **first invoke**: the handler's first call.",
            "- **Init ratio**: the row's median init over the baseline's (no AWS call: moto plays no part).",
            "  **Ratio to baseline**: the row's median init + invoke over the baseline's median init + invoke;",
            "  the baseline's invoke is one `GetItem` against the same moto, as get connection's is, so a",
            "  read's ratio compares the code's overhead. Functions making several AWS calls pay moto's time",
            "  for each of them in their first invoke.",
            "  **Target**: read endpoints and the authorizer within 1.25x, endpoints that handle credentials",
            "  (create, update, test, start sync) within 1.6x.",
            "- **Process**: spawn to exit as the bench sees it, interpreter start-up and shutdown included.",
            "- **Peak RSS**: the process's peak resident set after the invocation (`VmHWM`); **modules**:",
            "  `len(sys.modules)` after the invocation.",
            "- Environment: the function's variables from template.yaml (local resource names), boto3",
            "  pointed at moto with `AWS_ENDPOINT_URL`, and what Lambda sets: `LAMBDA_TASK_ROOT`,",
            "  `AWS_LAMBDA_FUNCTION_NAME` and a sampled `_X_AMZN_TRACE_ID`, so Powertools' Tracer is on (as",
            "  with `Tracing: Active`) and the X-Ray SDK sends its segments to 127.0.0.1:2000 (nothing listens).",
            "- Samples: list/get/update/delete use the connection the events name (re-created after each",
            "  delete); the authorizer runs once with an issued API key and once with a signed session token.",
            "  The others act on state made before each run through the API Gateway emulator in the bench's",
            "  process (the real handlers, same moto), in an organisation of its own per run: a connection",
            "  with KMS-encrypted credentials on a fake custom API on 127.0.0.1 (test, start sync), a sync",
            "  run (page 1, cancel; the SQS page worker gets that page's message), a push run of two library",
            "  topics (push batch, cancel), two topics and an outbound connection (start push), a scheduled",
            "  connection (the EventBridge Scheduler event); the status rows read one standing run. A",
            "  function whose sample does not give its expected answer is not timed: the row says what it",
            "  answered.",
            "- Extra rows: **boto3 bundled in the layer** is the same function with boto3, botocore and their",
            "  dependencies in the layer (found there first); **no bytecode** is the function and the layer",
            "  without `__pycache__` (what `BuildMethod: python3.13` shipped): every import compiles again.",
            "",
            *rows,
            "",
            f"Targets met: {len(met)} ({', '.join(met) or 'none'}).",
            f"Targets missed: {len(missed)} ({', '.join(missed) or 'none'}).",
            f"Functions that load `aws_encryption_sdk`: {', '.join(with_sdk) or 'none'}.",
            "",
            "Artifact sizes (this platform's wheels, with bytecode; arm64's differ little):",
            "",
            *sizes,
        ]
    )


def run() -> str:
    """Measure cold starts of every function and the baseline; the markdown section."""
    load_at_start = os.getloadavg()[0]
    with preserved_environ(), tempfile.TemporaryDirectory(prefix="bench-cold-") as temporary:
        workdir = Path(temporary)
        artifact = build(workdir)
        port = free_port()
        moto = EmbeddedMoto(port).start()
        server = FakeHttpServer().start()
        try:
            point_boto3_at(f"http://{HOST}:{port}")
            resources = ensure_resources()
            issuer = SigningKey.generate()
            # The setup's own handlers (this process) run with every function's settings.
            os.environ.update(
                template_environment(resources)
                | local_overrides(DevPorts(api=0, moto=port))
                | {
                    "CLERK_JWKS_URL": "",
                    "CLERK_JWT_KEY": issuer.public_pem,
                    "CONNECTIONS_ALLOW_PRIVATE_TARGETS": "1",
                    "POWERTOOLS_LOG_LEVEL": "WARNING",
                }
            )
            reset_container_state()
            stack = Stack(resources, CustomApiFake(server), issuer)
            stack.ensure_sample_connection()
            baseline, targets = build_targets(resources, stack, issuer, artifact, workdir, port)
            results = measure(baseline, targets, artifact, RUNS, workdir)
        finally:
            server.stop()
            moto.stop()
            set_writable(workdir, writable=True)
    return render(results, artifact, RUNS, (load_at_start, os.getloadavg()[0]))


if __name__ == "__main__":
    print(run())
