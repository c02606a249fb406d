"""Cold start of every function, as a ratio to a bare boto3 handler measured side by side in one run.

Each measurement is a fresh interpreter that imports one handler module by path (Lambda's init) and
invokes it once on its sample event from ``events/``. An embedded moto server in this process stands
in for DynamoDB and KMS. Functions and the baseline take turns, round after round, so that machine
noise hits both alike.

Run alone: ``.venv/bin/python bench/bench_cold_start.py`` (prints the markdown section).
"""

from __future__ import annotations

import copy
import json
import os
import re
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
from connections.adapters.kms_credential_cipher import KmsCredentialCipher  # noqa: E402
from connections.domain.api_key_service import ApiKeyService  # noqa: E402
from connections.domain.connection import Connection  # noqa: E402
from connections.domain.identifiers import CONNECTION_PREFIX, new_id  # noqa: E402
from connections.domain.platforms import ConnectionStatus, Direction, Platform  # noqa: E402
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
from local.provision import LocalResources  # noqa: E402
from local.sam_template import functions  # noqa: E402
from tests.fakes.http_server import FakeHttpServer, FakeResponse  # noqa: E402

RUNS = int(os.environ.get("BENCH_COLD_RUNS") or 7)
EVENTS_DIR = PROJECT_ROOT / "events"
RESULT_MARKER = "BENCH_PROBE_RESULT "
BASELINE_LABEL = "Baseline (boto3 + one GetItem)"
# The environment the baseline runs with: a read function's, which is the template's Globals.
BASELINE_ENVIRONMENT_OF = "GetConnectionFunction"
# The outcome each function's sample must produce (others: any 2xx); anything else would time an
# error path, so such a function is reported as not measured.
EXPECTED_OUTCOMES = {
    "ListConnectionsFunction": "200",
    "CreateConnectionFunction": "201",
    "GetConnectionFunction": "200",
    "UpdateConnectionFunction": "200",
    "DeleteConnectionFunction": "200",
    "TestConnectionFunction": "200, success true",
}
# The page the local platform stand-in serves to functions that call out (shaped by the sample config).
PLATFORM_PATH = "/v2/segments"
PLATFORM_PAGE = {
    "data": {
        "segments": [
            {"segment_name": "Auto Intenders", "segment_id": "seg_1", "segment_description": "In market", "reach": 1200}
        ],
        "total": 1,
    }
}
AWS_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION")

# Runs in the fresh interpreter. Only the standard library is loaded before the clock starts, as in
# Lambda's own bootstrap; the event is read before it too, since Lambda delivers it after init.
PROBE_SOURCE = textwrap.dedent(
    """
    import importlib.util
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
            self._deadline = time.monotonic() + 10

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
        handler_file, event_file, function_name = sys.argv[1:4]
        with open(event_file) as handle:
            event = json.load(handle)
        started = time.perf_counter()
        spec = importlib.util.spec_from_file_location("bench_probe_handler", handler_file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        initialised = time.perf_counter()
        result = module.lambda_handler(event, Context(function_name))
        invoked = time.perf_counter()
        report = {
            "init_ms": (initialised - started) * 1000,
            "invoke_ms": (invoked - initialised) * 1000,
            "peak_rss_kb": peak_rss_kb(),
            "modules": len(sys.modules),
            "loads_encryption_sdk": "aws_encryption_sdk" in sys.modules,
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


@dataclass
class Target:
    """One handler to start cold: its file, how to build each run's event, and its environment."""

    label: str
    handler_file: Path
    environment: dict[str, str]
    event_for_run: Callable[[int], dict[str, Any]]
    expected_outcome: str | None


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


class SampleData:
    """The records the sample events name, kept in place between runs (delete removes its record), and
    a connection with encrypted credentials whose platform is a local stand-in on 127.0.0.1."""

    def __init__(self, resources: LocalResources, platform_url: str) -> None:
        self._resources = resources
        self._platform_url = platform_url
        sample = load_event("get_connection")
        self.org_id: str = sample["requestContext"]["authorizer"]["lambda"]["orgId"]
        self.connection_id: str = sample["pathParameters"]["id"]
        self._connections = DynamoConnectionRepository(resources.table_name)
        self.api_key, _record = ApiKeyService(DynamoApiKeyRepository(resources.table_name)).issue(
            self.org_id, "cold start bench", "sync"
        )

    def new_calling_out_connection(self, org_id: str) -> str:
        """A new connection with encrypted credentials whose platform is the local stand-in; its id."""
        create_body = json.loads(load_event("create_connection")["body"])
        connection = Connection(
            id=new_id(CONNECTION_PREFIX),
            org_id=org_id,
            name="Local platform",
            platform=Platform.CUSTOM_API,
            direction=Direction.INBOUND,
            config=create_body["config"] | {"base_url": self._platform_url + PLATFORM_PATH},
            status=ConnectionStatus.ACTIVE,
            created_at="2026-02-25T10:00:00.000Z",
            updated_at="2026-02-25T10:00:00.000Z",
            has_credentials=True,
        )
        ciphertext = KmsCredentialCipher(self._resources.key_arn).encrypt(
            create_body["credentials"], org_id=org_id, connection_id=connection.id
        )
        self._connections.create(connection, ciphertext, max_per_org=20)
        return connection.id

    def ensure_connection(self) -> None:
        """Store the sample events' connection unless it is there."""
        if self._connections.get(self.org_id, self.connection_id) is not None:
            return
        connection = Connection(
            id=self.connection_id,
            org_id=self.org_id,
            name="Partner Segments API",
            platform=Platform.CUSTOM_API,
            direction=Direction.INBOUND,
            config={"base_url": "https://api.partner-data.example/v2/segments", "auth_type": "none"},
            status=ConnectionStatus.ACTIVE,
            created_at="2026-02-25T10:00:00.000Z",
            updated_at="2026-02-25T10:00:00.000Z",
        )
        self._connections.create(connection, None, max_per_org=20)


def base_environment(home: Path) -> dict[str, str]:
    """What every probe gets besides the function's variables: no user AWS config, boto3 at moto."""
    missing = str(home / "no-aws-config")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "PYTHONPATH": os.pathsep.join([str(LAYER_PATH), str(PROJECT_ROOT)]),
        "AWS_CONFIG_FILE": missing,
        "AWS_SHARED_CREDENTIALS_FILE": missing,
        "POWERTOOLS_TRACE_DISABLED": "1",
    } | {name: os.environ[name] for name in AWS_VARIABLES}


def _with_connection_id(event: dict[str, Any], sample_id: str, replacement_id: str) -> dict[str, Any]:
    """The event with the connection id in its path replaced."""
    changed = copy.deepcopy(event)
    http = changed["requestContext"]["http"]
    changed["rawPath"] = changed["rawPath"].replace(sample_id, replacement_id)
    http["path"] = http["path"].replace(sample_id, replacement_id)
    changed["pathParameters"]["id"] = replacement_id
    return changed


def build_targets(
    resources: LocalResources, sample: SampleData, workdir: Path, moto_port: int
) -> tuple[Target, list[Target], dict[str, str]]:
    """The baseline and every template function (the authorizer twice: API key and session), and the
    functions left out with the reason."""
    issuer = SigningKey.generate()
    base = base_environment(workdir)

    def environment_of(function_id: str, calls_out: bool = False) -> dict[str, str]:
        variables = template_environment(resources, [function_id]) | local_overrides(DevPorts(api=0, moto=moto_port))
        # The session verifier takes the bench's public key directly, so nothing fetches a JWKS; only a
        # function whose connection points at the local platform stand-in may reach 127.0.0.1.
        variables |= {
            "CLERK_JWKS_URL": "",
            "CLERK_JWT_KEY": issuer.public_pem,
            "CONNECTIONS_ALLOW_PRIVATE_TARGETS": "1" if calls_out else "",
        }
        return base | variables

    def fixed(event: dict[str, Any], needs_connection: bool = False) -> Callable[[int], dict[str, Any]]:
        def event_for_run(_run: int) -> dict[str, Any]:
            if needs_connection:
                sample.ensure_connection()
            return event

        return event_for_run

    def on_new_calling_out_connection(event: dict[str, Any], sample_id: str) -> Callable[[int], dict[str, Any]]:
        # A connection of its own per run, in an organisation of its own: an action leaves state behind
        # (a sync run holds a lock), and the connection limit is per organisation.
        def event_for_run(run: int) -> dict[str, Any]:
            org_id = f"org_bench_action_{run}"
            changed = _with_connection_id(event, sample_id, sample.new_calling_out_connection(org_id))
            changed["requestContext"]["authorizer"]["lambda"]["orgId"] = org_id
            return changed

        return event_for_run

    def with_fresh_org(event: dict[str, Any]) -> Callable[[int], dict[str, Any]]:
        # One organisation per run keeps every create under the per-organisation connection limit.
        def event_for_run(run: int) -> dict[str, Any]:
            fresh = copy.deepcopy(event)
            fresh["requestContext"]["authorizer"]["lambda"]["orgId"] = f"org_bench_cold_{run}"
            return fresh

        return event_for_run

    def bearer(event: dict[str, Any], token: str) -> dict[str, Any]:
        changed = copy.deepcopy(event)
        changed["headers"]["authorization"] = f"Bearer {token}"
        return changed

    baseline_dir = workdir / "baseline"
    baseline_dir.mkdir()
    key = connection_key(sample.org_id, sample.connection_id)
    (baseline_dir / "app.py").write_text(BASELINE_SOURCE.replace("@KEY@", repr(key)))
    baseline = Target(
        BASELINE_LABEL,
        baseline_dir / "app.py",
        environment_of(BASELINE_ENVIRONMENT_OF),
        fixed({}, needs_connection=True),
        "200",
    )

    targets = []
    skipped: dict[str, str] = {}
    for function_id, spec in functions().items():
        properties = spec["Properties"]
        code_dir = PROJECT_ROOT / properties["CodeUri"]
        handler_file = code_dir / f"{properties.get('Handler', 'app.lambda_handler').rsplit('.', 1)[0]}.py"
        if not (EVENTS_DIR / f"{code_dir.name}.json").exists():
            skipped[function_id] = f"no sample event (events/{code_dir.name}.json)"
            continue
        event = load_event(code_dir.name)
        if event.get("type") == "REQUEST" and "routeArn" in event:  # the Lambda authorizer's own event
            environment = environment_of(function_id)
            session = issuer.token(sample.org_id, iss=environment["CLERK_ISSUER"] or None)
            for caller, token in (("API key", sample.api_key), ("session", session)):
                label = f"{function_id} ({caller})"
                targets.append(Target(label, handler_file, environment, fixed(bearer(event, token)), "authenticated"))
            continue
        if "http" not in event.get("requestContext", {}):
            skipped[function_id] = "not an HTTP API event; the bench has no setup for it yet"
            continue
        expected = EXPECTED_OUTCOMES.get(function_id)
        path_id = (event.get("pathParameters") or {}).get("id")
        method = event["requestContext"]["http"]["method"]
        if path_id and method == "POST":  # an action on a connection (test, sync, push): it calls the platform
            environment = environment_of(function_id, calls_out=True)
            event_for_run = on_new_calling_out_connection(event, path_id)
        elif path_id:
            environment, event_for_run = environment_of(function_id), fixed(event, needs_connection=True)
        elif method == "POST":
            environment, event_for_run = environment_of(function_id), with_fresh_org(event)
        else:
            environment, event_for_run = environment_of(function_id), fixed(event)
        targets.append(Target(function_id, handler_file, environment, event_for_run, expected))
    return baseline, targets, skipped


class ProbeFailed(Exception):
    """A cold start that did not produce its sample's expected outcome (timing it would mislead)."""


def probe(target: Target, event: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Start one fresh interpreter on ``target`` and return what it measured."""
    event_file = workdir / "event.json"
    event_file.write_text(json.dumps(event))
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", PROBE_SOURCE, str(target.handler_file), str(event_file), target.label],
        env=target.environment,
        cwd=target.handler_file.parent,
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
    expected = target.expected_outcome
    outcome = report["outcome"]
    if (expected and outcome != expected) or (not expected and not outcome.startswith("2")):
        errors = sorted({match for match in re.findall(r'"error_type": ?"(\w+)"', completed.stdout)})
        cause = f" ({', '.join(errors)})" if errors else ""
        raise ProbeFailed(f"sample answered {outcome}{cause}, expected {expected or '2xx'}")
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
        self.outcomes.add(report["outcome"])


def measure(baseline: Target, targets: list[Target], runs: int, workdir: Path) -> dict[str, Samples]:
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
                report = probe(target, target.event_for_run(run_number), workdir)
            except ProbeFailed as failure:
                if target is baseline:
                    raise RuntimeError(f"the baseline failed, nothing to compare with: {failure}") from None
                samples.failure = str(failure)
                print(f"cold start: {target.label} failed: {failure}", file=sys.stderr, flush=True)
                continue
            samples.add(report)
        print(f"cold start: round {round_index + 1}/{runs} done", file=sys.stderr, flush=True)
    return results


def render(results: dict[str, Samples], baseline_label: str, runs: int) -> str:
    """The markdown section: how it was measured, then one row per function."""
    median = statistics.median
    baseline_total = median(results[baseline_label].total_ms)
    rows = [
        "| Function | Outcome | Init ms | First invoke ms | Init + invoke ms (min-max) | Ratio to baseline "
        "| Process ms | Peak RSS MB | Modules | Loads aws_encryption_sdk |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for label, samples in results.items():
        if samples.failure:
            rows.append(f"| {label} | not measured: {samples.failure} | | | | | | | | |")
            continue
        total = median(samples.total_ms)
        loads = " / ".join("yes" if flag else "no" for flag in sorted(samples.loads_encryption_sdk, reverse=True))
        rows.append(
            f"| {label} | {', '.join(sorted(samples.outcomes))} | {median(samples.init_ms):.0f} "
            f"| {median(samples.invoke_ms):.0f} "
            f"| {total:.0f} ({min(samples.total_ms):.0f}-{max(samples.total_ms):.0f}) "
            f"| {total / baseline_total:.2f} | {median(samples.process_ms):.0f} "
            f"| {median(samples.peak_rss_mb):.1f} | {median(samples.modules):.0f} | {loads} |"
        )
    with_sdk = [label for label, samples in results.items() if True in samples.loads_encryption_sdk]
    return "\n".join(
        [
            "## Cold start",
            "",
            f"Medians of {runs} cold starts per row (`BENCH_COLD_RUNS`).",
            "Each cold start is a fresh `python` process that imports the handler module by path, as Lambda",
            "does at init, then invokes it once on its sample event from `events/`. The baseline is a bare",
            "handler that imports boto3 and makes one DynamoDB client at init, and does one `GetItem` per",
            "invocation. Functions and baseline take turns round by round (the order rotates each round), so",
            "machine noise hits both alike. All talk to one embedded moto server on 127.0.0.1, so invoke",
            "times include moto's latency (a few ms per call), not DynamoDB's or KMS's.",
            "",
            "- **Init**: from the first line of the process (standard library and event already loaded)",
            "  to the handler module imported; **first invoke**: the handler's first call.",
            "- **Ratio to baseline**: the row's median init + invoke over the baseline's median init + invoke.",
            "- **Process**: spawn to exit as the bench sees it, interpreter start-up and shutdown included.",
            "- **Peak RSS**: the process's peak resident set after the invocation (`VmHWM`; `ru_maxrss` would",
            "  include the bench's own memory, inherited between fork and exec); **modules**: `len(sys.modules)`.",
            "- Environment: the function's variables from template.yaml (local resource names), boto3",
            "  pointed at moto with `AWS_ENDPOINT_URL`, `POWERTOOLS_TRACE_DISABLED=1`, `PYTHONPATH` =",
            "  `layers/shared` and the project root. Bytecode caches and the OS file cache are warm.",
            "- Samples: get/update/delete use the connection the events name (re-created after each delete);",
            "  create runs in a new organisation each time; the authorizer runs once with an issued API key",
            "  and once with a signed session token (each in place of the sample's bearer token). Actions on",
            "  a connection (POST under /api/connections/{id}: test, sync run) use a new connection per run,",
            "  with KMS-encrypted credentials, whose platform is a local HTTP stand-in on 127.0.0.1 answering",
            "  one item. A function whose sample does not give its expected answer (any 2xx when none is set",
            "  here) is not timed: the row says what it answered.",
            "",
            *rows,
            "",
            f"Functions that load `aws_encryption_sdk`: {', '.join(with_sdk) or 'none'}. Only functions",
            "that encrypt or decrypt credentials need it; the update sample changes name and config only.",
        ]
    )


def run() -> str:
    """Measure cold starts of every function and the baseline; the markdown section."""
    with preserved_environ(), tempfile.TemporaryDirectory(prefix="bench-cold-") as temporary:
        workdir = Path(temporary)
        port = free_port()
        moto = EmbeddedMoto(port).start()
        platform = FakeHttpServer().start()
        try:
            platform.route("GET", PLATFORM_PATH, FakeResponse.json(PLATFORM_PAGE))
            point_boto3_at(f"http://{HOST}:{port}")
            resources = ensure_resources()
            sample = SampleData(resources, platform.url)
            sample.ensure_connection()
            baseline, targets, skipped = build_targets(resources, sample, workdir, port)
            results = measure(baseline, targets, RUNS, workdir)
            for function_id, reason in skipped.items():
                results[function_id] = Samples(failure=reason)
        finally:
            platform.stop()
            moto.stop()
    return render(results, baseline.label, RUNS)


if __name__ == "__main__":
    print(run())
