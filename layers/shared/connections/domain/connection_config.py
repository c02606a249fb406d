"""Validation of a connection's ``config`` (DESIGN.md section 7).

Every key is declared once in ``CONFIG_KEYS`` with the directions and platforms it applies to, so an
unknown key, or a key that does not fit the connection, is a 400 that names it. Values keep the
spelling the user wrote (URLs are checked, never rewritten).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from connections.domain.currencies import ISO_4217_CODES, MAX_CPM
from connections.domain.errors import FieldProblem
from connections.domain.json_numbers import as_integer
from connections.domain.platforms import Direction, Platform
from connections.domain.schedule_expression import schedule_problem
from connections.domain.storage_limits import number_fits

MAX_URL_LENGTH = 2048
MAX_MAPPINGS = 100
MAX_HEADERS = 20
MAX_HEADER_VALUE_LENGTH = 1024
# Dotted paths (items_path, count_path, field_mappings sources): characters, so at most 1 KB in UTF-8.
MAX_PATH_LENGTH = 256
MAX_ELEMENT_ID_LENGTH = 512
# An unknown key is named in the error only this far: the rest of a long key is not echoed.
_SHOWN_KEY_LENGTH = 64

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
_DOTTED_PATH = re.compile(r"^[A-Za-z_$@][\w$@-]*(?:\[[0-9]+\])*(?:\.[\w$@-]+(?:\[[0-9]+\])*)*$")
_PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\[\]-]{0,63}$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
_TEMPLATE_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_LOCATION = re.compile(r"^[A-Za-z]{2}(?:[-_][A-Za-z0-9]{1,8})?$")
_PROVIDER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_NO_CONTROLS = re.compile(r"[^\x00-\x1f\x7f-\x9f]*")
_HEADER_VALUE = re.compile(rf"[\t\x20-\x7e]{{0,{MAX_HEADER_VALUE_LENGTH}}}")

AUTH_TYPES = ("bearer", "basic", "api_key", "none")

# LiveRamp Data Seller API (adapters/platforms/liveramp.py): segment types, and which need an allowlist.
LIVERAMP_SEGMENT_TYPES = ("SYNDICATED", "CUSTOM", "DIRECT")
_LIVERAMP_ALLOWLISTED_TYPES = ("CUSTOM", "DIRECT")
_ENUM_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
MAX_NAME_LIST = 50

# Index Exchange taxonomy-file delivery (adapters/platforms/indexexchange.py).
_S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# Path segments joined by single slashes, no leading slash (as openapi.yaml states it, without lookaheads).
_S3_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()-]+(?:/[A-Za-z0-9!_.*'()-]+)*/?$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-[0-9]$")

Checker = Callable[[Any], str | None]  # returns a problem message, or None when the value is fine


def _text(pattern: re.Pattern[str], what: str) -> Checker:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return "must be a string"
        if len(value) > MAX_PATH_LENGTH:
            return f"must be at most {MAX_PATH_LENGTH} characters"
        # fullmatch: "$" would let a trailing newline through
        return None if pattern.fullmatch(value) else f"must be {what}"

    return check


def _url(value: Any) -> str | None:
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


def _choice(options: tuple[Any, ...]) -> Checker:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or value not in options:
            return "must be one of: " + ", ".join(str(option) for option in options)
        return None

    return check


def _int_between(low: int, high: int) -> Checker:
    def check(value: Any) -> str | None:
        number = as_integer(value)  # 100.0 is the integer 100 (stored as 100, see with_integers)
        if number is None or not low <= number <= high:
            return f"must be an integer from {low} to {high}"
        return None

    return check


def _cpm(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number"
    if not 0 <= value <= MAX_CPM or value != value:  # value != value catches NaN
        return f"must be a number from 0 to {MAX_CPM}"
    if not number_fits(value):  # 1e-300: DynamoDB stores nothing that small
        return "must be 0 or at least 1e-130, with at most 38 significant digits"
    return None


def _currency(value: Any) -> str | None:
    if not isinstance(value, str) or value not in ISO_4217_CODES:
        return "must be an ISO 4217 currency code such as USD"
    return None


def _element_id(value: Any) -> str | None:
    # The Trade Desk's ProviderElementId (a parent is named by its ProviderElementId): at most 512 characters.
    if not isinstance(value, str) or not value.strip() or not _NO_CONTROLS.fullmatch(value):
        return "must be a non-empty string without control characters"
    if len(value) > MAX_ELEMENT_ID_LENGTH:
        return f"must be at most {MAX_ELEMENT_ID_LENGTH} characters"
    return None


def _field_mappings(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "must be an object mapping external fields to topic fields"
    if len(value) > MAX_MAPPINGS:
        return f"must have at most {MAX_MAPPINGS} entries"
    for source, target in value.items():
        if len(source) > MAX_PATH_LENGTH:
            return f"source field '{source[:64]}...' must be at most {MAX_PATH_LENGTH} characters"
        if not _DOTTED_PATH.fullmatch(source):
            return f"source field '{source[:64]}' must be a dotted path"
        if not isinstance(target, str) or target not in TOPIC_FIELDS:
            return f"target of '{source}' must be one of: " + ", ".join(sorted(TOPIC_FIELDS))
    if "topic_name" not in value.values():
        return "must map some field to topic_name"
    return None


def _headers(value: Any) -> str | None:
    if not isinstance(value, dict) or len(value) > MAX_HEADERS:
        return f"must be an object of at most {MAX_HEADERS} header names to string values"
    for name, header_value in value.items():
        lowered = name.lower()
        if not _HEADER_NAME.fullmatch(name) or lowered in _FORBIDDEN_HEADERS:
            return f"'{name[:64]}' is not an allowed header name"
        if any(word in lowered for word in _SECRET_HEADER_WORDS):
            return f"'{name}' looks like a secret; put it in credentials instead"
        # Printable ASCII and tabs only: HTTP clients refuse CR, LF, NUL and encode headers as ASCII.
        if not isinstance(header_value, str) or not _HEADER_VALUE.fullmatch(header_value):
            return f"value of '{name}' must be a line of at most {MAX_HEADER_VALUE_LENGTH} printable ASCII characters"
    return None


def _names(what: str) -> Checker:
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


def _delivery(value: Any) -> str | None:
    if value == "sftp":
        return "sftp is documented by Index Exchange but not built here; use s3"
    return None if value == "s3" else "must be s3"


def _matching(pattern: re.Pattern[str], what: str, longest: int) -> Checker:
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or len(value) > longest or not pattern.fullmatch(value):
            return f"must be {what}"
        return None

    return check


def _s3_prefix(value: Any) -> str | None:
    return _matching(_S3_PREFIX, "an S3 key prefix such as taxonomy/ (no leading '/', no '//')", 512)(value)


def _liveramp_problems(config: Mapping[str, Any]) -> list[FieldProblem]:
    """allowedPlatforms is required for CUSTOM and DIRECT segments and must not be used for SYNDICATED."""
    segment_type = config.get("segment_type", "SYNDICATED")
    has_platforms = "allowed_platforms" in config
    if segment_type in _LIVERAMP_ALLOWLISTED_TYPES and not has_platforms:
        return [FieldProblem("config.allowed_platforms", f"is required for segment_type {segment_type}")]
    if segment_type == "SYNDICATED" and has_platforms:
        return [FieldProblem("config.allowed_platforms", "must not be set for segment_type SYNDICATED")]
    return []


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


_CUSTOM = frozenset({Platform.CUSTOM_API})
_TRADEDESK = frozenset({Platform.TRADEDESK})
_LIVERAMP = frozenset({Platform.LIVERAMP})
_INDEXEXCHANGE = frozenset({Platform.INDEXEXCHANGE})

CONFIG_KEYS: Mapping[str, ConfigKey] = {
    # inbound (sync/pull)
    "base_url": ConfigKey(_url, credential_url=True, inbound=True),
    "items_path": ConfigKey(_text(_DOTTED_PATH, "a dotted path such as data.segments"), inbound=True),
    "count_path": ConfigKey(_text(_DOTTED_PATH, "a dotted path such as data.total"), inbound=True),
    "page_param": ConfigKey(_text(_PARAM_NAME, "a query parameter name"), inbound=True),
    "page_size_param": ConfigKey(_text(_PARAM_NAME, "a query parameter name"), inbound=True),
    "field_mappings": ConfigKey(_field_mappings, inbound=True),
    "page_size": ConfigKey(_int_between(1, 1000), inbound=True),
    "pagination": ConfigKey(_choice(("page", "offset")), inbound=True),
    "first_page": ConfigKey(_choice((0, 1)), inbound=True),
    # EventBridge Scheduler expression of the connection's scheduled sync (UTC); see schedule_expression.py
    "schedule": ConfigKey(schedule_problem, inbound=True),
    # outbound (push/activation)
    # The named platforms' API and token endpoints serve both directions (their inbound reads need a token).
    "api_base_url": ConfigKey(_url, credential_url=True, inbound=True, outbound=True),
    "token_url": ConfigKey(_url, credential_url=True, inbound=True, outbound=True),
    "data_source_location": ConfigKey(_text(_LOCATION, "a country or region code such as US"), outbound=True),
    "default_cpm": ConfigKey(_cpm, outbound=True),
    "currency": ConfigKey(_currency, outbound=True),
    "template_key": ConfigKey(_text(_TEMPLATE_KEY, "lowercase letters, digits, '-' or '_'"), outbound=True),
    # both directions
    "auth_type": ConfigKey(_choice(AUTH_TYPES), inbound=True, outbound=True, platforms=_CUSTOM),
    "headers": ConfigKey(_headers, inbound=True, outbound=True, platforms=_CUSTOM),
    "api_key_header": ConfigKey(_text(_HEADER_NAME, "a header name"), inbound=True, outbound=True),
    # The Trade Desk: data provider and brand ids (also accepted in credentials, where AudienceGPT's
    # guide puts them), and the parent of the elements created from now on (default ROOT).
    "provider_id": ConfigKey(_text(_PROVIDER_ID, "letters, digits, '-' or '_'"), outbound=True, platforms=_TRADEDESK),
    "brand_id": ConfigKey(_text(_PROVIDER_ID, "letters, digits, '-' or '_'"), outbound=True, platforms=_TRADEDESK),
    "parent_element_id": ConfigKey(_element_id, outbound=True, platforms=_TRADEDESK),
    # LiveRamp Data Marketplace segments (see adapters/platforms/liveramp.py for the sources)
    "segment_type": ConfigKey(_choice(LIVERAMP_SEGMENT_TYPES), outbound=True, platforms=_LIVERAMP),
    "allowed_platforms": ConfigKey(_names("platform names"), outbound=True, platforms=_LIVERAMP),
    "permitted_use_cases": ConfigKey(_names("use case names"), outbound=True, platforms=_LIVERAMP),
    # Index Exchange taxonomy files (see adapters/platforms/indexexchange.py for the sources)
    "delivery": ConfigKey(_delivery, outbound=True, platforms=_INDEXEXCHANGE),
    "s3_bucket": ConfigKey(
        _matching(_S3_BUCKET, "an S3 bucket name (3-63 lowercase letters, digits, '.' or '-')", 63),
        outbound=True,
        platforms=_INDEXEXCHANGE,
    ),
    "s3_prefix": ConfigKey(_s3_prefix, outbound=True, platforms=_INDEXEXCHANGE),
    "s3_role_arn": ConfigKey(
        _matching(_ROLE_ARN, "an IAM role ARN such as arn:aws:iam::123456789012:role/writer", 600),
        outbound=True,
        platforms=_INDEXEXCHANGE,
    ),
    "s3_region": ConfigKey(
        _matching(_REGION, "an AWS region such as us-east-1", 32), outbound=True, platforms=_INDEXEXCHANGE
    ),
}

# auth_type is documented as an inbound key for every platform; outbound it only means something for
# custom APIs (the named platforms have fixed auth flows).
_INBOUND_AUTH_TYPE = ConfigKey(_choice(AUTH_TYPES), inbound=True)


def validate_config(config: Mapping[str, Any], platform: Platform, direction: Direction) -> list[FieldProblem]:
    """Every problem with ``config`` for a connection of this platform and direction (empty: valid)."""
    problems: list[FieldProblem] = []
    for key, value in config.items():
        field = f"config.{key}"
        spec = CONFIG_KEYS.get(key)
        if spec is None:
            shown = key if len(key) <= _SHOWN_KEY_LENGTH else key[:_SHOWN_KEY_LENGTH] + "..."
            problems.append(FieldProblem(f"config.{shown}", f"unknown config key '{shown}'"))
            continue
        if key == "auth_type" and platform is not Platform.CUSTOM_API and direction.pulls:
            spec = _INBOUND_AUTH_TYPE
        if spec.platforms is not None and platform not in spec.platforms:
            names = ", ".join(sorted(p.value for p in spec.platforms))
            problems.append(FieldProblem(field, f"'{key}' applies only to platform {names}"))
            continue
        if not ((spec.inbound and direction.pulls) or (spec.outbound and direction.pushes)):
            side = "inbound or bidirectional" if spec.inbound else "outbound or bidirectional"
            problems.append(FieldProblem(field, f"'{key}' applies only to {side} connections"))
            continue
        message = spec.check(value)
        if message:
            problems.append(FieldProblem(field, message))
    if platform is Platform.LIVERAMP and direction.pushes and not problems:
        problems += _liveramp_problems(config)
    if platform is Platform.INDEXEXCHANGE and direction.pushes and "s3_bucket" not in config:
        problems.append(FieldProblem("config.s3_bucket", "is required: Index Exchange takes taxonomy files from S3"))
    if direction.pulls and "base_url" not in config:
        problems.append(FieldProblem("config.base_url", "is required for inbound and bidirectional connections"))
    return problems


CREDENTIAL_URL_KEYS = frozenset(key for key, spec in CONFIG_KEYS.items() if spec.credential_url)


def credential_urls_changed(current: Mapping[str, Any], updated: Mapping[str, Any]) -> list[str]:
    """The credential URL keys whose value differs between two configs (set, changed or removed), sorted."""
    return sorted(key for key in CREDENTIAL_URL_KEYS if current.get(key) != updated.get(key))


# Keys holding integers: JSON Schema counts 100.0 as the integer 100, accepted and stored as 100.
INTEGER_KEYS = frozenset({"page_size", "first_page"})


def with_integers(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with integral floats of integer keys written as ints (``page_size: 100.0`` -> 100)."""
    return {
        key: number if key in INTEGER_KEYS and (number := as_integer(value)) is not None else value
        for key, value in config.items()
    }


def merge_config(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Apply a PATCH to config key by key; a key set to null is removed."""
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
