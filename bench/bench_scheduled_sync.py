"""A scheduled sync of 2,000 items (20 pages of 100) processed by 1, 2 and 4 page workers at once.

Each worker is a process of its own running the real SyncPageWorker function on SQS batches, as a
Lambda container would; they poll the page queue of an embedded moto server (single-threaded, in this
process) that also holds the table and KMS key. The segment catalogue is a fake on 127.0.0.1 in this
process. Each measurement starts the run with the real ScheduledSync function (count, then 20 page
messages) and ends when the run's status is no longer ``running``; workers are started and warm
before it. Every run starts from an empty table (moto reads the whole table for every Query, so a
table grown by earlier runs would slow later ones), so every item is new each time.

Run alone: ``.venv/bin/python bench/bench_scheduled_sync.py`` (prints the markdown section).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LAYER_PATH = PROJECT_ROOT / "layers" / "shared"
for _path in (PROJECT_ROOT, LAYER_PATH):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from tests.fakes.segment_catalogue import catalogue_items, segment_catalogue  # noqa: E402
from tests.support.scheduled_sync_stack import ScheduledSyncStack  # noqa: E402

ITEMS = 2_000
PAGE_SIZE = 100
WORKER_COUNTS = (1, 2, 4)
REPETITIONS = 3
RUN_TIMEOUT_SECONDS = 600


def measure_run(stack: ScheduledSyncStack, config: dict[str, Any], org_id: str) -> dict[str, Any]:
    """One scheduled sync from ScheduledSync to the run's end, in an empty table."""
    stack.empty_table()
    connection_id = stack.create_connection(org_id, config)
    started = time.perf_counter()
    fired = stack.fire(org_id, connection_id)
    run = stack.wait_for_run(org_id, fired["runId"], timeout=RUN_TIMEOUT_SECONDS)
    seconds = time.perf_counter() - started
    stack.wait_until_queue_empty()
    return {
        "seconds": seconds,
        "status": run.status.value,
        "pages": run.processed_pages,
        "items": run.success_count + run.duplicate_count + run.error_count,
    }


def pages_per_worker(stack: ScheduledSyncStack) -> list[int]:
    return [
        sum(1 for line in lines if line.get("message") == "Sync page processed") for lines in stack.worker_log_lines()
    ]


def measure() -> dict[str, Any]:
    items, expected = catalogue_items(ITEMS, duplicate_every=50, bad_every=70)
    results: dict[int, list[dict[str, Any]]] = {}
    spread: dict[int, list[int]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-scheduled-sync-") as directory,
        ScheduledSyncStack.started(Path(directory)) as stack,
        segment_catalogue(items) as catalogue,
    ):
        # Page logs cost the same in every row; INFO lines are what the parser below counts.
        config = catalogue.config(page_size=PAGE_SIZE) | {"schedule": "rate(1 day)"}
        warm_up = "org_bench_warm_up"
        stack.start_workers(1)
        stack.wait_until_workers_poll()
        measure_run(stack, config, warm_up)  # imports, KMS key material, classifier index: paid once
        stack.stop_workers()
        for workers in WORKER_COUNTS:
            stack.start_workers(workers)
            stack.wait_until_workers_poll()
            runs = []
            for repetition in range(REPETITIONS):
                print(f"  {workers} workers, run {repetition + 1}", file=sys.stderr, flush=True)
                runs.append(measure_run(stack, config, f"org_bench_{workers}w_{repetition}"))
            spread[workers] = pages_per_worker(stack)
            stack.stop_workers()
            results[workers] = runs
    return {"results": results, "spread": spread, "expected": expected}


def render(measured: dict[str, Any]) -> str:
    results: dict[int, list[dict[str, Any]]] = measured["results"]
    baseline = statistics.median(run["seconds"] for run in results[WORKER_COUNTS[0]])
    rows = []
    for workers, runs in results.items():
        median = statistics.median(run["seconds"] for run in runs)
        statuses = {run["status"] for run in runs}
        walls = ", ".join(f"{run['seconds']:.1f}" for run in runs)
        rows.append(
            f"| {workers} | {walls} | {median:.1f} | "
            f"{ITEMS / PAGE_SIZE / median:.2f} | {ITEMS / median:.0f} | {baseline / median:.2f}x | "
            f"{'/'.join(sorted(statuses))} | {' + '.join(str(n) for n in measured['spread'][workers])} |"
        )
    cpus = len(os.sched_getaffinity(0))
    return "\n".join(
        [
            "## Scheduled sync: page workers in parallel",
            "",
            f"A scheduled sync of {ITEMS:,} items ({ITEMS // PAGE_SIZE} pages of {PAGE_SIZE}; "
            f"{measured['expected']['duplicates']} duplicates and {measured['expected']['errors']} items without "
            "a name among them) from the fake segment catalogue, started by the real ScheduledSync function and "
            "processed by N page worker processes running the real SyncPageWorker function on SQS batches "
            "(batch size from template.yaml). Wall time from the scheduled invocation to the run's end; every run "
            "starts from an empty table, after one warm-up run.",
            "",
            "| Page workers | Wall time per run (s) | Median (s) | Pages/s | Items/s | Speed-up | Run status "
            "| Pages per worker (all runs) |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"Everything shares this machine's {cpus} CPUs: the workers, the fake catalogue and one moto server "
            "that answers one AWS request at a time. Classifying a page is CPU-bound in the worker and every "
            "DynamoDB, KMS and SQS call waits its turn at moto, so the speed-up stops where those saturate; "
            "on AWS each worker is a Lambda container with its own CPU and DynamoDB serves them in parallel, "
            "bounded by the event source's MaximumConcurrency (SyncWorkerConcurrency).",
        ]
    )


def run() -> str:
    """Time the scheduled sync with 1, 2 and 4 page workers; the markdown section."""
    os.environ["POWERTOOLS_LOG_LEVEL"] = "INFO"
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        return render(measure())


if __name__ == "__main__":
    print(run())
