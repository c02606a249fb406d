"""Which credential keys each platform takes (checked at create/update; values are never echoed)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connections.domain.errors import FieldProblem
from connections.domain.platforms import PLATFORM_DISPLAY_NAMES, Direction, Platform

MAX_CREDENTIAL_KEYS = 10
MAX_CREDENTIAL_LENGTH = 8192
# Secret values shorter than this are refused: they are guessable, and answers are redacted of
# credential values only from this length on (credential_redaction.py).
MIN_SECRET_LENGTH = 8
# The keys that hold a secret (the others name an account: username, login, client_id, org_id).
SECRET_CREDENTIAL_KEYS = frozenset({"password", "client_secret", "api_key", "token", "key", "aws_secret_access_key"})
# Keys that name an account rather than prove it: AudienceGPT's Trade Desk guide lists the data
# provider and brand ids among the credentials. They are checked as ids (no minimum length) and are not
# searched for in platform answers (credential_redaction.py): they appear there as data, not as leaks.
IDENTIFIER_CREDENTIAL_KEYS = frozenset({"provider_id", "brand_id"})
_ACCOUNT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# An id a platform's pushes cannot do without, taken from credentials or config under the same key.
PUSH_ACCOUNT_IDS: Mapping[Platform, str] = {Platform.TRADEDESK: "provider_id"}
# Matched whole (fullmatch): with .match and "$", "api_key\n" passed as a name.
_KEY_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")

# Each platform: the keys it accepts, and the alternative sets of keys that make a complete login.
PLATFORM_CREDENTIALS: Mapping[Platform, tuple[frozenset[str], tuple[frozenset[str], ...]]] = {
    # OAuth2 password grant (account id + secret key) or client-credentials grant, and the org id
    # every call sends as LR-Org-Id (required by LiveRamp).
    Platform.LIVERAMP: (
        frozenset({"username", "password", "client_id", "client_secret", "org_id"}),
        (frozenset({"username", "password", "org_id"}), frozenset({"client_id", "client_secret", "org_id"})),
    ),
    # A long-lived API token, or login + password exchanged at POST /v3/authentication; the data
    # provider id and an optional brand id where AudienceGPT's guide puts them (or in config).
    Platform.TRADEDESK: (
        frozenset({"api_key", "login", "password", "provider_id", "brand_id"}),
        (frozenset({"api_key"}), frozenset({"login", "password"})),
    ),
    # Username + API key exchanged for a one-hour token (inbound reads), and/or AWS keys that write
    # the taxonomy files to the connection's S3 bucket (without them: the function's own role).
    Platform.INDEXEXCHANGE: (
        frozenset({"username", "key", "aws_access_key_id", "aws_secret_access_key"}),
        (frozenset({"username", "key"}), frozenset({"aws_access_key_id", "aws_secret_access_key"})),
    ),
}

# Custom APIs: what each auth_type needs.
CUSTOM_API_CREDENTIALS: Mapping[str, tuple[frozenset[str], tuple[frozenset[str], ...]]] = {
    "bearer": (frozenset({"token", "api_key"}), (frozenset({"token"}), frozenset({"api_key"}))),
    "basic": (frozenset({"username", "password"}), (frozenset({"username", "password"}),)),
    "api_key": (frozenset({"api_key"}), (frozenset({"api_key"}),)),
    "none": (frozenset(), (frozenset(),)),
}


def validate_credentials(
    credentials: Mapping[str, Any], platform: Platform, auth_type: str | None
) -> list[FieldProblem]:
    """Problems with a credential set for this platform; messages name keys, never values."""
    problems: list[FieldProblem] = []
    if len(credentials) > MAX_CREDENTIAL_KEYS:
        return [FieldProblem("credentials", f"must have at most {MAX_CREDENTIAL_KEYS} keys")]
    for key, value in credentials.items():
        if not _KEY_NAME.fullmatch(key):
            problems.append(FieldProblem("credentials", f"'{key[:64]}' is not a valid credential name"))
        elif not isinstance(value, str) or not value:
            problems.append(FieldProblem(f"credentials.{key}", "must be a non-empty string"))
        elif len(value) > MAX_CREDENTIAL_LENGTH:
            problems.append(FieldProblem(f"credentials.{key}", f"must be at most {MAX_CREDENTIAL_LENGTH} characters"))
    if problems:
        return problems

    if platform is Platform.CUSTOM_API:
        allowed, complete_sets = CUSTOM_API_CREDENTIALS[auth_type or "none"]
        context = f"auth_type '{auth_type or 'none'}'"
    else:
        allowed, complete_sets = PLATFORM_CREDENTIALS[platform]
        context = f"platform {platform.value}"
    for key in credentials:
        if key not in allowed:
            accepted = ", ".join(sorted(allowed)) or "none"
            problems.append(FieldProblem(f"credentials.{key}", f"not used by {context} (accepted: {accepted})"))
    for key in sorted(credentials.keys() & allowed & SECRET_CREDENTIAL_KEYS):
        if len(credentials[key]) < MIN_SECRET_LENGTH:
            problems.append(FieldProblem(f"credentials.{key}", f"must be at least {MIN_SECRET_LENGTH} characters"))
    for key in sorted(credentials.keys() & allowed & IDENTIFIER_CREDENTIAL_KEYS):
        if not _ACCOUNT_ID.fullmatch(credentials[key]):
            problems.append(FieldProblem(f"credentials.{key}", "must be 1 to 64 letters, digits, '-' or '_'"))
    if not problems and not any(required <= credentials.keys() for required in complete_sets):
        options = " or ".join(" + ".join(sorted(required)) for required in complete_sets)
        problems.append(FieldProblem("credentials", f"{context} needs {options}"))
    return problems


def account_id_problems(
    platform: Platform, direction: Direction, config: Mapping[str, Any], credentials: Mapping[str, str]
) -> list[FieldProblem]:
    """A pushing connection's missing account id, such as The Trade Desk's provider id, checked at
    create and update so that the first push does not find it missing. Given in both places, the
    credentials' value is the one used (the adapter reads them first)."""
    key = PUSH_ACCOUNT_IDS.get(platform)
    if key is None or not direction.pushes or config.get(key) or credentials.get(key):
        return []
    name = PLATFORM_DISPLAY_NAMES[platform]
    return [FieldProblem(f"credentials.{key}", f"{name} needs {key} in credentials or config.{key}")]
