"""Validation of a connection's ``config`` (DESIGN.md section 7).

Every key is declared once in ``CONFIG_KEYS`` with the directions and platforms it applies to, so an
unknown key, or a key that does not fit the connection, is a 400 that names it. Values keep the
spelling the user wrote (URLs are checked, never rewritten).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from connections.domain.config_checks import (
    DOTTED_PATH,
    HEADER_NAME,
    PARAM_NAME,
    ConfigKey,
    choice,
    cpm,
    currency,
    field_mappings,
    int_between,
    text,
    url,
)
from connections.domain.errors import FieldProblem
from connections.domain.json_numbers import as_integer
from connections.domain.platforms import Direction, Platform
from connections.domain.schedule_expression import schedule_problem
from connections.profiles.custom_api import AUTH_TYPES
from connections.profiles.registry import PROFILES, profile_of

# An unknown key is named in the error only this far: the rest of a long key is not echoed.
_SHOWN_KEY_LENGTH = 64
_TEMPLATE_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_LOCATION = re.compile(r"^[A-Za-z]{2}(?:[-_][A-Za-z0-9]{1,8})?$")

# The keys every platform takes; each profile adds the keys only its platform takes (config_keys).
_COMMON_KEYS: Mapping[str, ConfigKey] = {
    # inbound (sync/pull)
    "base_url": ConfigKey(url, credential_url=True, inbound=True),
    "items_path": ConfigKey(text(DOTTED_PATH, "a dotted path such as data.segments"), inbound=True),
    "count_path": ConfigKey(text(DOTTED_PATH, "a dotted path such as data.total"), inbound=True),
    # A separate count endpoint (the sync guide's), read at count_path; credentials go there too.
    "count_url": ConfigKey(url, credential_url=True, inbound=True),
    "page_param": ConfigKey(text(PARAM_NAME, "a query parameter name"), inbound=True),
    "page_size_param": ConfigKey(text(PARAM_NAME, "a query parameter name"), inbound=True),
    "field_mappings": ConfigKey(field_mappings, inbound=True),
    "page_size": ConfigKey(int_between(1, 1000), inbound=True),
    "pagination": ConfigKey(choice(("page", "offset")), inbound=True),
    "first_page": ConfigKey(choice((0, 1)), inbound=True),
    # EventBridge Scheduler expression of the connection's scheduled sync (UTC); see schedule_expression.py
    "schedule": ConfigKey(schedule_problem, inbound=True),
    # outbound (push/activation)
    # The named platforms' API and token endpoints serve both directions (their inbound reads need a token).
    "api_base_url": ConfigKey(url, credential_url=True, inbound=True, outbound=True),
    "token_url": ConfigKey(url, credential_url=True, inbound=True, outbound=True),
    "data_source_location": ConfigKey(text(_LOCATION, "a country or region code such as US"), outbound=True),
    "default_cpm": ConfigKey(cpm, outbound=True),
    "currency": ConfigKey(currency, outbound=True),
    "template_key": ConfigKey(text(_TEMPLATE_KEY, "lowercase letters, digits, '-' or '_'"), outbound=True),
    # both directions
    "api_key_header": ConfigKey(text(HEADER_NAME, "a header name"), inbound=True, outbound=True),
}


def _all_keys() -> dict[str, ConfigKey]:
    keys = dict(_COMMON_KEYS)
    for profile in PROFILES.values():
        for key, spec in profile.config_keys.items():
            # One owner per key: two platforms sharing a key would put it in the common table.
            assert key not in keys, f"config key {key} declared twice"
            keys[key] = dataclasses.replace(spec, platforms=frozenset({profile.platform}))
    return keys


CONFIG_KEYS: Mapping[str, ConfigKey] = _all_keys()

# auth_type is documented as an inbound key for every platform; outbound it only means something for
# custom APIs (the named platforms have fixed auth flows).
_INBOUND_AUTH_TYPE = ConfigKey(choice(AUTH_TYPES), inbound=True)


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
    if direction.pushes:
        profile = profile_of(platform)
        # A rule reads the config as a whole: it runs only once every key passed its own check.
        for rule in profile.outbound_rules if not problems else ():
            problems += rule(config)
        for key, message in profile.required_outbound_keys.items():
            if key not in config:
                problems.append(FieldProblem(f"config.{key}", message))
    if direction.pulls and "base_url" not in config:
        problems.append(FieldProblem("config.base_url", "is required for inbound and bidirectional connections"))
    problems += _auth_header_problems(config) if not problems else []
    if direction.pulls and "count_url" in config and "count_path" not in config:
        message = "is required with count_url (where its answer holds the total)"
        problems.append(FieldProblem("config.count_path", message))
    return problems


def _auth_header_problems(config: Mapping[str, Any]) -> list[FieldProblem]:
    """Extra headers never replace the auth header (the client would send the credential's value
    anyway, and a header of the same name in plaintext config says the user meant to put a secret there)."""
    headers, auth_header = config.get("headers"), config.get("api_key_header")
    if not isinstance(headers, dict) or not isinstance(auth_header, str):
        return []
    clashing = [name for name in headers if name.lower() == auth_header.lower()]
    message = "is the api_key_header; it cannot be overridden"
    return [FieldProblem("config.headers", f"'{name}' {message}") for name in clashing]


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
