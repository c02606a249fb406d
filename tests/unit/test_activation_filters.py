"""The activation list's query string is validated without pydantic, with the query models' rules:
strings read as the values they spell, bounds, enum values, unknown parameters refused, every wrong
field named in ``details``."""

from __future__ import annotations

import pytest

from connections.domain.activation import ActivationStatus
from connections.domain.errors import InvalidInput
from connections.domain.list_filters import ActivationFilters


def test_values_are_read_from_their_strings() -> None:
    filters = ActivationFilters.from_query(
        {"connectionId": "conn_1", "status": "active", "stale": "False", "page": "3", "pageSize": "100", "cursor": "c"}
    )

    assert filters == ActivationFilters("conn_1", None, ActivationStatus.ACTIVE, False, 3, 100, "c")
    assert ActivationFilters.from_query(None) == ActivationFilters()
    assert ActivationFilters.from_query({"stale": "yes"}).stale is True
    assert ActivationFilters.from_query({"limit": "7"}).limit == 7
    # pageSize, the listing's former name of limit, is read as limit; limit wins when both are given.
    assert ActivationFilters.from_query({"pageSize": "7"}) == ActivationFilters(limit=7)
    assert ActivationFilters.from_query({"pageSize": "7", "limit": "9"}) == ActivationFilters(limit=9)


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"page": "0"}, ["page"]),
        ({"page": "100001"}, ["page"]),
        ({"page": "9" * 400}, ["page"]),
        ({"page": "1.5"}, ["page"]),
        ({"page": "+-2"}, ["page"]),
        ({"pageSize": "101"}, ["pageSize"]),
        ({"limit": "0"}, ["limit"]),
        ({"limit": "101"}, ["limit"]),
        ({"limit": "5", "pageSize": "0"}, ["pageSize"]),
        ({"status": "done"}, ["status"]),
        ({"stale": "maybe"}, ["stale"]),
        ({"connectionId": "c" * 65}, ["connectionId"]),
        ({"platform": "p" * 33}, ["platform"]),
        ({"cursor": ""}, ["cursor"]),
        ({"cursor": "c" * 513}, ["cursor"]),
        ({"sort": "name", "page": "x"}, ["page", "sort"]),
    ],
)
def test_a_wrong_value_is_a_400_naming_its_field(query: dict[str, str], fields: list[str]) -> None:
    with pytest.raises(InvalidInput) as refused:
        ActivationFilters.from_query(query)

    assert refused.value.message == "Invalid query parameters"
    assert sorted(problem.field for problem in refused.value.details) == fields
