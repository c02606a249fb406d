"""How an external item becomes topic fields: dotted paths into a response, the default field names,
explicit ``field_mappings``, and which values count (the caps are in test_field_mapping.py)."""

from __future__ import annotations

from typing import Any

import pytest

from connections.domain.field_mapping import count_at, items_at, map_item, read_path
from connections.domain.outbound_errors import MalformedResponse

RESPONSE = {"data": {"segments": [{"id": 1}, {"id": 2}], "meta": {"total-count": 2}}, "results": [{"items": ["x"]}]}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("data.segments", [{"id": 1}, {"id": 2}]),
        ("data.segments[1].id", 2),
        ("results[0].items", ["x"]),
        ("data.meta.total-count", 2),  # a name with "-" is a plain key, not an expression
        ("data.missing.deeper", None),
        ("data.segments[5]", None),
    ],
)
def test_dotted_paths_read_values_or_none(path: str, expected: Any) -> None:
    assert read_path(RESPONSE, path) == expected


def test_items_are_found_at_items_path_or_are_the_document() -> None:
    assert items_at(RESPONSE, "data.segments") == [{"id": 1}, {"id": 2}]
    assert items_at([{"id": 1}], None) == [{"id": 1}]
    with pytest.raises(MalformedResponse, match=r"items_path 'data\.nothing' not found"):
        items_at(RESPONSE, "data.nothing")
    with pytest.raises(MalformedResponse, match="set items_path"):
        items_at(RESPONSE, None)


def test_a_count_is_read_only_when_configured() -> None:
    assert count_at(RESPONSE, None) is None
    assert count_at(RESPONSE, "data.meta.total-count") == 2
    with pytest.raises(MalformedResponse, match=r"count_path 'data\.count' not found"):
        count_at(RESPONSE, "data.count")


def test_default_names_are_tried_in_order() -> None:
    item = {"title": "Second choice", "segment_name": "First choice", "segmentId": "s-1", "tags": "a, b", "reach": 10}

    fields = map_item(item, None).fields

    assert fields == {
        "topic_name": "First choice",
        "external_id": "s-1",
        "keywords": ["a", "b"],
        "audience_size": 10,
    }


def test_blank_text_booleans_and_objects_do_not_count_as_values() -> None:
    item = {"name": "   ", "title": "Golf Fans", "id": True, "segmentId": 42, "description": {"text": "no"}}

    mapped = map_item(item, None)

    assert mapped.usable
    assert mapped.fields == {"topic_name": "Golf Fans", "external_id": "42"}  # ids are text


def test_explicit_mappings_read_paths_and_the_first_one_for_a_field_wins() -> None:
    item = {"segment": {"label": "Golf Fans", "ids": ["g-1"]}, "name": "ignored", "about": "Players"}
    mappings = {"segment.label": "topic_name", "name": "topic_name", "segment.ids[0]": "external_id"}

    fields = map_item(item, mappings | {"about": "description"}).fields

    assert fields == {"topic_name": "Golf Fans", "external_id": "g-1", "description": "Players"}


def test_explicit_mappings_replace_the_defaults() -> None:
    mapped = map_item({"name": "Golf Fans", "label": "Golfers"}, {"label": "description"})

    assert mapped.problems == ["item has no usable name (topic_name)"]
    assert mapped.fields == {"description": "Golfers"}


@pytest.mark.parametrize("item", [["a list"], "text", 7, None])
def test_an_item_that_is_not_an_object_is_a_problem(item: Any) -> None:
    mapped = map_item(item, None)

    assert (mapped.usable, mapped.problems, mapped.fields) == (False, ["item is not a JSON object"], {})
