"""How a credential set is checked (at create/update; values are never echoed); the keys each platform
takes are in its profile (connections/profiles/)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connections.domain.errors import FieldProblem
from connections.domain.platforms import Direction, Platform
from connections.profiles.registry import profile_of

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
# Matched whole (fullmatch): with .match and "$", "api_key\n" passed as a name.
_KEY_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


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

    shape, context = profile_of(platform).credential_shape(auth_type)
    allowed, complete_sets = shape.accepted, shape.complete_sets
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
    profile = profile_of(platform)
    key = profile.push_account_id
    if key is None or not direction.pushes or config.get(key) or credentials.get(key):
        return []
    name = profile.display_name
    return [FieldProblem(f"credentials.{key}", f"{name} needs {key} in credentials or config.{key}")]
