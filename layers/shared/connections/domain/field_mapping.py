"""Reading external items: dotted paths (``data.segments``, ``results[0].items``) and the mapping of an
item's fields onto topic fields (``field_mappings``)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jmespath
from jmespath.parser import ParsedResult

from connections.domain.currencies import MAX_CPM
from connections.domain.outbound_errors import MalformedResponse
from connections.domain.storage_limits import number_fits, text_bytes
from connections.domain.topic import (
    MAX_AUDIENCE_SIZE,
    MAX_KEYWORD_LENGTH,
    MAX_KEYWORDS,
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
)

# The whole segment (fullmatch: "$" would also end before a trailing newline) with ASCII indexes ("\d" is
# any script's digit, which jmespath then fails on); connection_config validates paths the same way.
_SEGMENT = re.compile(r"(?P<name>[^\[\]]+)(?P<indexes>(?:\[[0-9]+\])*)")

# Used when a connection has no field_mappings: the usual names data sellers give these fields.
DEFAULT_MAPPINGS: Mapping[str, tuple[str, ...]] = {
    "topic_name": ("name", "segment_name", "segmentName", "title", "label", "Name", "DisplayName", "displayName"),
    "external_id": (
        "id",
        "segment_id",
        "segmentId",
        "external_id",
        "externalId",
        "ID",
        "Id",
        "ProviderElementId",
        "SegmentId",
    ),
    "description": ("description", "desc", "Description"),
    "keywords": ("keywords", "tags"),
    "category": ("category", "Category"),
    "taxonomy_path": ("taxonomy_path", "path", "full_path", "fullPath"),
    "audience_size": ("audience_size", "size", "reach", "audienceSize", "uniques"),
    "cpm": ("cpm", "CPM", "price"),
}
# Caps on what a platform's item may bring (DESIGN.md section 9), applied before classification so
# that no matching runs over more text than this, and sized like POST /api/topics accepts.
# Longer text and keywords are cut to the topic's bounds (topic.py), further keywords are dropped.
MAX_KEYWORDS_SOURCE_LENGTH = MAX_KEYWORDS * (MAX_KEYWORD_LENGTH + 1)  # a comma-separated keywords string
# An external id is part of a DynamoDB sort key (at most 1,024 bytes): it is never cut (two ids would
# become one), so a longer one makes the item an error.
MAX_EXTERNAL_ID_BYTES = 512
# Sizes and CPMs out of MAX_AUDIENCE_SIZE / MAX_CPM (those of POST /api/topics) are errors.
# An item nested deeper than DynamoDB stores (32 levels) is an error; a page deeper than
# MAX_DOCUMENT_DEPTH cannot be read at all (see OutboundResponse.json).
MAX_ITEM_DEPTH = 32
MAX_DOCUMENT_DEPTH = 100
# The most items a platform's count may announce: a run of more pages would not be workable.
MAX_TOTAL_ITEMS = 1_000_000
_TEXT_LIMITS = {"topic_name": MAX_NAME_LENGTH}


@lru_cache(maxsize=256)
def _compiled(path: str) -> ParsedResult:
    # Quote every name so that keys with '-' or '$' read as plain keys, as users expect of dotted paths.
    parts = []
    for segment in path.split("."):
        match = _SEGMENT.fullmatch(segment)
        if not match:
            raise ValueError(f"invalid path segment {segment!r}")
        name = match.group("name").replace("\\", "\\\\").replace('"', '\\"')
        parts.append(f'"{name}"{match.group("indexes")}')
    return jmespath.compile(".".join(parts))


def read_path(document: Any, path: str) -> Any:
    """The value at ``path`` in ``document``, or None when any step is missing."""
    return _compiled(path).search(document)


def _not_found(setting: str, path: str) -> MalformedResponse:
    return MalformedResponse(f"{setting} '{path}' not found in response")


def items_at(document: Any, items_path: str | None) -> list[Any]:
    """The list of items in a response page (the document itself when no items_path is set)."""
    items = read_path(document, items_path) if items_path else document
    if isinstance(items, list):
        return items
    if items_path:
        raise _not_found("items_path", items_path)
    raise MalformedResponse("Response is not a list of items; set items_path to the list's location")


def count_at(document: Any, count_path: str | None) -> int | None:
    """The total item count at ``count_path``, or None when no count is configured.

    A count that is not a whole number from 0 to MAX_TOTAL_ITEMS (``-1``, ``1e300``, ``"12.5"``) makes
    the page unreadable: a run sized from it could never finish, nor be stored.
    """
    if not count_path:
        return None
    value = read_path(document, count_path)
    if value is None:
        raise _not_found("count_path", count_path)
    count = _whole_number(value)
    if count is None or not 0 <= count <= MAX_TOTAL_ITEMS:
        raise MalformedResponse(
            f"count_path '{count_path}' is not an item count (a whole number from 0 to {MAX_TOTAL_ITEMS:,})"
        )
    return count


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        # ASCII digits only (int() also reads other scripts' digits), and short enough to mean a count.
        return int(text) if text.isascii() and text.isdigit() and len(text) <= 15 else None
    return None


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Whether JSON ``value`` nests lists/objects more than ``limit`` levels deep (``[]`` is one level).

    Iterative and linear in the number of values, so no depth of input can exhaust the stack.
    """
    if not isinstance(value, _CONTAINERS):
        return False
    # Only lists and objects go on the stack, and a list or object holding none (a thousand keywords) is
    # passed over after one look at the types it holds, taken in C.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            return True
        children = current.values() if isinstance(current, dict) else current
        if any(issubclass(kind, _CONTAINERS) for kind in set(map(type, children))):
            stack.extend([(child, depth + 1) for child in children if isinstance(child, _CONTAINERS)])
    return False


_CONTAINERS = (dict, list)


@dataclass
class MappedItem:
    """An external item as topic fields, with the reasons it cannot become a topic (if any)."""

    fields: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return not self.problems


def _clean(value: Any) -> Any:
    """A mapped value reduced to what a topic field can hold: trimmed text, a number or a list of at
    most MAX_KEYWORDS texts (each field's own cap is applied in ``_apply_caps``)."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, list):
        cleaned = []
        for part in value:
            if isinstance(part, str | int | float) and not isinstance(part, bool):
                text = _cut(str(part).strip(), MAX_KEYWORD_LENGTH)
                if text:
                    cleaned.append(text)
                    if len(cleaned) == MAX_KEYWORDS:
                        break
        return cleaned or None
    return None


def _cut(text: str, length: int) -> str:
    return text[:length].rstrip() if len(text) > length else text


def _keywords(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # a list is already capped by _clean; anything else is not keywords
    # Only the start of a long string is split: the rest could only hold keywords beyond the cap. The
    # parts are read until MAX_KEYWORDS are found ("1,1,1,..." splits into 2,525 parts, 50 of them read).
    keywords = []
    for part in value[:MAX_KEYWORDS_SOURCE_LENGTH].split(","):
        keyword = _cut(part.strip(), MAX_KEYWORD_LENGTH)
        if keyword:
            keywords.append(keyword)
            if len(keywords) == MAX_KEYWORDS:
                break
    return keywords


def _bounded_number(mapped: MappedItem, name: str, high: int) -> None:
    value = mapped.fields.get(name)
    if isinstance(value, int | float) and not (number_fits(value) and 0 <= value <= high):
        # Never stored: an Infinity, a 1e300 or a negative size is a mistake of the platform's, not a size.
        del mapped.fields[name]
        shown = str(value) if isinstance(value, float) or abs(value) < 10**20 else "a number of more than 20 digits"
        mapped.problems.append(f"{name} must be a number from 0 to {high:,} (got {shown})")


def _apply_caps(mapped: MappedItem) -> None:
    fields = mapped.fields
    for name, value in list(fields.items()):
        if name == "keywords":
            fields[name] = _keywords(value)
        elif isinstance(value, str) and name != "external_id":
            fields[name] = _cut(value, _TEXT_LIMITS.get(name, MAX_TEXT_LENGTH))
    if "external_id" in fields:
        external_id = str(fields["external_id"])
        if text_bytes(external_id) > MAX_EXTERNAL_ID_BYTES:
            del fields["external_id"]
            mapped.problems.append(
                f"external_id is {text_bytes(external_id):,} bytes long; at most {MAX_EXTERNAL_ID_BYTES} are allowed"
            )
        else:
            fields["external_id"] = external_id
    _bounded_number(mapped, "audience_size", MAX_AUDIENCE_SIZE)
    _bounded_number(mapped, "cpm", MAX_CPM)


def map_item(item: Any, field_mappings: Mapping[str, str] | None) -> MappedItem:
    """Map one external item onto topic fields, within the caps above.

    An item that cannot become a topic (no usable name, nested too deep, an external id too long, a
    size or CPM out of bounds) gets a problem, not a crash; over-long text is cut instead.
    """
    mapped = MappedItem()
    if not isinstance(item, dict):
        mapped.problems.append("item is not a JSON object")
        return mapped
    if nesting_exceeds(item, MAX_ITEM_DEPTH):
        mapped.problems.append(f"item is nested more than {MAX_ITEM_DEPTH} levels deep")
        return mapped
    if field_mappings:
        for source, target in field_mappings.items():
            value = _clean(read_path(item, source))
            if value is not None and target not in mapped.fields:
                mapped.fields[target] = value
    else:
        for target, candidates in DEFAULT_MAPPINGS.items():
            for candidate in candidates:
                value = _clean(item.get(candidate))
                if value is not None:
                    mapped.fields[target] = value
                    break
    _apply_caps(mapped)
    name = mapped.fields.get("topic_name")
    if not isinstance(name, str) or not name:
        mapped.problems.insert(0, "item has no usable name (topic_name)")
    return mapped
