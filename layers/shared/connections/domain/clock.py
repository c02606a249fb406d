"""Timestamps in the API's format: UTC ISO 8601 with milliseconds and a Z suffix."""

from __future__ import annotations

from datetime import UTC, datetime


def format_timestamp(moment: datetime) -> str:
    """``2026-02-25T10:00:00.000Z`` for an aware datetime."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utc_now() -> str:
    """The current time as an API timestamp."""
    return format_timestamp(datetime.now(UTC))
