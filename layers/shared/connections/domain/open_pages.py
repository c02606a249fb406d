"""The pages of a sync run still to process, found without reading every page record of the run.

A run keeps a low-water mark, ``first_open_page``: every page below it is done. The walk reads page
records from the mark upwards, a window at a time, and yields the pages without a record or not
done; when the pages just above the mark turn out done, the mark is raised (a conditional write that
only ever raises it). So a call reads the records of pages in flight or done out of order above the
mark, not the run's whole history: for pages taken in order, a window's worth at most.
"""

from __future__ import annotations

from collections.abc import Iterator

from connections.domain.sync_run import SyncRun
from connections.ports.sync_run_repository import PageState, SyncRunRepository

# Page records read per query.
PAGE_WINDOW = 50


def unfinished_pages(runs: SyncRunRepository, run: SyncRun, now: float | None = None) -> Iterator[int]:
    """Pages not done, lowest first (with ``now``: not leased at ``now`` either). Without a total, the
    pages end one past the last page with a record."""
    number = run.first_open_page
    mark: int | None = run.first_open_page  # None once a page at or above the mark is not done
    more = True
    while more:
        records = runs.pages_from(run.org_id, run.id, number, PAGE_WINDOW)
        more = len(records) == PAGE_WINDOW
        for record in records:
            if run.total_pages is not None and record.page > run.total_pages:
                more = False
                break
            if mark is not None and (record.page > number or record.state is not PageState.DONE):
                _raise_mark(runs, run, mark)
                mark = None
            yield from range(number, record.page)  # no record yet: never claimed
            if record.state is not PageState.DONE and (now is None or record.lease_expires <= now):
                yield record.page
            if mark is not None:
                mark = record.page + 1
            number = record.page + 1
    _raise_mark(runs, run, mark)
    last = run.total_pages if run.total_pages is not None else number
    yield from range(number, last + 1)


def _raise_mark(runs: SyncRunRepository, run: SyncRun, mark: int | None) -> None:
    if mark is not None and mark > run.first_open_page:
        runs.raise_open_mark(run, mark)
