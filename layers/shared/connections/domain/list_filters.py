"""The query parameters of GET /api/connections, GET /api/topics and GET /api/activations, validated
without pydantic.

A list function validates nothing but its query string, and pydantic costs it 90 to 110 ms of a cold
start (the import and the validator's build), more than the rest of its init. These checks answer what
the pydantic models did, to the message: the same 400 "Invalid query parameters" with one ``details``
entry per field, in field order, unknown parameters last ("unknown field"). Integers are read as
pydantic reads a string: blanks around, a sign, ``_`` between digits and a zero fraction allowed
(``" 3 "``, ``"+3"``, ``"1_000"``, ``"3.0"``); ``"2.5"``, ``"1e2"`` and non-ASCII digits are not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from connections.domain.activation import ActivationStatus
from connections.domain.errors import FieldProblem, InvalidInput
from connections.domain.list_cursor import MAX_CURSOR_LENGTH
from connections.domain.platforms import Direction, Platform
from connections.domain.topic import MAX_NAME_LENGTH, TopicSource

# A listing's page number: far past any library's or activation list's end, and small enough that
# the offset stays an int. Page sizes of the topic library.
MIN_LIST_PAGE = 1
MAX_LIST_PAGE = 100_000
MAX_TOPIC_PAGE_SIZE = 100
DEFAULT_TOPIC_PAGE_SIZE = 25
MAX_ACTIVATION_PAGE_SIZE = 100
DEFAULT_ACTIVATION_PAGE_SIZE = 50
# Ids a listing is filtered by.
MAX_FILTER_ID_LENGTH = 64
MAX_PLATFORM_LENGTH = 32

INVALID_QUERY = "Invalid query parameters"
_INTEGER = re.compile(r"[+-]?[0-9](?:_?[0-9])*(?:\.0+)?")

EnumT = TypeVar("EnumT", bound=StrEnum)


class _Problem(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _choice(kind: type[EnumT]) -> Callable[[str], EnumT]:
    values = [member.value for member in kind]
    allowed = ", ".join(f"'{value}'" for value in values[:-1]) + f" or '{values[-1]}'"

    def parse(text: str) -> EnumT:
        if text not in values:
            raise _Problem(f"Input should be {allowed}")
        return kind(text)

    return parse


def _integer(minimum: int, maximum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        stripped = text.strip()
        if not _INTEGER.fullmatch(stripped):
            raise _Problem("Input should be a valid integer, unable to parse string as an integer")
        value = int(stripped.split(".", 1)[0])
        if value < minimum:
            raise _Problem(f"Input should be greater than or equal to {minimum}")
        if value > maximum:
            raise _Problem(f"Input should be less than or equal to {maximum}")
        return value

    return parse


def _text(max_length: int, min_length: int = 0, strip: bool = False) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip() if strip else text
        if len(value) < min_length:
            plural = "" if min_length == 1 else "s"
            raise _Problem(f"String should have at least {min_length} character{plural}")
        if len(value) > max_length:
            raise _Problem(f"String should have at most {max_length} characters")
        return value

    return parse


# The spellings pydantic reads as booleans in a query string.
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


def _boolean(text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise _Problem("Input should be a valid boolean, unable to interpret input")


def _read(parameters: Mapping[str, str] | None, fields: Mapping[str, Callable[[str], Any]]) -> dict[str, Any]:
    """The given parameters parsed by their field's parser, or InvalidInput naming every bad one."""
    given = dict(parameters or {})
    values: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for name, parse in fields.items():
        if name not in given:
            continue
        try:
            values[name] = parse(given[name])
        except _Problem as problem:
            problems.append(FieldProblem(name, problem.message))
    problems.extend(FieldProblem(name, "unknown field") for name in given if name not in fields)
    if problems:
        raise InvalidInput(INVALID_QUERY, problems)
    return values


@dataclass(frozen=True)
class ConnectionFilters:
    """GET /api/connections?direction=&platform=: both optional, each an exact enum value."""

    direction: Direction | None = None
    platform: Platform | None = None

    @classmethod
    def from_query(cls, parameters: Mapping[str, str] | None) -> ConnectionFilters:
        return cls(**_read(parameters, _CONNECTION_FIELDS))


_CONNECTION_FIELDS: dict[str, Callable[[str], Any]] = {
    "direction": _choice(Direction),
    "platform": _choice(Platform),
}


@dataclass(frozen=True)
class TopicFilters:
    """GET /api/topics: the library's filters and its page (by number or by cursor). The names are
    the query parameters'."""

    source: TopicSource | None = None
    connectionId: str | None = None
    iabCode: str | None = None
    search: str | None = None
    page: int = 1
    pageSize: int = DEFAULT_TOPIC_PAGE_SIZE
    cursor: str | None = None

    @classmethod
    def from_query(cls, parameters: Mapping[str, str] | None) -> TopicFilters:
        return cls(**_read(parameters, _TOPIC_FIELDS))


_TOPIC_FIELDS: dict[str, Callable[[str], Any]] = {
    "source": _choice(TopicSource),
    "connectionId": _text(MAX_FILTER_ID_LENGTH),
    "iabCode": _text(MAX_FILTER_ID_LENGTH),
    "search": _text(MAX_NAME_LENGTH, strip=True),
    "page": _integer(MIN_LIST_PAGE, MAX_LIST_PAGE),
    "pageSize": _integer(1, MAX_TOPIC_PAGE_SIZE),
    "cursor": _text(MAX_CURSOR_LENGTH, min_length=1),
}

# The bounds openapi.yaml must state for each query parameter (tests/unit/test_openapi_bounds.py).
TOPIC_QUERY_BOUNDS: dict[str, dict[str, int]] = {
    "connectionId": {"maxLength": MAX_FILTER_ID_LENGTH},
    "iabCode": {"maxLength": MAX_FILTER_ID_LENGTH},
    "search": {"maxLength": MAX_NAME_LENGTH},
    "page": {"minimum": MIN_LIST_PAGE, "maximum": MAX_LIST_PAGE},
    "pageSize": {"minimum": 1, "maximum": MAX_TOPIC_PAGE_SIZE},
    "cursor": {"minLength": 1, "maxLength": MAX_CURSOR_LENGTH},
}


@dataclass(frozen=True)
class ActivationFilters:
    """GET /api/activations: what was pushed where, and the page: ``limit`` (``pageSize``, the name
    this listing used before it answered the published bare array, is read as the same parameter) and
    ``cursor`` (the Link header's), or a page number. With both, ``limit`` counts."""

    connectionId: str | None = None
    platform: str | None = None
    status: ActivationStatus | None = None
    stale: bool | None = None
    page: int = 1
    limit: int = DEFAULT_ACTIVATION_PAGE_SIZE
    cursor: str | None = None

    @classmethod
    def from_query(cls, parameters: Mapping[str, str] | None) -> ActivationFilters:
        values = _read(parameters, _ACTIVATION_FIELDS)
        page_size = values.pop("pageSize", None)
        if page_size is not None and "limit" not in values:  # limit, the published name, wins
            values["limit"] = page_size
        return cls(**values)


_ACTIVATION_FIELDS: dict[str, Callable[[str], Any]] = {
    "connectionId": _text(MAX_FILTER_ID_LENGTH),
    "platform": _text(MAX_PLATFORM_LENGTH),
    "status": _choice(ActivationStatus),
    "stale": _boolean,
    "page": _integer(MIN_LIST_PAGE, MAX_LIST_PAGE),
    "limit": _integer(1, MAX_ACTIVATION_PAGE_SIZE),
    "pageSize": _integer(1, MAX_ACTIVATION_PAGE_SIZE),
    "cursor": _text(MAX_CURSOR_LENGTH, min_length=1),
}
