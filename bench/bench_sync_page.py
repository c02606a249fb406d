"""One sync page of 100 and of 1,000 items through the page endpoint, against the bare work of the
same page: fetching it with httpx and writing its items with boto3 ``batch_write_item``.

The page request goes through the API Gateway emulator (authorizer, then the real
``process_sync_page`` handler) with a session token, against moto in this process with the table
from template.yaml; the segment catalogue is a fake on 127.0.0.1 in this process. Every botocore
call made during a timed request is counted and timed by wrapping ``BaseClient._make_api_call``.

Run alone: ``.venv/bin/python bench/bench_sync_page.py`` (prints the markdown section).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LAYER_PATH = PROJECT_ROOT / "layers" / "shared"
for _path in (PROJECT_ROOT, LAYER_PATH):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench.bench_classifier import SEED, _base_items, generate_page  # noqa: E402
from tests.fakes.segment_catalogue import (  # noqa: E402
    CATALOGUE_CREDENTIALS,
    SegmentCatalogue,
    segment_catalogue,
)

TABLE_NAME = "connections-bench-sync"
AUTHORIZED_PARTY = "http://localhost:3000"
PAGE_SIZES = (100, 1_000)
REPETITIONS = 5
CLASSIFIER_ROUNDS = 5
VARIANTS = ("fresh", "resync", "bare")
VARIANT_LABELS = {
    "fresh": "Page endpoint, every item new",
    "resync": "Page endpoint, re-sync (every item a duplicate)",
    "bare": "Bare work: httpx.get + batch_write_item",
}
BATCH_WRITE_LIMIT = 25

from bench.harness import Call, bench_environment, counted_api_calls, new_container  # noqa: E402


def catalogue_segments(size: int, rng: random.Random) -> list[dict[str, Any]]:
    """``size`` distinct segments as a data seller lists them (names from the labelled set, varied)."""
    return [
        {
            "id": f"seg-{size}-{position}",
            "name": item.name,
            "description": item.description,
            "keywords": list(item.keywords),
            "category": item.category,
            "taxonomy_path": item.taxonomy_path,
            "size": rng.randrange(10_000, 5_000_000),
            "cpm": round(rng.uniform(0.5, 4.0), 2),
        }
        for position, item in enumerate(generate_page(size, rng, _base_items()))
    ]


@dataclass
class Measurement:
    """The timings (ms) and AWS calls of one variant at one page size, one entry per repetition."""

    wall_ms: list[float] = field(default_factory=list)
    dynamodb_ms: list[float] = field(default_factory=list)
    calls: list[Counter[tuple[str, str]]] = field(default_factory=list)

    def add(self, seconds: float, calls: list[Call]) -> None:
        self.wall_ms.append(seconds * 1000)
        self.dynamodb_ms.append(sum(spent for service, _op, spent in calls if service == "DynamoDB") * 1000)
        self.calls.append(Counter((service, operation) for service, operation, _spent in calls))


class Api:
    """Requests through the API Gateway emulator, each organisation with its own session token."""

    def __init__(self, gateway: Any, issuer: Any) -> None:
        self._gateway = gateway
        self._issuer = issuer

    def expect(self, status: int, org_id: str, method: str, path: str, body: Any = None) -> Any:
        headers = {"authorization": f"Bearer {self._issuer.token(org_id)}", "content-type": "application/json"}
        raw = json.dumps(body).encode() if body is not None else b""
        response = self._gateway.handle(method, path, "", headers, raw)
        payload = json.loads(response.body) if response.body else None
        if response.status != status:
            raise RuntimeError(f"{method} {path} answered {response.status}, not {status}: {payload}")
        return payload

    def timed_page(self, org_id: str, connection_id: str, run_id: str) -> tuple[float, list[Call], Any]:
        """The page call, timed from the request to the response (authorizer included); its calls."""
        headers = {"authorization": f"Bearer {self._issuer.token(org_id)}", "content-type": "application/json"}
        path = f"/api/connections/{connection_id}/sync/run/{run_id}/page"
        with counted_api_calls() as calls:
            started = time.perf_counter()
            response = self._gateway.handle("POST", path, "", headers, b"")
            elapsed = time.perf_counter() - started
        payload = json.loads(response.body)
        if response.status != 200 or "error" in payload:
            raise RuntimeError(f"page call answered {response.status}: {payload}")
        return elapsed, list(calls), payload


def fresh_table() -> None:
    """Drop and re-create the table, so every measurement writes into an equally empty table (moto's
    work per call grows with the table: one grown by earlier repetitions would slow later ones)."""
    import boto3

    from local.provision import create_table

    client = boto3.client("dynamodb")
    client.delete_table(TableName=TABLE_NAME)
    create_table(TABLE_NAME, client)


def product_pages(api: Api, served: SegmentCatalogue, size: int, org_id: str) -> dict[str, tuple[float, list[Call]]]:
    """A new connection's first sync page (every item new), then a second run's page (every item a
    duplicate); each page call timed."""
    connection_id = api.expect(
        201,
        org_id,
        "POST",
        "/api/connections",
        {
            "name": f"Catalogue of {size}",
            "platform": "custom_api",
            "direction": "inbound",
            "config": served.config(page_size=size),
            "credentials": CATALOGUE_CREDENTIALS,
        },
    )["id"]
    timings = {}
    for variant in ("fresh", "resync"):
        run = api.expect(200, org_id, "POST", f"/api/connections/{connection_id}/sync/run")
        if (run["totalItems"], run["totalPages"]) != (size, 1):
            raise RuntimeError(f"the run should be one page of {size}: {run}")
        elapsed, calls, page = api.timed_page(org_id, connection_id, run["runId"])
        expected = (size, 0) if variant == "fresh" else (0, size)
        if (page["fetched"], (page["inserted"], page["duplicates"]), page["run"]["status"]) != (
            size,
            expected,
            "completed",
        ):
            raise RuntimeError(f"{variant} page of {size}: unexpected result {page}")
        timings[variant] = (elapsed, calls)
    return timings


def bare_page(served: SegmentCatalogue, size: int, client: Any, repetition: int) -> tuple[float, list[Call]]:
    """The same page fetched with httpx, and one item per segment written with batch_write_item."""
    import httpx

    url = served.base_url
    headers = {"Authorization": f"Bearer {CATALOGUE_CREDENTIALS['token']}"}
    with counted_api_calls() as calls:
        started = time.perf_counter()
        response = httpx.get(url, params={"page": 1, "page_size": size}, headers=headers, timeout=30)
        response.raise_for_status()
        segments = response.json()["data"]["segments"]
        items = [bare_item(segment, repetition) for segment in segments]
        for start in range(0, len(items), BATCH_WRITE_LIMIT):
            pending: dict[str, Any] = {
                TABLE_NAME: [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH_WRITE_LIMIT]]
            }
            while pending:
                pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        elapsed = time.perf_counter() - started
    if len(segments) != size:
        raise RuntimeError(f"the bare fetch got {len(segments)} segments, not {size}")
    return elapsed, list(calls)


def bare_item(segment: dict[str, Any], repetition: int) -> dict[str, Any]:
    """A stored item with about the attributes a topic item has (its keys, bookkeeping, the
    segment's fields and a classification map)."""
    now = "2026-03-01T10:00:00.000Z"
    item: dict[str, Any] = {
        "pk": {"S": f"ORG#org_bench_bare_{repetition}"},
        "sk": {"S": f"TOPIC#{segment['id']}"},
        "id": {"S": segment["id"]},
        "orgId": {"S": f"org_bench_bare_{repetition}"},
        "name": {"S": segment["name"]},
        "nameKey": {"S": segment["name"].casefold()},
        "source": {"S": "sync"},
        "connectionId": {"S": "conn_bench_bare"},
        "externalId": {"S": segment["id"]},
        "createdAt": {"S": now},
        "updatedAt": {"S": now},
        "lastSeenAt": {"S": now},
        "insertedBy": {"S": "bare"},
        "audienceSize": {"N": str(segment["size"])},
        "cpm": {"N": str(segment["cpm"])},
        "classification": {
            "M": {
                "iabCode": {"S": "0"},
                "tier1": {"S": "Interest"},
                "tierPath": {"L": [{"S": "Interest"}]},
                "segmentType": {"S": "B2C"},
                "confidence": {"N": "0.5"},
                "engineVersion": {"S": "bare"},
            }
        },
    }
    for source, name in (("description", "description"), ("category", "category"), ("taxonomy_path", "taxonomyPath")):
        if segment.get(source):
            item[name] = {"S": segment[source]}
    if segment.get("keywords"):
        item["keywords"] = {"L": [{"S": word} for word in segment["keywords"]]}
    return item


def classifier_throughput(rng: random.Random) -> tuple[float, float, str]:
    """Items/s of ``RuleBasedClassifier().classify_many`` on 1,000 realistic names (median of rounds,
    a warmed-up classifier), the share classified, and the engine version."""
    from connections.adapters.classifier.rule_based import RuleBasedClassifier

    classifier = RuleBasedClassifier()
    base = _base_items()
    classifier.classify_many(generate_page(100, rng, base))  # builds the index; not measured
    seconds, classified = [], 0
    for _ in range(CLASSIFIER_ROUNDS):
        page = generate_page(1_000, rng, base)
        started = time.perf_counter()
        results = classifier.classify_many(page)
        seconds.append(time.perf_counter() - started)
        classified += sum(result is not None for result in results)
    return 1_000 / statistics.median(seconds), classified / (1_000 * CLASSIFIER_ROUNDS), classifier.engine_version


def classify_segments_ms(segments: list[dict[str, Any]]) -> float:
    """Median ms for the classifier alone on a page's segments (what the page endpoint classifies)."""
    from connections.domain.classification import ClassifiableItem
    from connections.wiring import classifier

    items = [
        ClassifiableItem(
            name=segment["name"],
            description=segment["description"],
            keywords=tuple(segment["keywords"]),
            category=segment["category"],
            taxonomy_path=segment["taxonomy_path"],
        )
        for segment in segments
    ]
    engine = classifier()
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        engine.classify_many(items)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


@dataclass
class Results:
    measured: dict[tuple[int, str], Measurement]
    classify_ms: dict[int, float]
    classifier_rate: float
    classified_share: float
    engine_version: str
    load: float


def measure() -> Results:
    import boto3
    from moto import mock_aws

    from local import moto_transactions
    from local.api_gateway import ApiGateway
    from local.dev_keys import SigningKey
    from local.provision import provision

    moto_transactions.apply()
    rng = random.Random(SEED)
    issuer = SigningKey.generate()
    measured = {(size, variant): Measurement() for size in PAGE_SIZES for variant in VARIANTS}
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
        api = Api(ApiGateway(), issuer)
        client = boto3.client("dynamodb")
        catalogues = {
            size: servers.enter_context(segment_catalogue(catalogue_segments(size, rng))) for size in PAGE_SIZES
        }
        for size, served in catalogues.items():  # warm-up: imports, classifier index, clients; not measured
            product_pages(api, served, size, f"org_bench_sync_warm_{size}")
            bare_page(served, size, client, -1)
        for repetition in range(REPETITIONS):
            for size, served in catalogues.items():

                def product(size: int = size, served: SegmentCatalogue = served, repetition: int = repetition) -> None:
                    fresh_table()
                    timings = product_pages(api, served, size, f"org_bench_sync_{size}_{repetition}")
                    for variant, (seconds, calls) in timings.items():
                        measured[(size, variant)].add(seconds, calls)

                def bare(size: int = size, served: SegmentCatalogue = served, repetition: int = repetition) -> None:
                    fresh_table()
                    measured[(size, "bare")].add(*bare_page(served, size, client, repetition))

                # Alternate which goes first, so a drift in machine load falls on both.
                order: list[Callable[[], None]] = [product, bare] if repetition % 2 == 0 else [bare, product]
                for step in order:
                    step()
            print(f"sync page: repetition {repetition + 1} of {REPETITIONS} done", file=sys.stderr, flush=True)
        classify_ms = {size: classify_segments_ms(served.items) for size, served in catalogues.items()}
    rate, share, engine_version = classifier_throughput(rng)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return Results(measured, classify_ms, rate, share, engine_version, load)


def describe_calls(measurement: Measurement) -> str:
    """DynamoDB operations of one request (the same every repetition, else each distinct set)."""
    distinct = {
        tuple(sorted((operation, count) for (service, operation), count in calls.items() if service == "DynamoDB"))
        for calls in measurement.calls
    }
    described = []
    for operations in sorted(distinct):
        total = sum(count for _name, count in operations)
        described.append(f"{total} ({', '.join(f'{name} x{count}' for name, count in operations)})")
    return " or ".join(described)


def other_services(results: Results) -> str:
    counts: Counter[str] = Counter()
    for measurement in results.measured.values():
        for calls in measurement.calls:
            for (service, operation), count in calls.items():
                if service != "DynamoDB":
                    counts[f"{service} {operation}"] += count
    return ", ".join(f"{name} ({count} in all)" for name, count in sorted(counts.items())) or "none"


def render(results: Results) -> str:
    rows = []
    for size in PAGE_SIZES:
        bare = statistics.median(results.measured[(size, "bare")].wall_ms)
        for variant in VARIANTS:
            measurement = results.measured[(size, variant)]
            wall = statistics.median(measurement.wall_ms)
            dynamodb = statistics.median(measurement.dynamodb_ms)
            classify = f"{results.classify_ms[size]:.0f}" if variant != "bare" else "-"
            rows.append(
                f"| {size:,} | {VARIANT_LABELS[variant]} | {wall:.0f} | {wall / bare:.2f} | {dynamodb:.0f} "
                f"| {classify} | {describe_calls(measurement)} |"
            )
    spread = "; ".join(
        f"{size:,} {variant}: " + ", ".join(f"{value:.0f}" for value in results.measured[(size, variant)].wall_ms)
        for size in PAGE_SIZES
        for variant in VARIANTS
    )
    return "\n".join(
        [
            "## Sync page: the page endpoint against the bare work",
            "",
            "`POST /api/connections/{id}/sync/run/{runId}/page` for a run of one page of 100 and of 1,000",
            "items, timed around the request through the API Gateway emulator (authorizer, then the real",
            "`process_sync_page` handler: fetch, map, classify, dedupe, insert, count) with a session token,",
            "against moto in this process with the table from template.yaml. The segment catalogue is a fake on",
            "127.0.0.1 in this process serving the page in one response; its segments carry names from the",
            "classifier's labelled set with seller-style variations, a description, keywords, category, path,",
            "size and CPM.",
            "",
            "- **Every item new**: a new organisation and connection each repetition, so every segment is",
            "  inserted. **Re-sync**: a second run on that connection right after, so every segment is a",
            "  duplicate (matched by external id) of a topic it brings nothing new to: its external-id claim",
            "  is read (it lists the fields its topic has), the topic is neither read nor written.",
            "- **Bare work**: `httpx.get` of the same page (JSON parsed), then one item per segment, with about",
            "  the attributes of a topic item (keys, bookkeeping, the segment's fields, a classification map),",
            f"  written with boto3 `batch_write_item` in batches of {BATCH_WRITE_LIMIT} into the same table.",
            "- The table is dropped and re-created before each repetition of each variant, so every one writes",
            "  into an equally empty table (moto's work per call grows with the table). One untimed",
            f"  warm-up per page size first; {REPETITIONS} repetitions, interleaved, alternating whether the",
            f"  endpoint or the bare work goes first; medians. 1-minute load average {results.load:.1f} when measured.",
            "- **Ratio**: the row's median over the bare work's median at the same page size. **DynamoDB ms**:",
            "  the median time spent inside DynamoDB calls (moto in this process, so it is moto's cost, not",
            "  DynamoDB's latency; the chunks of a BatchGetItem overlap on a thread pool, so this sum can exceed",
            "  the wall time they took). **Classifier alone**: the median time of `classify_many` on the same",
            "  segments, outside the endpoint, for the share classification takes.",
            "- **DynamoDB calls**: every DynamoDB operation of the request, counted by wrapping botocore's",
            "  `BaseClient._make_api_call` (the session token needs none for the authorizer).",
            "",
            "| Items | Variant | Median ms | Ratio to bare | DynamoDB ms | Classifier alone ms "
            "| DynamoDB calls per page |",
            "|---:|---|---:|---:|---:|---:|---|",
            *rows,
            "",
            f"Calls to other services during the timed requests: {other_services(results)}.",
            "",
            f"Classifier throughput: **{results.classifier_rate:,.0f} items/s** (`RuleBasedClassifier().classify_many`,"
            f" engine `{results.engine_version}`, on 1,000 generated segment names per round, median of"
            f" {CLASSIFIER_ROUNDS} rounds after a warm-up; {results.classified_share:.1%} classified).",
            "",
            f"All measurements (ms, in order): {spread}.",
        ]
    )


def run() -> str:
    """Time the sync page endpoint against the bare work, and the classifier; the markdown section."""
    with bench_environment(allow_private_targets=True), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        return render(measure())


if __name__ == "__main__":
    print(run())
