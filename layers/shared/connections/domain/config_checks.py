"""The checks config keys are declared with (``ConfigKey``), shared by connection_config.py and the
platform profiles (connections/profiles/), which declare the keys only their platform takes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from connections.domain.currencies import ISO_4217_CODES, MAX_CPM
from connections.domain.json_numbers import as_integer
from connections.domain.platforms import Platform
from connections.domain.storage_limits import number_fits

MAX_URL_LENGTH = 2048
MAX_MAPPINGS = 100
MAX_HEADERS = 20
MAX_HEADER_VALUE_LENGTH = 1024
# Dotted paths (items_path, count_path, field_mappings sources): characters, so at most 1 KB in UTF-8.
MAX_PATH_LENGTH = 256
MAX_NAME_LIST = 50

# Topic fields an inbound item can be mapped onto (``field_mappings`` values).
TOPIC_FIELDS = frozenset(
    {
        "topic_name",
        "external_id",
        "description",
        "keywords",
        "category",
        "subcategory",
        "taxonomy_path",
        "audience_size",
        "cpm",
        "currency",
        "data_provider",
        "country",
    }
)

# Header names that would carry a secret in plaintext config; secrets belong in `credentials`.
_SECRET_HEADER_WORDS = ("auth", "token", "secret", "key", "cookie", "password", "session")
_FORBIDDEN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "te", "upgrade"})

# Index digits are ASCII: "\d" also took Arabic-Indic digits ("data[\u0663]"), which the path reader refuses.
# Each repetition starts with its own literal ("[" or "."), so matching is linear in the path.
DOTTED_PATH = re.compile(r"^[A-Za-z_$@][\w$@-]*(?:\[[0-9]+\])*(?:\.[\w$@-]+(?:\[[0-9]+\])*)*$")
PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\[\]-]{0,63}$")
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
_ENUM_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_HEADER_VALUE = re.compile(rf"[\t\x20-\x7e]{{0,{MAX_HEADER_VALUE_LENGTH}}}")

Checker = Callable[[Any], str | None]  # returns a problem message, or None when the value is fine


@dataclass(frozen=True)
class ConfigKey:
    """A documented config key: how to check it, and where it applies."""

    check: Checker
    inbound: bool = False
    outbound: bool = False
    platforms: frozenset[Platform] | None = None  # None: every platform
    # A URL that credentials are sent to: changing it (or removing it, which falls back to the
    # platform's default host) needs the credentials entered again (see credential_urls_changed).
    credential_url: bool = False


def text(pattern: re.Pattern[str], what: str) -> Checker:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return "must be a string"
        if len(value) > MAX_PATH_LENGTH:
            return f"must be at most {MAX_PATH_LENGTH} characters"
        # fullmatch: "$" would let a trailing newline through
        return None if pattern.fullmatch(value) else f"must be {what}"

    return check


def url(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    if len(value) > MAX_URL_LENGTH or any(ch.isspace() for ch in value) or not value.isprintable():
        return "must be a valid URL"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return "must be a valid URL"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "must be an absolute http(s) URL"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password; put secrets in credentials"
    return None


def choice(options: tuple[Any, ...]) -> Checker:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or value not in options:
            return "must be one of: " + ", ".join(str(option) for option in options)
        return None

    return check


def int_between(low: int, high: int) -> Checker:
    def check(value: Any) -> str | None:
        number = as_integer(value)  # 100.0 is the integer 100 (stored as 100, see with_integers)
        if number is None or not low <= number <= high:
            return f"must be an integer from {low} to {high}"
        return None

    return check


def cpm(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number"
    if not 0 <= value <= MAX_CPM or value != value:  # value != value catches NaN
        return f"must be a number from 0 to {MAX_CPM}"
    if not number_fits(value):  # 1e-300: DynamoDB stores nothing that small
        return "must be 0 or at least 1e-130, with at most 38 significant digits"
    return None


def currency(value: Any) -> str | None:
    if not isinstance(value, str) or value not in ISO_4217_CODES:
        return "must be an ISO 4217 currency code such as USD"
    return None


def field_mappings(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "must be an object mapping external fields to topic fields"
    if len(value) > MAX_MAPPINGS:
        return f"must have at most {MAX_MAPPINGS} entries"
    for source, target in value.items():
        if len(source) > MAX_PATH_LENGTH:
            return f"source field '{source[:64]}...' must be at most {MAX_PATH_LENGTH} characters"
        if not DOTTED_PATH.fullmatch(source):
            return f"source field '{source[:64]}' must be a dotted path"
        if not isinstance(target, str) or target not in TOPIC_FIELDS:
            return f"target of '{source}' must be one of: " + ", ".join(sorted(TOPIC_FIELDS))
    if "topic_name" not in value.values():
        return "must map some field to topic_name"
    return None


def headers(value: Any) -> str | None:
    if not isinstance(value, dict) or len(value) > MAX_HEADERS:
        return f"must be an object of at most {MAX_HEADERS} header names to string values"
    for name, header_value in value.items():
        lowered = name.lower()
        if not HEADER_NAME.fullmatch(name) or lowered in _FORBIDDEN_HEADERS:
            return f"'{name[:64]}' is not an allowed header name"
        if any(word in lowered for word in _SECRET_HEADER_WORDS):
            return f"'{name}' looks like a secret; put it in credentials instead"
        # Printable ASCII and tabs only: HTTP clients refuse CR, LF, NUL and encode headers as ASCII.
        if not isinstance(header_value, str) or not _HEADER_VALUE.fullmatch(header_value):
            return f"value of '{name}' must be a line of at most {MAX_HEADER_VALUE_LENGTH} printable ASCII characters"
    return None


def names(what: str) -> Checker:
    """A non-empty list of distinct upper-case names (LiveRamp's platform and use case enums)."""

    def check(value: Any) -> str | None:
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_NAME_LIST:
            return f"must be a list of 1 to {MAX_NAME_LIST} {what}"
        if not all(isinstance(item, str) and _ENUM_NAME.fullmatch(item) for item in value):
            return f"must hold {what} in upper case, such as TARGETING"
        if len(set(value)) != len(value):
            return f"must not repeat {what}"
        return None

    return check


def matching(pattern: re.Pattern[str], what: str, longest: int) -> Checker:
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or len(value) > longest or not pattern.fullmatch(value):
            return f"must be {what}"
        return None

    return check
