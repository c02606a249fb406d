"""One push batch of 25 segments against a platform that takes 100 ms per segment create: the batch's
platform calls in parallel (the platform profile's ``push_concurrency``) against one at a time.

The request goes through the API Gateway emulator (authorizer, then the real ``push_batch`` handler)
against moto in this process, with a session token; the platform is a fake on 127.0.0.1 in this
process whose segment create answers after 100 ms. Sequential is the same batch with the platform's
profile's ``push_concurrency`` set to 1 in this process.

Run alone: ``.venv/bin/python bench/bench_push_batch.py`` (prints the markdown section).
"""

from __future__ import annotations

import functools
import json
import math
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LAYER_PATH = PROJECT_ROOT / "layers" / "shared"
for _path in (PROJECT_ROOT, LAYER_PATH):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from tests.fakes.http_server import FakeHttpServer, FakeResponse, RecordedRequest  # noqa: E402
from tests.fakes.platforms import (  # noqa: E402
    CUSTOM_SEGMENTS_PATH,
    TTD_ELEMENTS_PATH,
    CustomApiFake,
    TradeDeskFake,
)

TABLE_NAME = "connections-bench-push"
AUTHORIZED_PARTY = "http://localhost:3000"
SEGMENTS = 25  # one batch
CREATE_LATENCY_SECONDS = 0.100
REPETITIONS = 5


class SlowCustomApi(CustomApiFake):
    """The custom API fake, answering each segment create after a fixed latency."""

    def _create(self, request: RecordedRequest) -> FakeResponse:
        time.sleep(CREATE_LATENCY_SECONDS)
        return super()._create(request)

    def forget_segments(self) -> None:
        """Drop the segments pushed so far."""
        self.pushed.clear()


class SlowTradeDesk(TradeDeskFake):
    """The Trade Desk fake, answering each element create after a fixed latency (rate staging is not slowed)."""

    def _create(self, request: RecordedRequest) -> FakeResponse:
        time.sleep(CREATE_LATENCY_SECONDS)
        return super()._create(request)

    def forget_segments(self) -> None:
        """Drop the elements created so far: the next connection creates the same element ids (topic ids)."""
        self.elements.clear()
        self.rate_batches.clear()


@dataclass
class Platform:
    """A platform under test: its fake, where the fake takes creates, and the timings measured."""

    name: str
    fake_class: type[Any]
    create_route: tuple[str, str]
    org_id: str
    fake: Any = None
    topic_ids: list[str] = field(default_factory=list)
    timings: dict[str, list[float]] = field(default_factory=lambda: {"concurrent": [], "sequential": []})


PLATFORMS = [
    Platform("custom_api", SlowCustomApi, ("POST", CUSTOM_SEGMENTS_PATH), "org_bench_push_custom"),
    Platform("tradedesk", SlowTradeDesk, ("POST", TTD_ELEMENTS_PATH), "org_bench_push_ttd"),
]


from bench.harness import bench_environment, new_container  # noqa: E402


@contextmanager
def platform_concurrency(platform_name: str, workers: int) -> Iterator[None]:
    """The push concurrency of one platform's profile set to ``workers`` while the block runs."""
    import dataclasses

    from connections.domain.platforms import Platform as PlatformName
    from connections.profiles import registry

    key = PlatformName(platform_name)
    profiles = cast(dict[PlatformName, Any], registry.PROFILES)
    saved = profiles[key]
    profiles[key] = dataclasses.replace(saved, push_concurrency=workers)
    try:
        yield
    finally:
        profiles[key] = saved


class Api:
    """Requests through the API Gateway emulator for one organisation's admin."""

    def __init__(self, gateway: Any, token: Callable[[], str]) -> None:
        self._gateway = gateway
        self._token = token

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"authorization": f"Bearer {self._token()}", "content-type": "application/json"}
        raw = json.dumps(body).encode() if body is not None else b""
        response = self._gateway.handle(method, path, "", headers, raw)
        return response.status, json.loads(response.body) if response.body else None

    def expect(self, status: int, method: str, path: str, body: Any = None) -> Any:
        answered, payload = self.call(method, path, body)
        if answered != status:
            raise RuntimeError(f"{method} {path} answered {answered}, not {status}: {payload}")
        return payload


def timed_batch(api: Api, platform: Platform) -> float:
    """Push one fresh batch of the platform's topics on a new connection; the batch call's wall ms."""
    connection = api.expect(
        201,
        "POST",
        "/api/connections",
        {
            "name": f"{platform.name} bench {time.monotonic_ns()}",
            "platform": platform.name,
            "direction": "outbound",
            "config": platform.fake.outbound_config(),
            "credentials": platform.fake.credentials,
        },
    )["id"]
    run_id = api.expect(200, "POST", f"/api/connections/{connection}/push/run", {"segmentIds": platform.topic_ids})[
        "runId"
    ]
    creates_before = platform.fake.server.count(*platform.create_route)
    started = time.perf_counter()
    batch = api.expect(200, "POST", f"/api/connections/{connection}/push/run/{run_id}/push")
    elapsed_ms = (time.perf_counter() - started) * 1000
    creates = platform.fake.server.count(*platform.create_route) - creates_before
    statuses = [result["status"] for result in batch["results"]]
    if statuses != ["active"] * SEGMENTS or creates != SEGMENTS or batch["run"]["status"] != "completed":
        raise RuntimeError(f"{platform.name}: the batch did not push {SEGMENTS} segments once each: {batch['run']}")
    api.expect(200, "DELETE", f"/api/connections/{connection}")  # stays under the per-organisation limit
    platform.fake.forget_segments()
    return elapsed_ms


def measure() -> None:
    from moto import mock_aws

    from local import moto_transactions
    from local.api_gateway import ApiGateway
    from local.dev_keys import SigningKey
    from local.provision import provision

    moto_transactions.apply()
    issuer = SigningKey.generate()
    with mock_aws(), ExitStack() as servers:
        resources = provision(TABLE_NAME)
        os.environ.update(
            {
                "TABLE_NAME": resources.table_name,
                "CREDENTIALS_KEY_ARN": resources.key_arn,
                "ALLOWED_ORIGINS": "",
                "CLERK_JWT_KEY": issuer.public_pem,
                "CLERK_AUTHORIZED_PARTIES": AUTHORIZED_PARTY,
            }
        )
        new_container()
        gateway = ApiGateway()
        apis = {}
        for platform in PLATFORMS:
            platform.fake = platform.fake_class(servers.enter_context(FakeHttpServer()))
            api = apis[platform.name] = Api(gateway, functools.partial(issuer.token, platform.org_id))
            platform.topic_ids = [
                api.expect(201, "POST", "/api/topics", {"topic_name": f"Bench audience {number}"})["id"]
                for number in range(SEGMENTS)
            ]
            timed_batch(api, platform)  # warm-up: imports, clients and the token cache, not measured
        for repetition in range(REPETITIONS):
            # Alternate which mode goes first, so a drift in machine load falls on both.
            modes = ["concurrent", "sequential"] if repetition % 2 == 0 else ["sequential", "concurrent"]
            for platform in PLATFORMS:
                for mode in modes:
                    if mode == "sequential":
                        with platform_concurrency(platform.name, 1):
                            platform.timings[mode].append(timed_batch(apis[platform.name], platform))
                    else:
                        platform.timings[mode].append(timed_batch(apis[platform.name], platform))
            print(f"push batch: repetition {repetition + 1} of {REPETITIONS} done", file=sys.stderr, flush=True)


def render(load: float) -> str:
    from connections.profiles.registry import profile_of

    rows = []
    for platform in PLATFORMS:
        workers = profile_of(platform.name).push_concurrency
        concurrent = statistics.median(platform.timings["concurrent"])
        sequential = statistics.median(platform.timings["sequential"])
        waves = math.ceil(SEGMENTS / workers)
        rows.append(
            f"| {platform.name} | {workers} | {concurrent:.0f} | {sequential:.0f} | {sequential / concurrent:.2f} "
            f"| {SEGMENTS / waves:.2f} | {waves * CREATE_LATENCY_SECONDS * 1000:.0f} "
            f"| {SEGMENTS * CREATE_LATENCY_SECONDS * 1000:.0f} "
            f"| {sequential - SEGMENTS * CREATE_LATENCY_SECONDS * 1000:.0f} |"
        )
    spread = "; ".join(
        f"{platform.name} {mode}: " + ", ".join(f"{value:.0f}" for value in platform.timings[mode])
        for platform in PLATFORMS
        for mode in ("concurrent", "sequential")
    )
    return "\n".join(
        [
            "## Push batch: concurrent vs sequential platform calls",
            "",
            f"One `POST /api/connections/{{id}}/push/run/{{runId}}/push` of {SEGMENTS} new segments, timed around the",
            "request through the API Gateway emulator (authorizer, then the real `push_batch` handler) against moto",
            "in this process, with a session token. The platform is a fake on 127.0.0.1 in this process whose",
            f"segment create answers after {CREATE_LATENCY_SECONDS * 1000:.0f} ms (The Trade Desk's rate staging call "
            "after each create is not slowed).",
            "",
            "- **Concurrent**: the shipped `push_concurrency` of each profile; **sequential**: the same batch with the",
            "  platform's entry set to 1.",
            "- Each measurement is a fresh connection and run, so every segment is a create; one untimed warm-up",
            f"  batch per platform first; {REPETITIONS} repetitions of each mode, interleaved, alternating which",
            "  mode goes first; medians. Every measured batch is checked: 25 segments active, exactly 25 creates.",
            f"- 1-minute load average {load:.1f} when measured.",
            "",
            "| Platform | Calls in flight | Concurrent median ms | Sequential median ms | Sequential / concurrent | "
            "Ideal ratio | Create waits, concurrent ms | Create waits, sequential ms | Rest of the batch ms |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            "Ideal ratio: the create waits alone, 25 waves against ceil(25 / calls in flight). The rest of the",
            "batch (sequential median less its create waits: authorizer, DynamoDB claims and outcome writes on",
            "moto, credential decryption, rate staging) is the same in both modes and pulls the ratio below it.",
            "",
            f"All measurements (ms, in order): {spread}.",
        ]
    )


def run() -> str:
    """Time one push batch concurrent and sequential per platform; the markdown section."""
    with bench_environment(allow_private_targets=True), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        measure()
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        return render(load)


if __name__ == "__main__":
    print(run())
