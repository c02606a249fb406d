"""map_item's caps on what a platform's item may bring, and count_at's bounds on a reported total."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connections.domain import field_mapping
from connections.domain.field_mapping import (
    MAX_EXTERNAL_ID_BYTES,
    MAX_ITEM_DEPTH,
    MAX_KEYWORD_LENGTH,
    MAX_KEYWORDS,
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TOTAL_ITEMS,
    count_at,
    map_item,
    nesting_exceeds,
    read_path,
)
from connections.domain.outbound_errors import MalformedResponse
from connections.domain.storage_limits import MAX_ITEM_BYTES, text_bytes
from connections.domain.topic import TopicDraft


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


def test_text_fields_are_cut_to_their_caps() -> None:
    item = {
        "name": "N" * 5000,
        "description": "d" * 100_000,
        "category": "c" * 100_000,
        "taxonomy_path": "t > " * 30_000,
    }

    fields = map_item(item, None).fields

    assert len(fields["topic_name"]) == MAX_NAME_LENGTH
    assert len(fields["description"]) == MAX_TEXT_LENGTH
    assert len(fields["category"]) == MAX_TEXT_LENGTH
    assert len(fields["taxonomy_path"]) <= MAX_TEXT_LENGTH


def test_mapped_paths_are_cut_the_same_way() -> None:
    item = {"segment": {"title": "T" * 3000, "about": "a" * 3000}}

    mapped = map_item(item, {"segment.title": "topic_name", "segment.about": "description"})

    assert mapped.usable
    assert (len(mapped.fields["topic_name"]), len(mapped.fields["description"])) == (MAX_NAME_LENGTH, MAX_TEXT_LENGTH)


def test_a_keywords_list_is_capped_in_count_and_length() -> None:
    keywords = ["k" * 5000] + [f"word{number}" for number in range(100_000)]

    fields = map_item({"name": "Auto Intenders", "keywords": keywords}, None).fields

    assert len(fields["keywords"]) == MAX_KEYWORDS
    assert fields["keywords"][0] == "k" * MAX_KEYWORD_LENGTH
    assert fields["keywords"][1:3] == ["word0", "word1"]


def test_a_keywords_string_of_100_kb_is_split_only_up_to_the_cap() -> None:
    # The shape that made the classifier quadratic: one 100 KB value of digits and commas.
    fields = map_item({"name": "Company size", "keywords": "1," * 50_000 + "9" * 10_000}, None).fields

    assert fields["keywords"] == ["1"] * MAX_KEYWORDS


def test_a_keywords_string_is_read_only_until_the_cap_is_reached(monkeypatch: pytest.MonkeyPatch) -> None:
    cuts: list[str] = []
    real_cut = field_mapping._cut

    def counted_cut(text: str, length: int) -> str:
        cuts.append(text)
        return real_cut(text, length)

    monkeypatch.setattr(field_mapping, "_cut", counted_cut)

    fields = map_item({"name": "Company size", "keywords": "1," * 50_000}, None).fields

    assert fields["keywords"] == ["1"] * MAX_KEYWORDS
    assert len(cuts) <= MAX_KEYWORDS + 1  # the name's cut and one per keyword kept, not one per comma (2,525)


def test_a_keywords_string_with_long_parts_cuts_each_part() -> None:
    fields = map_item({"name": "Gamers", "tags": " " * 50_000 + "x" * 300 + ",  mobile ,,console"}, None).fields

    assert fields["keywords"] == ["x" * MAX_KEYWORD_LENGTH, "mobile", "console"]


def test_a_capped_item_fits_a_dynamodb_item() -> None:
    wide = "\U0001f600" * 100_000  # four UTF-8 bytes each
    item = {
        "name": wide,
        "id": "e" * MAX_EXTERNAL_ID_BYTES,
        "description": wide,
        "category": wide,
        "taxonomy_path": wide,
        "keywords": [wide] * 10_000,
    }

    mapped = map_item(item, None)
    draft = TopicDraft.from_fields(mapped.fields, None)

    assert mapped.usable
    assert draft.stored_bytes() < MAX_ITEM_BYTES // 4


def test_an_external_id_is_counted_in_utf8_bytes_and_never_cut() -> None:
    four_byte = "\U0001f600" * 400  # 400 characters, 1,600 bytes
    assert text_bytes(four_byte) == 1600

    mapped = map_item({"name": "Emoji fans", "id": four_byte}, None)

    assert not mapped.usable
    assert mapped.problems == [f"external_id is 1,600 bytes long; at most {MAX_EXTERNAL_ID_BYTES} are allowed"]
    assert "external_id" not in mapped.fields


def test_an_external_id_at_the_limit_is_kept_whole() -> None:
    external_id = "\u00e9" * (MAX_EXTERNAL_ID_BYTES // 2)  # two bytes each

    mapped = map_item({"name": "Accents", "id": external_id}, None)

    assert mapped.usable
    assert mapped.fields["external_id"] == external_id


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("size", float("inf"), "inf"),
        ("size", float("nan"), "nan"),
        ("size", 1e40, "1e+40"),
        ("size", 1e300, "1e+300"),
        ("size", -1, "-1"),
        ("size", 10**12 + 1, "1000000000001"),
        ("size", 10**40, "a number of more than 20 digits"),
        ("cpm", float("inf"), "inf"),
        ("cpm", 1e40, "1e+40"),
        ("cpm", 10_000.01, "10000.01"),
        ("cpm", -0.5, "-0.5"),
    ],
)
def test_sizes_and_cpms_out_of_bounds_are_item_problems(field: str, value: float, shown: str) -> None:
    mapped = map_item({"name": "Auto Intenders", field: value}, None)

    target = "audience_size" if field == "size" else "cpm"
    high = "1,000,000,000,000" if field == "size" else "10,000"
    assert mapped.problems == [f"{target} must be a number from 0 to {high} (got {shown})"]
    assert target not in mapped.fields


def test_sizes_and_cpms_within_bounds_are_kept() -> None:
    mapped = map_item({"name": "Auto Intenders", "size": 38_643_802, "cpm": 2.5}, None)

    assert mapped.usable
    assert (mapped.fields["audience_size"], mapped.fields["cpm"]) == (38_643_802, 2.5)


def test_an_item_nested_deeper_than_dynamodb_stores_is_a_problem() -> None:
    assert map_item({"name": "Fine", "extra": nested(MAX_ITEM_DEPTH - 1)}, None).usable

    mapped = map_item({"name": "Deep", "extra": nested(MAX_ITEM_DEPTH)}, None)

    assert mapped.problems == [f"item is nested more than {MAX_ITEM_DEPTH} levels deep"]


def test_nesting_is_measured_without_recursion() -> None:
    deep: Any = []
    for _ in range(100_000):  # far past any recursion limit
        deep = [deep]

    assert nesting_exceeds(deep, 50)
    assert not nesting_exceeds(deep, 100_001)
    assert not nesting_exceeds([[1], {"a": 1}], 2)
    assert nesting_exceeds([[1], {"a": []}], 2)


def test_nesting_finds_a_list_or_object_among_many_plain_values() -> None:
    class Mapping(dict):  # a subclass still counts as an object
        pass

    assert not nesting_exceeds(["golf"] * 1_000, 1)
    assert nesting_exceeds(["golf"] * 1_000 + [[]], 1)
    assert nesting_exceeds({"keywords": ["golf"] * 1_000, "extra": Mapping(a=[])}, 2)
    assert not nesting_exceeds({"keywords": ["golf"] * 1_000, "extra": Mapping(a=1)}, 2)


@pytest.mark.parametrize("count", [float("inf"), float("nan"), 1e300, -1, 10**400, MAX_TOTAL_ITEMS + 1, 12.5, "1e300"])
def test_a_count_that_is_not_an_item_count_cannot_be_read(count: Any) -> None:
    with pytest.raises(MalformedResponse, match=r"count_path 'data\.total' is not an item count"):
        count_at({"data": {"total": count}}, "data.total")


@pytest.mark.parametrize(("count", "expected"), [(0, 0), (1050, 1050), (1050.0, 1050), (" 42 ", 42)])
def test_a_count_within_bounds_is_read(count: Any, expected: int) -> None:
    assert count_at(json.loads(json.dumps({"total": count})), "total") == expected


@pytest.mark.parametrize(
    "path",
    ["data[\u0663]", "data[\uff13]", "data[1]\n", "items.data[1]\n"],
    ids=["arabic-indic-index", "fullwidth-index", "newline-after-index", "newline-at-end"],
)
def test_a_path_is_read_only_with_ascii_indexes_and_nothing_after_it(path: str) -> None:
    # Config validation refuses these first; the reader must not take them either: jmespath failed on the
    # other script's digit, and "data[1]\n" passed the segment check ("$" ends before a newline) and was
    # read as data[1].
    with pytest.raises(ValueError, match="invalid path segment"):
        read_path({"data": [1, 2], "items": []}, path)


def test_a_count_in_other_scripts_digits_is_refused() -> None:
    with pytest.raises(MalformedResponse):
        count_at({"total": "\u0663\u0663"}, "total")  # Arabic-Indic 33: int() would read it
