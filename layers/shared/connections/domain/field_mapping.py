"""Reading external items: dotted paths (``data.segments``, ``results[0].items``) and the mapping of an
item's fields onto topic fields (``field_mappings``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jmespath
from jmespath.parser import ParsedResult

from connections.domain.outbound_errors import MalformedResponse

_SEGMENT = re.compile(r"^(?P<name>[^\[\]]+)(?P<indexes>(?:\[\d+\])*)$")

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
MAX_TEXT_LENGTH = 1000


@lru_cache(maxsize=256)
def _compiled(path: str) -> ParsedResult:
    # Quote every name so that keys with '-' or '$' read as plain keys, as users expect of dotted paths.
    parts = []
    for segment in path.split("."):
        match = _SEGMENT.match(segment)
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
    """The total item count at ``count_path``, or None when no count is configured."""
    if not count_path:
        return None
    value = read_path(document, count_path)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _not_found("count_path", count_path)
    try:
        return max(0, int(value))
    except ValueError:
        raise _not_found("count_path", count_path) from None


@dataclass
class MappedItem:
    """An external item as topic fields, with the reasons it cannot become a topic (if any)."""

    fields: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return not self.problems


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value[:MAX_TEXT_LENGTH] if value else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, list):
        cleaned = [str(part).strip() for part in value if isinstance(part, str | int | float) and str(part).strip()]
        return cleaned or None
    return None


def map_item(item: Any, field_mappings: Mapping[str, str] | None) -> MappedItem:
    """Map one external item onto topic fields; an item without a usable name gets a problem, not a crash."""
    mapped = MappedItem()
    if not isinstance(item, dict):
        mapped.problems.append("item is not a JSON object")
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
    name = mapped.fields.get("topic_name")
    if not isinstance(name, str) or not name:
        mapped.problems.append("item has no usable name (topic_name)")
    if "external_id" in mapped.fields:
        mapped.fields["external_id"] = str(mapped.fields["external_id"])
    if isinstance(mapped.fields.get("keywords"), str):
        mapped.fields["keywords"] = [part.strip() for part in mapped.fields["keywords"].split(",") if part.strip()]
    return mapped
