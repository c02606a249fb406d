"""Storage of organisations' plans and monthly usage counters (domain/quotas.py)."""

from __future__ import annotations

from typing import Protocol


class UsageMeters(Protocol):
    def plan(self, org_id: str) -> str | None:
        """The organisation's stored plan name, None without a plan item."""
        ...

    def set_plan(self, org_id: str, plan: str) -> None: ...

    def reserve(self, org_id: str, month: str, meter: str, amount: int, limit: int) -> int | None:
        """Add ``amount`` to the month's ``meter`` only if the result stays within ``limit``, atomically;
        None when added, else the meter's current value (nothing added)."""
        ...

    def give_back(self, org_id: str, month: str, meter: str, amount: int) -> None:
        """Take ``amount`` off the month's ``meter`` (credits reserved but not used)."""
        ...

    def used(self, org_id: str, month: str, meter: str) -> int:
        """The month's ``meter`` (0 before its first charge)."""
        ...
