"""GET /api/topics on libraries of 1k, 10k and 100k topics, and what a 1,000-item sync page costs
DynamoDB in write units and per partition, now and with the former key design.

Libraries are written straight into moto (``batch_write_item`` of the items an insert writes, see
tests/support/topic_library_seed.py), one table per size; requests go through the API Gateway
emulator to the real ``list_topics`` handler with a session token. Items read are counted from the
DynamoDB responses (tests/support/dynamodb_usage.py), write units from the requests' item sizes.

Run alone: ``.venv/bin/python bench/bench_scale.py`` (prints the markdown section).
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LAYER_PATH = PROJECT_ROOT / "layers" / "shared"
for _path in (PROJECT_ROOT, LAYER_PATH):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench.harness import bench_environment, new_container  # noqa: E402

SIZES = tuple(int(size) for size in os.environ.get("BENCH_SCALE_SIZES", "1000,10000,100000").split(","))
# moto's Query sorts the whole partition on every call, so its time grows with the library: fewer
# repetitions at the large sizes keep the section to minutes. The former whole-library read is run
# up to 10k topics (moto took 556 s for one at 100k, on 2026-12-02); its items read are the library.
REPETITIONS = {size: 5 if size <= 1_000 else 3 if size <= 10_000 else 1 for size in SIZES}
LEGACY_REPETITIONS = {size: 5 if size <= 1_000 else 3 if size <= 10_000 else 0 for size in SIZES}
ORG = "org_bench_scale"
AUTHORIZED_PARTY = "http://localhost:3000"
PAGE_ITEMS = 1_000
INDEXES = {"connectionTopicsPk": ["nameKey", "source", "classification"]}
# The request types of GET /api/topics; "cursor" is filled from the first page's nextCursor.
REQUESTS: tuple[tuple[str, dict[str, str]], ...] = (
    ("First page, pageSize 25", {"pageSize": "25"}),
    ("First page, pageSize 100", {"pageSize": "100"}),
    ("Next page by cursor, pageSize 25", {"pageSize": "25", "cursor": ""}),
    ("Page 5 by number, pageSize 25", {"pageSize": "25", "page": "5"}),
    ("connectionId (GSI), pageSize 25", {"pageSize": "25", "connectionId": "conn_a"}),
    ("search (bounded filter), pageSize 25", {"pageSize": "25", "search": "golf"}),
    ("source=manual (bounded filter), pageSize 25", {"pageSize": "25", "source": "manual"}),
)


@dataclass
class Sample:
    ms: list[float] = field(default_factory=list)
    items_read: list[int] = field(default_factory=list)
    returned: list[int] = field(default_factory=list)


class Api:
    def __init__(self, gateway: Any, issuer: Any) -> None:
        self._gateway = gateway
        self._issuer = issuer

    def get(self, query: dict[str, str]) -> tuple[float, dict[str, Any]]:
        from urllib.parse import urlencode

        headers = {"authorization": f"Bearer {self._issuer.token(ORG)}"}
        started = time.perf_counter()
        response = self._gateway.handle("GET", "/api/topics", urlencode(query), headers, b"")
        elapsed = time.perf_counter() - started
        body = json.loads(response.body)
        if response.status != 200:
            raise RuntimeError(f"GET /api/topics?{query} answered {response.status}: {body}")
        return elapsed, body


def legacy_list(client: Any, table: str) -> int:
    """The former GET /api/topics read: every topic of the organisation's one partition (query_all),
    decoded, then filtered and sorted in memory. Returns the items read."""
    from connections.adapters.dynamodb.table_client import query_all
    from connections.adapters.dynamodb.topic_repository import topic_from_item

    request = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": f"ORG#{ORG}"}, ":prefix": {"S": "TOPIC#"}},
    }
    topics = [topic_from_item(item) for item in query_all(client, request)]
    topics.sort(key=lambda topic: (topic.created_at, topic.id), reverse=True)
    return len(topics)


def legacy_copy(client: Any, source: str, target: str) -> None:
    """The library of ``source`` in the former layout (every topic in ``ORG#<org>``) in ``target``."""
    from connections.adapters.dynamodb.table_client import batch_put

    items = []
    for page in client.get_paginator("scan").paginate(TableName=source):
        for item in page["Items"]:
            if item["sk"]["S"].startswith("TOPIC#"):
                moved = dict(item) | {"pk": {"S": f"ORG#{ORG}"}}
                moved.pop("connectionTopicsPk", None)
                items.append(moved)
    batch_put(client, target, items)


def measure_listings() -> tuple[dict[tuple[int, str], Sample], dict[int, Sample], dict[int, float]]:
    import boto3

    from local.api_gateway import ApiGateway
    from local.dev_keys import SigningKey
    from local.provision import create_table
    from tests.support.dynamodb_usage import dynamodb_usage
    from tests.support.topic_library_seed import seed_library

    issuer = SigningKey.generate()
    os.environ.update({"CLERK_JWT_KEY": issuer.public_pem, "CLERK_AUTHORIZED_PARTIES": AUTHORIZED_PARTY})
    client = boto3.client("dynamodb")
    samples = {(size, label): Sample() for size in SIZES for label, _ in REQUESTS}
    legacy = {size: Sample() for size in SIZES}
    seed_seconds: dict[int, float] = {}
    for size in SIZES:
        table = f"bench-scale-{size}"
        create_table(table, client)
        started = time.perf_counter()
        seed_library(client, table, ORG, size, ("conn_a", "conn_b"))
        seed_seconds[size] = time.perf_counter() - started
        os.environ["TABLE_NAME"] = table
        new_container()
        api = Api(ApiGateway(), issuer)
        api.get({"pageSize": "25"})  # warm-up: imports, clients; not measured
        for _ in range(REPETITIONS[size]):
            cursor = api.get({"pageSize": "25"})[1]["nextCursor"]
            for label, query in REQUESTS:
                asked = query | ({"cursor": cursor} if "cursor" in query else {})
                with dynamodb_usage(table) as usage:
                    seconds, body = api.get(asked)
                sample = samples[(size, label)]
                sample.ms.append(seconds * 1000)
                sample.items_read.append(usage.items_read)
                sample.returned.append(len(body["topics"]))
        if LEGACY_REPETITIONS[size]:
            legacy_table = f"bench-scale-legacy-{size}"
            create_table(legacy_table, client)
            legacy_copy(client, table, legacy_table)
            for _ in range(LEGACY_REPETITIONS[size]):
                started = time.perf_counter()
                read = legacy_list(client, legacy_table)
                legacy[size].ms.append((time.perf_counter() - started) * 1000)
                legacy[size].items_read.append(read)
            client.delete_table(TableName=legacy_table)
        client.delete_table(TableName=table)
        print(f"scale: library of {size:,} done", file=sys.stderr, flush=True)
    return samples, legacy, seed_seconds


@dataclass
class WriteCost:
    new_units: float
    duplicate_units: float
    bare_units: float
    topic_bytes: float
    max_per_partition: int
    partitions: int
    writes: int
    legacy_new_units: float
    legacy_duplicate_units: float
    legacy_max_per_partition: int
    calls_new: Counter[str]
    calls_duplicate: Counter[str]
    breakdown: dict[str, float]  # units per new item, by what was written
    duplicate_items_read: int


WRITE_KINDS = {"TOPIC#": "topic", "TNAME#": "name claim", "TEXT#": "external-id claim", "COUNT": "shard counts"}


def units_by_kind(usage: Any) -> dict[str, float]:
    """A page's write units per item, by what was written (topic, claims, counts, GSI entries)."""
    from tests.support.dynamodb_usage import item_bytes, write_units

    units: Counter[str] = Counter()
    for write in usage.writes:
        key = (write.key["pk"]["S"], write.key["sk"]["S"])
        kind = next(name for prefix, name in WRITE_KINDS.items() if key[1].startswith(prefix))
        size = item_bytes(write.item) if write.item is not None else usage.sizes.get(key, 0)
        units[kind] += (2 if write.transactional else 1) * write_units(size)
        if key in usage.index_entries and write.kind != "Delete":
            units["TopicsByConnection entry"] += write_units(usage.index_entries[key])
    return {kind: total / PAGE_ITEMS for kind, total in units.items()}


def measure_write_cost() -> WriteCost:
    """One 1,000-item page of catalogue segments (classified) ingested new, then again unchanged."""
    import boto3

    from bench.bench_classifier import SEED
    from bench.bench_sync_page import bare_item, catalogue_segments
    from connections.adapters.dynamodb.topic_repository import DynamoTopicRepository
    from connections.domain.classification import ClassifiableItem
    from connections.domain.topic import TopicDraft, TopicSource
    from connections.wiring import classifier
    from local.provision import create_table
    from tests.support.dynamodb_usage import dynamodb_usage, item_bytes, write_units

    client = boto3.client("dynamodb")
    table = "bench-scale-writes"
    create_table(table, client)
    segments = catalogue_segments(PAGE_ITEMS, random.Random(SEED))
    engine = classifier()
    classes = engine.classify_many(
        [
            ClassifiableItem(s["name"], s["description"], tuple(s["keywords"]), s["category"], s["taxonomy_path"])
            for s in segments
        ]
    )
    drafts = [
        TopicDraft(
            name=s["name"],
            external_id=s["id"],
            description=s["description"],
            keywords=tuple(s["keywords"]),
            category=s["category"],
            taxonomy_path=s["taxonomy_path"],
            audience_size=s["size"],
            cpm=s["cpm"],
            classification=c,
        )
        for s, c in zip(segments, classes, strict=True)
    ]
    topics = DynamoTopicRepository(table)
    now = "2026-03-01T10:00:00.000Z"
    with dynamodb_usage(table, INDEXES) as new:
        topics.ingest("org_bench_writes", TopicSource.SYNC, "conn_bench", drafts, "run_a#1", now)
    with dynamodb_usage(table, INDEXES) as again:
        topics.ingest("org_bench_writes", TopicSource.SYNC, "conn_bench", drafts, "run_b#1", now)
    bare = [write_units(item_bytes(bare_item(segment, 0))) for segment in segments]
    topic_items = [w.item for w in new.writes if w.item is not None and w.key["sk"]["S"].startswith("TOPIC#")]
    topic_sizes = [item_bytes(item) for item in topic_items]
    # The former design, modelled on the same items: each new topic went into a transaction with its
    # two claims (no index entry, no count); every duplicate was updated in a transaction of
    # enrichments; every write went to the one partition ORG#<org>.
    former = [
        {name: value for name, value in item.items() if name != "connectionTopicsPk"} | {"pk": {"S": "ORG#o"}}
        for item in topic_items
    ]
    legacy_topic_units = [write_units(item_bytes(item)) for item in former]
    legacy_new = sum(2 * (units + 1 + 1) for units in legacy_topic_units) / PAGE_ITEMS
    legacy_duplicate = sum(2 * units for units in legacy_topic_units) / PAGE_ITEMS
    per_partition = new.writes_per_partition()
    legacy_writes = sum(1 for write in new.writes if write.key["sk"]["S"] != "COUNT")
    client.delete_table(TableName=table)
    return WriteCost(
        new_units=new.write_units() / PAGE_ITEMS,
        duplicate_units=again.write_units() / PAGE_ITEMS,
        bare_units=sum(bare) / PAGE_ITEMS,
        topic_bytes=statistics.mean(topic_sizes),
        max_per_partition=max(per_partition.values()),
        partitions=len(per_partition),
        writes=sum(per_partition.values()),
        legacy_new_units=legacy_new,
        legacy_duplicate_units=legacy_duplicate,
        legacy_max_per_partition=legacy_writes,
        calls_new=new.calls,
        calls_duplicate=again.calls,
        breakdown=units_by_kind(new),
        duplicate_items_read=again.items_read,
    )


def render(
    samples: dict[tuple[int, str], Sample],
    legacy: dict[int, Sample],
    seeds: dict[int, float],
    cost: WriteCost,
    load: float,
) -> str:
    columns = " | ".join(f"{size:,}: items read / median ms" for size in SIZES)
    header = f"| Request | {columns} | {SIZES[-1]:,} / {SIZES[0]:,} time |"
    rows = [header, "|---|" + "---:|" * (len(SIZES) + 1)]
    for label, _ in REQUESTS:
        cells = []
        for size in SIZES:
            sample = samples[(size, label)]
            cells.append(f"{statistics.median(sample.items_read):.0f} / {statistics.median(sample.ms):.0f}")
        ratio = statistics.median(samples[(SIZES[-1], label)].ms) / statistics.median(samples[(SIZES[0], label)].ms)
        rows.append(f"| {label} | " + " | ".join(cells) + f" | {ratio:.2f} |")
    legacy_cells = [
        f"{statistics.median(legacy[size].items_read):,.0f} / {statistics.median(legacy[size].ms):,.0f}"
        if legacy[size].ms
        else f"{size:,} / not run"
        for size in SIZES
    ]
    measured = [size for size in SIZES if legacy[size].ms]
    legacy_ratio = (
        f"{statistics.median(legacy[measured[-1]].ms) / statistics.median(legacy[measured[0]].ms):.2f}"
        f" ({measured[-1]:,} / {measured[0]:,})"
        if len(measured) > 1
        else "-"
    )
    rows.append("| Before: the former read of the whole library (any request) | " + " | ".join(legacy_cells))
    rows[-1] += f" | {legacy_ratio} |"
    returned = {label: sorted({n for size in SIZES for n in samples[(size, label)].returned}) for label, _ in REQUESTS}
    calls = lambda counter: ", ".join(f"{name} x{count}" for name, count in sorted(counter.items()))  # noqa: E731
    return "\n".join(
        [
            "## Scale: topic listings on 1k, 10k and 100k topics; write cost and partitions of a sync page",
            "",
            "`GET /api/topics` through the API Gateway emulator (authorizer, then the real `list_topics`",
            "handler) with a session token, against moto in this process. Each library is one organisation's",
            "topics in a table of its own, written with `batch_write_item` as an insert writes them (topics",
            "spread over the 8 shard partitions, every tenth one manual, the rest from two connections, names",
            "cycling through ten words so `search=golf` matches a tenth; the shards' counts set). Seeding took",
            ", ".join(f"{seeds[size]:.0f} s ({size:,})" for size in SIZES) + ".",
            "",
            "- "
            + ", ".join(f"{REPETITIONS[size]} at {size:,}" for size in SIZES)
            + " repetitions of every request type after a warm-up; medians. **Items read**: what",
            "  DynamoDB read for the request, from its responses (Query's ScannedCount, the items BatchGetItem",
            "  returned: the page's topics read through the GSI, the 8 shard counts for `total`).",
            "- **Before**: the former request read the organisation's whole partition (`query_all` of",
            "  `ORG#<org>`/`TOPIC#`) whatever the page or filters, then filtered and sorted in memory. That",
            "  code path is gone; it is re-run here on the same libraries copied into the former layout (one",
            "  partition) in a table of their own: "
            + ", ".join(f"{LEGACY_REPETITIONS[size]} run(s) at {size:,}" for size in SIZES)
            + " (at 100k its items read are the library; one run took moto 556 s on 2026-12-02).",
            "- Filters without an index (`search`, `source`, `iabCode`) examine at most 500 topics per request",
            "  and then answer with what they found and a `nextCursor`; pages returned, per request type:",
            "  " + "; ".join(f"{label}: {', '.join(map(str, counts))}" for label, counts in returned.items()) + ".",
            "- Times are moto's: a moto Query sorts and scans the whole partition (and a GSI Query the whole",
            "  table) on every call, so moto's time grows with the library even where the items read do not;",
            "  DynamoDB's Query cost follows the items read. The items-read columns are the figure to compare.",
            f"- 1-minute load average {load:.1f} when measured.",
            "",
            *rows,
            "",
            f"### Write cost of a {PAGE_ITEMS:,}-item sync page",
            "",
            f"The page of `bench_sync_page` ({PAGE_ITEMS:,} catalogue segments, classified by the rule-based",
            "classifier) ingested through `DynamoTopicRepository.ingest` into an empty library, then again",
            "(a re-sync: every item a duplicate whose data did not change). Write units from the requests'",
            "item sizes: 1 per started KB for a standard write (an update: the item after it), twice that",
            "inside TransactWriteItems, plus 1 per started KB of each TopicsByConnection entry. The bare write",
            "is `bench_sync_page`'s: one item per segment with `batch_write_item`.",
            "",
            "| Per item | Write units | Ratio to bare |",
            "|---|---:|---:|",
            f"| Bare write (`batch_write_item`, {cost.topic_bytes:.0f} B topic items on average) "
            f"| {cost.bare_units:.2f} | 1.00 |",
            f"| New topic, now | {cost.new_units:.2f} | {cost.new_units / cost.bare_units:.2f} |",
            *(
                f"| - of which {kind} | {units:.2f} | {units / cost.bare_units:.2f} |"
                for kind, units in sorted(cost.breakdown.items(), key=lambda entry: -entry[1])
            ),
            f"| New topic, before (modelled) | {cost.legacy_new_units:.2f} "
            f"| {cost.legacy_new_units / cost.bare_units:.2f} |",
            f"| Unchanged duplicate, now | {cost.duplicate_units:.2f} | {cost.duplicate_units / cost.bare_units:.2f} |",
            f"| Unchanged duplicate, before (modelled) | {cost.legacy_duplicate_units:.2f} "
            f"| {cost.legacy_duplicate_units / cost.bare_units:.2f} |",
            "",
            f"DynamoDB calls: new page {calls(cost.calls_new)}; re-sync {calls(cost.calls_duplicate)} "
            f"({cost.duplicate_items_read:,} items read: the external-id claims alone).",
            "",
            "- New topic, now: the topic, its name claim and its external-id claim in one transaction (2x",
            "  each), its TopicsByConnection entry (1), and the shard counts: a page's new topics go into",
            "  transactions in shard order, so each transaction carries one or two count updates (2x each),",
            "  not one per shard. The transaction's floor is 7 (three items at 2x and the index entry); without",
            "  transactions it would be 4 (four items at DynamoDB's minimum of 1), so 2x the bare write is out",
            "  of reach with two uniqueness claims and an index entry (docs/STORAGE.md). Before (modelled on the",
            "  same items): the same transaction without the index entry and the counts.",
            "- Unchanged duplicate: its external-id claim lists the fields its topic has, so the re-sync reads",
            "  that claim (a small item) and writes nothing. Before (modelled): every duplicate was updated",
            "  (`lastSeenAt`) in a transaction of enrichments, 2x its item's units.",
            "",
            f"Writes to one partition key for the page: **{cost.max_per_partition:,}** at most now "
            f"({cost.writes:,} writes over {cost.partitions} partition keys: 8 topic shards, 8 claim shards), "
            f"against **{cost.legacy_max_per_partition:,}** before (every topic and both its claims in "
            "`ORG#<org>`; modelled, the former layout is gone). At DynamoDB's 1,000 write units per second per",
            "partition, the largest share bounds how fast one page can be written.",
        ]
    )


# -- activations ------------------------------------------------------------------------------------

# The request types of GET /api/activations; "cursor" is filled from the first page's nextCursor.
ACTIVATION_REQUESTS: tuple[tuple[str, dict[str, str]], ...] = (
    ("First page, pageSize 50", {"pageSize": "50"}),
    ("Next page by cursor, pageSize 50", {"pageSize": "50", "cursor": ""}),
    ("connectionId (GSI), pageSize 50", {"pageSize": "50", "connectionId": "conn_a"}),
    ("status=pending (GSI), pageSize 50", {"pageSize": "50", "status": "pending"}),
    ("stale=true (bounded filter), pageSize 50", {"pageSize": "50", "stale": "true"}),
)
# moto answers a GSI Query by reading every item of the table, so at 100k activations one request
# took 43-123 s (the 100k run took 14.5 min, 2026-12-02; items read 72-81 per page, as at 1k and 10k):
# 100k is opt-in (BENCH_ACTIVATION_SIZES=1000,10000,100000) to keep the section to minutes.
_DEFAULT_ACTIVATION_SIZES = ",".join(str(size) for size in SIZES if size <= 10_000) or str(SIZES[0])
ACTIVATION_SIZES = tuple(
    int(size) for size in os.environ.get("BENCH_ACTIVATION_SIZES", _DEFAULT_ACTIVATION_SIZES).split(",")
)
PUSH_TOPICS = 1_000


def get_activations(gateway: Any, issuer: Any, query: dict[str, str]) -> tuple[float, dict[str, Any]]:
    """One listing request's time, and its rows and next cursor (the Link header's)."""
    from urllib.parse import urlencode

    from tests.support.link_pages import next_cursor

    headers = {"authorization": f"Bearer {issuer.token(ORG)}"}
    started = time.perf_counter()
    response = gateway.handle("GET", "/api/activations", urlencode(query), headers, b"")
    elapsed = time.perf_counter() - started
    body = json.loads(response.body)
    if response.status != 200:
        raise RuntimeError(f"GET /api/activations?{query} answered {response.status}: {body}")
    return elapsed, {"activations": body, "nextCursor": next_cursor(response.headers)}


def measure_activation_listings() -> dict[tuple[int, str], Sample]:
    """GET /api/activations on 1k, 10k and 100k activations (tests/support/activation_seed.py)."""
    import boto3

    from local.api_gateway import ApiGateway
    from local.dev_keys import SigningKey
    from local.provision import create_table
    from tests.support.activation_seed import seed_activations
    from tests.support.dynamodb_usage import dynamodb_usage

    issuer = SigningKey.generate()
    os.environ.update({"CLERK_JWT_KEY": issuer.public_pem, "CLERK_AUTHORIZED_PARTIES": AUTHORIZED_PARTY})
    client = boto3.client("dynamodb")
    samples = {(size, label): Sample() for size in ACTIVATION_SIZES for label, _ in ACTIVATION_REQUESTS}
    for size in ACTIVATION_SIZES:
        table = f"bench-activations-{size}"
        create_table(table, client)
        seed_activations(client, table, ORG, size)
        os.environ["TABLE_NAME"] = table
        new_container()
        gateway = ApiGateway()
        get_activations(gateway, issuer, {"pageSize": "50"})  # warm-up: imports, clients; not measured
        for _ in range(REPETITIONS.get(size, 1)):
            cursor = get_activations(gateway, issuer, {"pageSize": "50"})[1]["nextCursor"]
            for label, query in ACTIVATION_REQUESTS:
                asked = query | ({"cursor": cursor} if "cursor" in query else {})
                with dynamodb_usage(table) as usage:
                    seconds, body = get_activations(gateway, issuer, asked)
                sample = samples[(size, label)]
                sample.ms.append(seconds * 1000)
                sample.items_read.append(usage.items_read)
                sample.returned.append(len(body["activations"]))
        client.delete_table(TableName=table)
        print(f"scale: {size:,} activations done", file=sys.stderr, flush=True)
    return samples


def push_partition_writes() -> tuple[int, int, int]:
    """The most writes to one partition key (table and GSIs) in a 1,000-topic push: each activation is
    put pending, claimed and given its outcome (active). Modelled from the items each write leaves:
    the former layout kept every activation in ``ORG#<org>`` (no index); now the table partition is
    the connection's topic shard and each index entry is written where the item's key puts it (a
    status change deletes the old status entry too). Returns (former, now, partition keys now)."""
    from connections.adapters.dynamodb.keys import (
        ACTIVATIONS_BY_STATUS_KEY,
        activation_index_keys,
        activation_key,
    )
    from connections.domain.activation import ActivationStatus
    from tests.support.activation_seed import seeded_activation

    writes: Counter[str] = Counter()
    for number in range(PUSH_TOPICS):
        activation = seeded_activation(ORG, "conn_a", number * 10, "run_bench").changed(status=ActivationStatus.PENDING)
        table_pk = activation_key(ORG, activation.connection_id, activation.topic_id)["pk"]["S"]
        pending = activation_index_keys(ORG, "conn_a", activation.id, activation.topic_id, "pending", "run_bench")
        active = activation_index_keys(ORG, "conn_a", activation.id, activation.topic_id, "active", "run_bench")
        writes[table_pk] += 3  # put, claim, outcome
        for entry in pending.values():
            writes[entry["S"]] += 2  # written by the put, rewritten by the claim (whole items projected)
        for name, entry in pending.items():
            # The outcome rewrites every entry; the pending one and the old status entry are deleted.
            writes[entry["S"]] += 1
            if name == ACTIVATIONS_BY_STATUS_KEY:
                writes[active[name]["S"]] += 1
    return 3 * PUSH_TOPICS, max(writes.values()), len(writes)


def render_activations(samples: dict[tuple[int, str], Sample], push: tuple[int, int, int]) -> str:
    columns = " | ".join(f"{size:,}: items read / median ms" for size in ACTIVATION_SIZES)
    rows = [f"| Request | {columns} |", "|---|" + "---:|" * len(ACTIVATION_SIZES)]
    for label, _ in ACTIVATION_REQUESTS:
        cells = [
            f"{statistics.median(samples[(size, label)].items_read):.0f} / "
            f"{statistics.median(samples[(size, label)].ms):.0f}"
            for size in ACTIVATION_SIZES
        ]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    former, now, keys = push
    return "\n".join(
        [
            "### GET /api/activations",
            "",
            "Activations seeded straight into moto (tests/support/activation_seed.py: two connections, a",
            "tenth pending, a tenth in error, the rest active and pushed; their topics do not exist, so",
            "every pushed one reads stale). Items read count every read of the request: the organisation's",
            "connections, the index entries and the page's topics. Repetitions as for topics (one at 100k).",
            "The former listing read every activation of the organisation, then all their topics.",
            "",
            *rows,
            "",
            f"Writes to one partition key in a {PUSH_TOPICS:,}-topic push (put, claim, outcome of each",
            f"activation; GSI entries included, modelled from the written items): former layout {former:,}",
            f"(all in `ORG#<org>`), now at most {now:,} over {keys} partition keys.",
        ]
    )


def run() -> str:
    """Listings at three library sizes, and a sync page's write cost; the markdown section."""
    from moto import mock_aws

    from local import moto_transactions

    with bench_environment(allow_private_targets=True), warnings.catch_warnings(), mock_aws():
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        moto_transactions.apply()
        os.environ.update({"ALLOWED_ORIGINS": "", "CREDENTIALS_KEY_ARN": "unused"})
        samples, legacy, seeds = measure_listings()
        cost = measure_write_cost()
        activations = measure_activation_listings()
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        return (
            render(samples, legacy, seeds, cost, load)
            + "\n\n"
            + render_activations(activations, push_partition_writes())
        )


if __name__ == "__main__":
    print(run())
