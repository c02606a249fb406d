"""GET /api/activations reads a page, not every activation: items read stay at the page plus a few per
shard on a few thousand activations, with every filter; cursors walk a listing exactly once, newest
first; a cursor of another listing is a 400; and a push batch finds its candidates, and a sync page
call its next page, without reading the whole connection or run."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from connections.adapters.dynamodb.item_codec import to_item
from connections.adapters.dynamodb.keys import ACTIVATION_SHARDS, sync_page_key, sync_run_key
from connections.adapters.dynamodb.push_repository import DynamoPushRepository
from connections.adapters.dynamodb.sync_run_repository import DynamoSyncRunRepository
from connections.adapters.dynamodb.table_client import batch_put
from connections.domain.activation import ActivationStatus, PushRun
from connections.domain.activation_list import FILTER_BUDGET
from connections.domain.open_pages import unfinished_pages
from connections.domain.sync_run import RunStatus
from connections.ports.sync_run_repository import PageState
from local.provision import LocalResources
from tests.integration.conftest import ApiClient
from tests.support.activation_seed import seed_activations
from tests.support.dynamodb_usage import dynamodb_usage
from tests.support.link_pages import next_cursor, next_query

ORG = "org_a"  # the organisation of the ``api`` fixture's session
LIBRARY = 2000
# The merge reads each shard's share of the page plus a margin, and one Query may read a little over.
SHARD_MARGIN = 4 * ACTIVATION_SHARDS


def items_read(aws: LocalResources, api: ApiClient, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """Items read by one listing request, and its rows and next cursor (from the Link header)."""
    with dynamodb_usage(aws.table_name) as usage:
        response = api.get("/api/activations", query=query)
    assert response.status == 200, response.text
    # Every read is counted, the organisation's connections and the page's topics included.
    return usage.items_read, {"activations": response.json(), "nextCursor": next_cursor(response.headers)}


@pytest.fixture
def library(aws: LocalResources) -> list[Any]:
    return seed_activations(boto3.client("dynamodb"), aws.table_name, ORG, LIBRARY)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"connectionId": "conn_a"},
        {"status": "pending"},
        {"status": "active"},
    ],
)
def test_indexed_listings_read_about_their_page(
    aws: LocalResources, api: ApiClient, library: list[Any], query: dict[str, str]
) -> None:
    page_size = 50
    first_read, first = items_read(aws, api, query | {"limit": str(page_size)})
    second_read, second = items_read(aws, api, query | {"limit": str(page_size), "cursor": first["nextCursor"]})

    assert len(first["activations"]) == len(second["activations"]) == page_size
    # The page's index entries, read a share per shard and a little more where the shards are uneven
    # (as the topic listing's bound), and their topics (none of these exist, so none are returned).
    assert max(first_read, second_read) <= 2 * page_size + SHARD_MARGIN
    ids = [row["id"] for row in first["activations"] + second["activations"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 2 * page_size
    expected = [
        activation.id
        for activation in library
        if ("connectionId" not in query or activation.connection_id == query["connectionId"])
        and ("status" not in query or activation.status.value == query["status"])
    ]
    assert ids == sorted(expected, reverse=True)[: 2 * page_size]


@pytest.mark.parametrize(
    "query",
    [{"stale": "true"}, {"stale": "false"}, {"platform": "nowhere"}, {"connectionId": "conn_b", "status": "error"}],
)
def test_bounded_filters_examine_at_most_their_budget(
    aws: LocalResources, api: ApiClient, library: list[Any], query: dict[str, str]
) -> None:
    read, page = items_read(aws, api, query | {"limit": "100"})

    # The budget of index entries examined, and the topics of what was examined (stale reads them).
    assert read <= 2 * (FILTER_BUDGET + SHARD_MARGIN)
    if query.get("platform") == "nowhere":
        assert page["activations"] == [] and page["nextCursor"] is not None
    elif "stale" in query:
        # Stale ones are the pushed ones (their topics do not exist), current ones the others.
        assert {row["stale"] for row in page["activations"]} == {query["stale"] == "true"}
        assert page["nextCursor"] is not None
    else:
        assert {(row["connectionId"], row["status"]) for row in page["activations"]} == {("conn_b", "error")}


def test_the_link_header_walks_a_filtered_listing_once(aws: LocalResources, api: ApiClient) -> None:
    library = seed_activations(boto3.client("dynamodb"), aws.table_name, ORG, 400)
    seen: list[str] = []
    query: dict[str, str] | None = {"stale": "false", "limit": "30"}
    links: list[dict[str, str]] = []
    for _ in range(50):
        assert query is not None
        response = api.get("/api/activations", query=query)
        seen += [row["id"] for row in response.json()]
        query = next_query(response.headers)
        if query is None:
            break
        links.append(query)

    expected = [activation.id for activation in library if activation.pushed_name is None]
    assert seen == sorted(expected, reverse=True)
    # Each next URL is the request's own query with the cursor it goes on from.
    assert links and all(set(link) == {"stale", "limit", "cursor"} for link in links)
    assert all((link["stale"], link["limit"]) == ("false", "30") for link in links)


def test_the_next_link_keeps_the_path_and_filters_and_drops_the_page_number(api: ApiClient, library: list[Any]) -> None:
    response = api.get("/api/activations", query={"page": "2", "limit": "10", "status": "active"})

    link = response.headers["link"]
    assert link.startswith("</api/activations?") and link.endswith('>; rel="next"')
    following = next_query(response.headers)
    assert following is not None and set(following) == {"limit", "status", "cursor"}
    rest = api.get("/api/activations", query=following).json()
    ids = [row["id"] for row in response.json() + rest]
    active = sorted((a.id for a in library if a.status is ActivationStatus.ACTIVE), reverse=True)
    assert ids == active[10:30]


def test_the_last_page_has_no_link_and_pagesize_is_read_as_limit(aws: LocalResources, api: ApiClient) -> None:
    library = seed_activations(boto3.client("dynamodb"), aws.table_name, ORG, 12)

    by_limit = api.get("/api/activations", query={"limit": "12"})
    by_page_size = api.get("/api/activations", query={"pageSize": "5"})
    both = api.get("/api/activations", query={"pageSize": "5", "limit": "6"})

    assert [row["id"] for row in by_limit.json()] == sorted((a.id for a in library), reverse=True)
    assert "link" not in by_limit.headers
    assert len(by_page_size.json()) == 5 and "link" in by_page_size.headers
    assert len(both.json()) == 6  # limit, the published name, wins
    default = api.get("/api/activations").json()
    assert isinstance(default, list) and len(default) == 12


def test_page_numbers_reach_a_bounded_offset_and_cursors_stay_with_their_listing(
    aws: LocalResources, api: ApiClient, library: list[Any]
) -> None:
    second = api.get("/api/activations", query={"page": "2", "pageSize": "10"}).json()
    assert [row["id"] for row in second] == sorted(a.id for a in library)[::-1][10:20]

    cursor = next_cursor(api.get("/api/activations", query={"status": "active"}).headers)
    assert cursor is not None
    for query, field in [
        ({"status": "error", "cursor": cursor}, "cursor"),
        ({"cursor": cursor[:-3]}, "cursor"),
        ({"page": "30", "pageSize": "50"}, "page"),
        ({"page": "2", "stale": "true"}, "page"),
        ({"page": "2", "status": "active", "cursor": cursor}, "page"),
        ({"stale": "maybe"}, "stale"),
        ({"pageSize": "0"}, "pageSize"),
        ({"limit": "101"}, "limit"),
        ({"sort": "name"}, "sort"),
    ]:
        response = api.get("/api/activations", query=query)
        assert response.status == 400, query
        assert field in {detail["field"] for detail in response.json()["details"]}, query


def test_a_push_batch_reads_its_candidates_not_the_connection(aws: LocalResources, library: list[Any]) -> None:
    repository = DynamoPushRepository(aws.table_name, boto3.client("dynamodb"))
    run_id = library[0].run_id
    run = PushRun(run_id, ORG, "conn_a", RunStatus.RUNNING, 150, "2026-03-01T10:00:00.000Z", "now")

    with dynamodb_usage(aws.table_name) as usage:
        batch = repository.pending_for_run(run, 25, 0.0)

    assert len(batch) == 25
    assert {(a.connection_id, a.status) for a in batch} == {("conn_a", ActivationStatus.PENDING)}
    # The connection has 1,000 activations; the run's pending ones are read, up to the batch.
    assert usage.items_read <= 25 + ACTIVATION_SHARDS


def test_the_next_sync_page_is_found_from_the_low_water_mark(aws: LocalResources) -> None:
    client = boto3.client("dynamodb")
    runs = DynamoSyncRunRepository(aws.table_name, client)
    run_id, done = "run_01KJA3VF80DCCVQYCP1GDKMM02", 300
    client.put_item(
        TableName=aws.table_name,
        Item=sync_run_key(ORG, run_id)
        | to_item(
            {
                "id": run_id,
                "orgId": ORG,
                "connectionId": "conn_a",
                "status": "running",
                "pageSize": 100,
                "totalPages": 400,
                "startedAt": "2026-03-01T10:00:00.000Z",
                "updatedAt": "2026-03-01T10:00:00.000Z",
            }
        ),
    )
    records = [
        sync_page_key(ORG, run_id, page) | to_item({"page": page, "state": PageState.DONE.value})
        for page in range(1, done + 1)
    ]
    batch_put(client, aws.table_name, records)

    def next_open() -> tuple[int, int]:
        run = runs.get(ORG, run_id)
        assert run is not None
        with dynamodb_usage(aws.table_name) as usage:
            page = next(unfinished_pages(runs, run, now=0.0))
        return page, usage.items_read

    first, first_read = next_open()
    second, second_read = next_open()

    assert first == second == done + 1
    assert first_read >= done  # the first walk reads the done pages once, and raises the mark past them
    assert second_read <= 2  # then it starts at the mark: the run item and no page record
    stored = runs.get(ORG, run_id)
    assert stored is not None and stored.first_open_page == done + 1
