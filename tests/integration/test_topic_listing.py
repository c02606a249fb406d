"""GET /api/topics reads a page, not the library: items read stay at the page plus a few per shard
however large the library, cursors walk every topic exactly once, and every cursor that is not this
listing's own is a 400."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from connections.adapters.dynamodb.keys import TOPIC_SHARDS
from connections.adapters.dynamodb.topic_listing import FILTER_BUDGET
from local.api_gateway import ApiGateway
from local.dev_keys import SigningKey
from local.provision import LocalResources
from tests.integration.conftest import ApiClient
from tests.support.dynamodb_usage import dynamodb_usage
from tests.support.topic_library_seed import seed_library

ORG = "org_a"  # the organisation of the ``api`` fixture's session


def seeded(aws: LocalResources, count: int, org_id: str = ORG) -> list[str]:
    return seed_library(boto3.client("dynamodb"), aws.table_name, org_id, count, ("conn_a", "conn_b"))


def walk(api: ApiClient, query: dict[str, str]) -> tuple[list[str], int]:
    """Every topic id of a listing, following nextCursor; and the number of requests."""
    ids: list[str] = []
    cursor, requests = None, 0
    while True:
        page = api.get("/api/topics", query=query | ({"cursor": cursor} if cursor else {})).json()
        requests += 1
        ids.extend(topic["id"] for topic in page["topics"])
        cursor = page["nextCursor"]
        if cursor is None:
            return ids, requests


def items_read(aws: LocalResources, api: ApiClient, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
    with dynamodb_usage(aws.table_name) as usage:
        response = api.get("/api/topics", query=query)
    assert response.status == 200, response.text
    return usage.items_read, response.json()


@pytest.mark.parametrize("page_size", [25, 100])
def test_a_page_reads_its_page_and_a_few_items_per_shard_on_a_large_library(
    aws: LocalResources, api: ApiClient, page_size: int
) -> None:
    seeded(aws, 2000)
    # The merge reads a share of the page from each shard plus a margin, and the shards' counts.
    bound = 2 * page_size + 4 * TOPIC_SHARDS

    first_read, first = items_read(aws, api, {"pageSize": str(page_size)})
    second_read, second = items_read(aws, api, {"pageSize": str(page_size), "cursor": first["nextCursor"]})
    by_connection_read, by_connection = items_read(aws, api, {"pageSize": str(page_size), "connectionId": "conn_a"})

    assert first["total"] == 2000
    assert len(first["topics"]) == len(second["topics"]) == len(by_connection["topics"]) == page_size
    assert max(first_read, second_read) <= bound
    # Through the GSI: its entries, then the page's topics from the table.
    assert by_connection_read <= bound + page_size
    # Page numbers read what they skip, and reach no further than MAX_TOPIC_OFFSET.
    numbered_read, numbered = items_read(aws, api, {"pageSize": str(page_size), "page": "3"})
    assert numbered_read <= 3 * page_size + bound
    assert [topic["id"] for topic in numbered["topics"]][:1] != [topic["id"] for topic in first["topics"]][:1]


def test_filters_without_an_index_examine_a_bounded_number_of_topics(aws: LocalResources, api: ApiClient) -> None:
    seeded(aws, 2000)

    read, page = items_read(aws, api, {"search": "no such audience"})

    assert page["topics"] == [] and page["nextCursor"] is not None and "total" not in page
    assert read <= FILTER_BUDGET + 4 * TOPIC_SHARDS


def test_cursors_walk_every_topic_once_newest_first(aws: LocalResources, api: ApiClient) -> None:
    ids = seeded(aws, 300)
    connection_a = [topic_id for number, topic_id in enumerate(ids) if number % 10 != 9 and number % 2 == 0]
    golf = [topic_id for number, topic_id in enumerate(ids) if number % 10 == 1]
    manual = [topic_id for number, topic_id in enumerate(ids) if number % 10 == 9]

    assert walk(api, {"pageSize": "37"})[0] == ids[::-1]
    assert walk(api, {"pageSize": "100", "connectionId": "conn_a"})[0] == connection_a[::-1]
    assert walk(api, {"pageSize": "100", "search": "GOLF"})[0] == golf[::-1]
    assert walk(api, {"pageSize": "30", "source": "manual"})[0] == manual[::-1]
    numbered = [api.get("/api/topics", query={"pageSize": "50", "page": str(n)}).json() for n in (1, 2)]
    assert [topic["id"] for page in numbered for topic in page["topics"]] == ids[::-1][:100]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"cursor": "not a cursor"}, "cursor"),
        ({"cursor": "eyJwIjoxfQ"}, "cursor"),  # base64url of JSON, but not a cursor
        ({"cursor": "x" * 513}, "cursor"),
        ({"search": "golf", "page": "2"}, "page"),
        ({"page": "42", "pageSize": "25"}, "page"),  # beyond the first 1,000 topics
    ],
)
def test_bad_paging_parameters_are_a_400(
    aws: LocalResources, api: ApiClient, query: dict[str, str], field: str
) -> None:
    response = api.get("/api/topics", query=query)

    assert response.status == 400
    assert field in [problem["field"] for problem in response.json()["details"]]


def test_a_cursor_works_only_for_its_own_listing(
    aws: LocalResources, api: ApiClient, gateway: ApiGateway, token_issuer: SigningKey
) -> None:
    seeded(aws, 60)
    seeded(aws, 60, org_id="org_b")
    cursor = api.get("/api/topics", query={"pageSize": "10", "connectionId": "conn_a"}).json()["nextCursor"]
    tampered = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]

    other_filter = api.get("/api/topics", query={"cursor": cursor})
    edited = api.get("/api/topics", query={"cursor": tampered, "connectionId": "conn_a"})
    org_b = ApiClient(gateway, token_issuer.token("org_b"))
    other_org = org_b.get("/api/topics", query={"cursor": cursor, "connectionId": "conn_a"})
    with_page = api.get("/api/topics", query={"cursor": cursor, "connectionId": "conn_a", "page": "2"})
    same = api.get("/api/topics", query={"cursor": cursor, "connectionId": "conn_a"})

    assert [r.status for r in (other_filter, edited, other_org, with_page)] == [400] * 4
    assert all(set(r.json()) == {"error", "details"} for r in (other_filter, edited, other_org, with_page))
    assert same.status == 200 and len(same.json()["topics"]) == 30 - 10  # conn_a has 30 topics
