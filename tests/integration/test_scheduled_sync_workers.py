"""A large scheduled sync processed by several page workers at once, each a process of its own (as
Lambda containers are), against a moto server: the counts are exact, pages delivered twice are
counted once, and the queues end empty."""

from __future__ import annotations

from pathlib import Path

from connections.domain.sync_page_message import SyncPageMessage
from tests.fakes.segment_catalogue import CATALOGUE_PATH, catalogue_items, segment_catalogue
from tests.support.scheduled_sync_stack import ScheduledSyncStack

ORG = "org_workers"
ITEMS = 2050
PAGES = 21
WORKERS = 3
DUPLICATED_PAGES = (1, 11, 21)


def test_a_large_scheduled_sync_over_concurrent_workers_counts_exactly(tmp_path: Path) -> None:
    from connections.adapters.dynamodb.topic_repository import TOPIC_PREFIX_SK
    from connections.wiring import sync_page_queue

    items, expected = catalogue_items(ITEMS, duplicate_every=50, bad_every=70)
    # A short visibility timeout: a duplicate that found its page busy comes back within seconds.
    with ScheduledSyncStack.started(tmp_path, visibility_timeout=5) as stack, segment_catalogue(items) as catalogue:
        stack.start_workers(WORKERS)
        stack.wait_until_workers_poll()
        connection_id = stack.create_connection(ORG, catalogue.config() | {"schedule": "rate(1 day)"})

        started = stack.fire(ORG, connection_id, "2026-02-25T02:00:00Z")
        # Some pages are delivered a second time while the run is running, likely to two workers at once.
        duplicates = [SyncPageMessage(ORG, connection_id, started["runId"], page) for page in DUPLICATED_PAGES]
        sync_page_queue().enqueue(duplicates)
        run = stack.wait_for_run(ORG, started["runId"], timeout=240)
        stack.wait_until_queue_empty()
        page_fetches = catalogue.server.count("GET", CATALOGUE_PATH) - 1  # less the count call
        topics = stack.count_items(ORG, TOPIC_PREFIX_SK)
        remaining, dead = stack.queue_depth(), stack.queue_depth(dead_letters=True)
        logs = stack.worker_log_lines()

    assert (started["status"], started["totalPages"], started["pagesEnqueued"]) == ("started", PAGES, PAGES)
    assert run.status.value == "completed"
    assert (run.total_items, run.total_pages, run.processed_pages) == (ITEMS, PAGES, PAGES)
    assert (run.success_count, run.duplicate_count, run.error_count) == (
        expected["unique"],
        expected["duplicates"],
        expected["errors"],
    )
    assert run.success_count + run.duplicate_count + run.error_count == ITEMS
    assert topics == expected["unique"]
    assert page_fetches == PAGES
    assert (remaining, dead) == (0, 0)
    processed_by = [
        sorted(line["page"] for line in lines if line.get("message") == "Sync page processed") for lines in logs
    ]
    assert sorted(page for pages in processed_by for page in pages) == list(range(1, PAGES + 1))
    assert sum(1 for pages in processed_by if pages) >= 2, f"pages per worker: {processed_by}"
    completions = [line for lines in logs for line in lines if line.get("message") == "Sync run completed"]
    assert len(completions) == 1
