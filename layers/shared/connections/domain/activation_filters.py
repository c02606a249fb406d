"""The query string of GET /api/activations, validated without pydantic (the listing's init stays
light): the same rules and 400s as the other routes' query models, with a ``details`` entry per field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connections.domain.activation import ActivationStatus
from connections.domain.errors import FieldProblem, InvalidInput
from connections.domain.list_cursor import MAX_CURSOR_LENGTH

MAX_LIST_PAGE = 100_000  # as strict_body.MAX_LIST_PAGE, the other listings' bound
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50
MAX_FILTER_ID_LENGTH = 64
MAX_PLATFORM_LENGTH = 32
# The spellings pydantic reads as booleans in a query string (the other routes' rule).
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})
_NAMES = [f"'{status.value}'" for status in ActivationStatus]
_STATUS_CHOICES = ", ".join(_NAMES[:-1]) + " or " + _NAMES[-1]


@dataclass(frozen=True)
class ActivationFilters:
    connectionId: str | None = None
    platform: str | None = None
    status: ActivationStatus | None = None
    stale: bool | None = None
    page: int = 1
    pageSize: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None

    @classmethod
    def from_query(cls, parameters: Mapping[str, str] | None) -> ActivationFilters:
        """The filters of a query string; InvalidInput (400) naming every field that is wrong."""
        reader = _Reader(dict(parameters or {}))
        filters = cls(
            connectionId=reader.text("connectionId", MAX_FILTER_ID_LENGTH),
            platform=reader.text("platform", MAX_PLATFORM_LENGTH),
            status=reader.status("status"),
            stale=reader.boolean("stale"),
            page=reader.integer("page", 1, MAX_LIST_PAGE, 1),
            pageSize=reader.integer("pageSize", 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
            cursor=reader.text("cursor", MAX_CURSOR_LENGTH, min_length=1),
        )
        reader.refuse_unknown()
        if reader.problems:
            raise InvalidInput("Invalid query parameters", reader.problems)
        return filters


class _Reader:
    def __init__(self, parameters: dict[str, str]) -> None:
        self._parameters = parameters
        self._read: set[str] = set()
        self.problems: list[FieldProblem] = []

    def _take(self, name: str) -> str | None:
        self._read.add(name)
        return self._parameters.get(name)

    def _problem(self, name: str, message: str) -> None:
        self.problems.append(FieldProblem(name, message))

    def text(self, name: str, max_length: int, min_length: int = 0) -> str | None:
        value = self._take(name)
        if value is None:
            return None
        if len(value) > max_length:
            self._problem(name, f"String should have at most {max_length} characters")
            return None
        if len(value) < min_length:
            self._problem(name, f"String should have at least {min_length} character")
            return None
        return value

    def integer(self, name: str, low: int, high: int, default: int) -> int:
        value = self._take(name)
        if value is None:
            return default
        text = value.strip()
        # Digits only (a sign at most), and short: int() of a 5,000-digit string is itself work.
        digits = text[1:] if text[:1] in ("+", "-") else text
        if not digits.isdigit() or not digits.isascii() or len(text) > 20:
            self._problem(name, "Input should be a valid integer, unable to parse string as an integer")
            return default
        number = int(text)
        if number < low:
            self._problem(name, f"Input should be greater than or equal to {low}")
        elif number > high:
            self._problem(name, f"Input should be less than or equal to {high}")
        else:
            return number
        return default

    def boolean(self, name: str) -> bool | None:
        value = self._take(name)
        if value is None:
            return None
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        self._problem(name, "Input should be a valid boolean, unable to interpret input")
        return None

    def status(self, name: str) -> ActivationStatus | None:
        value = self._take(name)
        if value is None:
            return None
        try:
            return ActivationStatus(value)
        except ValueError:
            self._problem(name, f"Input should be {_STATUS_CHOICES}")
            return None

    def refuse_unknown(self) -> None:
        for name in self._parameters:
            if name not in self._read:
                self._problem(name, "unknown field")
