"""Environment variables, parsed once into a typed model at the edge (domain code never reads os.environ)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache

from pydantic import BaseModel, ConfigDict


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    table_name: str
    credentials_key_arn: str | None = None
    # Local development and tests only: lets outbound calls reach http:// and private addresses.
    allow_private_targets: bool = False
    clerk_jwks_url: str | None = None
    clerk_jwt_key: str | None = None
    clerk_authorized_parties: tuple[str, ...] = ()
    clerk_issuer: str | None = None
    # The HTTP API's CORS origins (template parameter AllowedOrigins): the only foreign origins a
    # cookie-authenticated request that changes data may come from.
    allowed_origins: tuple[str, ...] = ()
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

        return cls(
            table_name=environ.get("TABLE_NAME", ""),
            credentials_key_arn=optional("CREDENTIALS_KEY_ARN"),
            allow_private_targets=environ.get("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "") in ("1", "true", "yes"),
            clerk_jwks_url=optional("CLERK_JWKS_URL"),
            clerk_jwt_key=optional("CLERK_JWT_KEY"),
            clerk_authorized_parties=listed("CLERK_AUTHORIZED_PARTIES"),
            clerk_issuer=optional("CLERK_ISSUER"),
            allowed_origins=listed("ALLOWED_ORIGINS"),
            sync_page_queue_url=optional("SYNC_PAGE_QUEUE_URL"),
            schedule_group=optional("SCHEDULE_GROUP"),
            scheduler_role_arn=optional("SCHEDULER_ROLE_ARN"),
            scheduled_sync_function_arn=optional("SCHEDULED_SYNC_FUNCTION_ARN"),
        )


@cache
def settings() -> Settings:
    """The settings of this container, read on first use."""
    return Settings.from_environ(os.environ)
