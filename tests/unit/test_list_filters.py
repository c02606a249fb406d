"""The list query parameters of GET /api/connections and GET /api/topics: parsed values, and the same
400s with the same ``details`` the pydantic models gave before (the messages below are theirs)."""

from __future__ import annotations

from typing import Any

import pytest

from connections.domain.errors import InvalidInput
from connections.domain.list_filters import TOPIC_QUERY_BOUNDS, ConnectionFilters, TopicFilters
from connections.domain.platforms import Direction, Platform
from connections.domain.topic import TopicSource

NOT_AN_INTEGER = "Input should be a valid integer, unable to parse string as an integer"
DIRECTIONS = "Input should be 'inbound', 'outbound' or 'bidirectional'"
PLATFORMS = "Input should be 'liveramp', 'tradedesk', 'indexexchange' or 'custom_api'"
# Non-ASCII digits (fullwidth, Arabic-Indic) too: Python's int() would take them.
NOT_INTEGERS = ("abc", "2.5", "2.", "", " ", "1e2", "+-1", "1__0", "_1", ".5", "2 3", "0x10", "\uff11\uff12", "\u0663")


def problems(parse: Any, query: dict[str, str]) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as refused:
        parse(query)
    assert refused.value.message == "Invalid query parameters"
    return [(problem.field, problem.message) for problem in refused.value.details]


def test_connection_filters_read_exact_enum_values() -> None:
    assert ConnectionFilters.from_query(None) == ConnectionFilters()
    assert ConnectionFilters.from_query({"direction": "inbound", "platform": "liveramp"}) == ConnectionFilters(
        Direction.INBOUND, Platform.LIVERAMP
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"direction": "sideways"}, [("direction", DIRECTIONS)]),
        ({"direction": "Inbound"}, [("direction", DIRECTIONS)]),
        ({"platform": "facebook"}, [("platform", PLATFORMS)]),
        ({"direction": "", "platform": ""}, [("direction", DIRECTIONS), ("platform", PLATFORMS)]),
        ({"sort": "name"}, [("sort", "unknown field")]),
        # Fields in the model's order, unknown parameters after them in the query's order.
        (
            {"sort": "x", "direction": "bad", "a": "b"},
            [("direction", DIRECTIONS), ("sort", "unknown field"), ("a", "unknown field")],
        ),
    ],
)
def test_connection_filters_refuse_as_before(query: dict[str, str], expected: list[tuple[str, str]]) -> None:
    assert problems(ConnectionFilters.from_query, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, TopicFilters()),
        ({"source": "manual"}, TopicFilters(source=TopicSource.MANUAL)),
        ({"page": "2", "pageSize": "100"}, TopicFilters(page=2, pageSize=100)),
        ({"page": " 3 "}, TopicFilters(page=3)),
        ({"page": "+3"}, TopicFilters(page=3)),
        ({"page": "1_000"}, TopicFilters(page=1000)),
        ({"page": "3.00"}, TopicFilters(page=3)),
        ({"page": "00012"}, TopicFilters(page=12)),
        ({"page": "\t4\n"}, TopicFilters(page=4)),
        ({"search": "  golf  "}, TopicFilters(search="golf")),
        ({"search": "  "}, TopicFilters(search="")),
        ({"iabCode": "483", "connectionId": "conn_1"}, TopicFilters(iabCode="483", connectionId="conn_1")),
        ({"iabCode": ""}, TopicFilters(iabCode="")),
        ({"cursor": "   "}, TopicFilters(cursor="   ")),
    ],
)
def test_topic_filters_read_what_pydantic_read(query: dict[str, str], expected: TopicFilters) -> None:
    assert TopicFilters.from_query(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"source": "x"}, [("source", "Input should be 'sync' or 'manual'")]),
        ({"page": "0"}, [("page", "Input should be greater than or equal to 1")]),
        ({"page": "-0"}, [("page", "Input should be greater than or equal to 1")]),
        ({"page": "0.0"}, [("page", "Input should be greater than or equal to 1")]),
        ({"page": "100001"}, [("page", "Input should be less than or equal to 100000")]),
        ({"page": "9" * 30}, [("page", "Input should be less than or equal to 100000")]),
        *(({"page": text}, [("page", NOT_AN_INTEGER)]) for text in NOT_INTEGERS),
        ({"pageSize": "0"}, [("pageSize", "Input should be greater than or equal to 1")]),
        ({"pageSize": "101"}, [("pageSize", "Input should be less than or equal to 100")]),
        ({"search": "x" * 201}, [("search", "String should have at most 200 characters")]),
        ({"cursor": ""}, [("cursor", "String should have at least 1 character")]),
        ({"cursor": "a" * 513}, [("cursor", "String should have at most 512 characters")]),
        ({"connectionId": "c" * 65}, [("connectionId", "String should have at most 64 characters")]),
        ({"foo": "bar"}, [("foo", "unknown field")]),
        (
            {"foo": "x", "pageSize": "0", "page": "0"},
            [
                ("page", "Input should be greater than or equal to 1"),
                ("pageSize", "Input should be greater than or equal to 1"),
                ("foo", "unknown field"),
            ],
        ),
    ],
)
def test_topic_filters_refuse_as_before(query: dict[str, str], expected: list[tuple[str, str]]) -> None:
    assert problems(TopicFilters.from_query, query) == expected


@pytest.mark.parametrize("name", sorted(TOPIC_QUERY_BOUNDS))
def test_the_topic_bounds_openapi_is_checked_against_are_the_ones_enforced(name: str) -> None:
    bounds = TOPIC_QUERY_BOUNDS[name]
    if "maximum" in bounds:
        assert TopicFilters.from_query({name: str(bounds["maximum"])})
        assert problems(TopicFilters.from_query, {name: str(bounds["maximum"] + 1)})[0][0] == name
        assert problems(TopicFilters.from_query, {name: str(bounds["minimum"] - 1)})[0][0] == name
    if "maxLength" in bounds:
        assert TopicFilters.from_query({name: "x" * bounds["maxLength"]})
        assert problems(TopicFilters.from_query, {name: "x" * (bounds["maxLength"] + 1)})[0][0] == name
    if bounds.get("minLength"):
        assert problems(TopicFilters.from_query, {name: ""})[0][0] == name
