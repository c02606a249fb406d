"""Environment variables, parsed once into a typed model at the edge (domain code never reads os.environ).

Each function names at init the variables it cannot work without (``require_settings``, or
``build_resolver`` for the API functions), so a deployment that lacks one fails its Lambda init with
the variable's name instead of answering a request with a 500 later.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any


class MissingSettings(RuntimeError):
    """A function started without environment variables it needs; the message names them."""


# A plain dataclass, not a pydantic model: every function reads its settings at init, and the read
# endpoints and the authorizer would otherwise import pydantic for this alone. Every value is a string,
# a bool or a tuple of strings, built by from_environ below, so there is nothing to validate.
@dataclass(frozen=True)
class Settings:
    table_name: str
    credentials_key_arn: str | None = None
    # Local development and tests only: lets outbound calls reach http:// and private addresses.
    allow_private_targets: bool = False
    clerk_jwks_url: str | None = None
    clerk_jwt_key: str | None = None
    clerk_authorized_parties: tuple[str, ...] = ()
    clerk_issuer: str | None = None
    # The HTTP API's CORS origins (template parameter AllowedOrigins): the only foreign origins a
    # cookie-authenticated request that changes data may come from. Empty is a choice (no foreign
    # origin); None means the variable is missing.
    allowed_origins: tuple[str, ...] | None = None
    # Scheduled syncs: the page queue (ScheduledSync, SyncPageWorker), and what create, update and
    # delete need to keep a connection's EventBridge schedule.
    sync_page_queue_url: str | None = None
    schedule_group: str | None = None
    scheduler_role_arn: str | None = None
    scheduled_sync_function_arn: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Read the documented variables (README: Environment variables)."""

        def optional(name: str) -> str | None:
            return environ.get(name) or None

        def listed(name: str) -> tuple[str, ...]:
            return tuple(part.strip() for part in environ.get(name, "").split(",") if part.strip())

        origins = listed("ALLOWED_ORIGINS") if "ALLOWED_ORIGINS" in environ else None

        return cls(
            table_name=environ.get("TABLE_NAME", ""),
            credentials_key_arn=optional("CREDENTIALS_KEY_ARN"),
            allow_private_targets=environ.get("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "") in ("1", "true", "yes"),
            clerk_jwks_url=optional("CLERK_JWKS_URL"),
            clerk_jwt_key=optional("CLERK_JWT_KEY"),
            clerk_authorized_parties=listed("CLERK_AUTHORIZED_PARTIES"),
            clerk_issuer=optional("CLERK_ISSUER"),
            allowed_origins=origins,
            sync_page_queue_url=optional("SYNC_PAGE_QUEUE_URL"),
            schedule_group=optional("SCHEDULE_GROUP"),
            scheduler_role_arn=optional("SCHEDULER_ROLE_ARN"),
            scheduled_sync_function_arn=optional("SCHEDULED_SYNC_FUNCTION_ARN"),
        )

    def missing(self, variables: tuple[str, ...]) -> list[str]:
        """Those of ``variables`` that are unset or empty (ALLOWED_ORIGINS may be empty, not missing)."""
        unknown = [name for name in variables if name not in _FIELDS]
        if unknown:
            raise ValueError(f"not a setting: {', '.join(unknown)}")
        return [name for name in variables if _unset(getattr(self, _FIELDS[name]))]


# Environment variable -> Settings field, for the variables a function may require.
_FIELDS = {
    "TABLE_NAME": "table_name",
    "CREDENTIALS_KEY_ARN": "credentials_key_arn",
    "ALLOWED_ORIGINS": "allowed_origins",
    "SYNC_PAGE_QUEUE_URL": "sync_page_queue_url",
    "SCHEDULE_GROUP": "schedule_group",
    "SCHEDULER_ROLE_ARN": "scheduler_role_arn",
    "SCHEDULED_SYNC_FUNCTION_ARN": "scheduled_sync_function_arn",
}
# Schedules are kept only by the functions given all three; one or two of them is a broken deployment.
_SCHEDULE_VARIABLES = ("SCHEDULE_GROUP", "SCHEDULER_ROLE_ARN", "SCHEDULED_SYNC_FUNCTION_ARN")


def _unset(value: Any) -> bool:
    return value is None or value == ""


@cache
def settings() -> Settings:
    """The settings of this container, read on first use."""
    return Settings.from_environ(os.environ)


def require_settings(*variables: str) -> Settings:
    """This container's settings, after checking at init that ``variables`` are set; raises
    MissingSettings naming every one that is not."""
    current = settings()
    if len(current.missing(_SCHEDULE_VARIABLES)) < len(_SCHEDULE_VARIABLES):
        variables += _SCHEDULE_VARIABLES
    missing = current.missing(tuple(dict.fromkeys(variables)))
    if missing:
        raise MissingSettings(
            f"this function needs the environment variable{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (see template.yaml)"
        )
    return current
