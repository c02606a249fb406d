"""Monthly per-organisation quotas, as the published rate-limits page sets them: classification credits
(one per item a sync page fetched, whatever became of it, and one per topic POST /api/topics
classified) and import operations (one per sync run started), under the organisation's plan.

Enterprise, unlimited, is every organisation's plan until a plan item says otherwise, and an
unlimited meter is never written: an organisation without a plan pays one read per charge, nothing
more. A limited meter is reserved before the work with one conditional ``ADD`` (the counter never
passes the limit, however many calls race) and what the work did not use is given back after.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from connections.domain.clock import SYSTEM_CLOCK, Clock, format_timestamp
from connections.domain.errors import QuotaExceeded
from connections.ports.usage_meters import UsageMeters


class Plan(StrEnum):
    FREE = "free"
    PRO = "pro"
    ENTERPRISE = "enterprise"


class Meter(StrEnum):
    CLASSIFICATIONS = "classifications"
    IMPORTS = "imports"


# None: unlimited. From the published rate-limits page.
PLAN_LIMITS: dict[Plan, dict[Meter, int | None]] = {
    Plan.FREE: {Meter.CLASSIFICATIONS: 100, Meter.IMPORTS: 5},
    Plan.PRO: {Meter.CLASSIFICATIONS: 10_000, Meter.IMPORTS: 100},
    Plan.ENTERPRISE: {Meter.CLASSIFICATIONS: None, Meter.IMPORTS: None},
}
DEFAULT_PLAN = Plan.ENTERPRISE
_logger = logging.getLogger("connections.quotas")
_METER_NOUNS = {Meter.CLASSIFICATIONS: "classification credits", Meter.IMPORTS: "import operations"}


def billing_month(moment: datetime) -> str:
    """The month a charge at ``moment`` counts in (UTC), ``2026-02``: part of the counter's key, so a
    new month starts from zero without any reset."""
    return moment.astimezone(UTC).strftime("%Y-%m")


def next_month_start(moment: datetime) -> datetime:
    """The start (UTC) of the month after ``moment``'s: when its counters reset."""
    moment = moment.astimezone(UTC)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def quota_exceeded(meter: Meter, limit: int, used: int, needed: int, now: datetime) -> QuotaExceeded:
    """The 429 for ``meter``: used up, or too little left for the ``needed`` credits asked for."""
    reset_at = next_month_start(now)
    reset = format_timestamp(reset_at)
    noun = _METER_NOUNS[meter]
    message = (
        f"Monthly quota of {limit} {noun} used up ({used} used); it resets at {reset}"
        if used >= limit
        else f"Monthly quota of {limit} {noun} has {limit - used} left, fewer than the {needed} this request needs; "
        f"it resets at {reset}"
    )
    retry_after = max(1, math.ceil((reset_at - now).total_seconds()))
    return QuotaExceeded(message, limit=limit, used=used, reset_at=reset, retry_after_seconds=retry_after)


@dataclass(frozen=True)
class Charge:
    """Credits reserved on one meter of one month; ``limit`` None for an unlimited meter (nothing stored,
    ``amount`` 0)."""

    org_id: str
    meter: Meter
    month: str
    amount: int
    limit: int | None


class Quotas:
    """Charges and gives back credits on an organisation's monthly meters."""

    def __init__(self, meters: UsageMeters, clock: Clock = SYSTEM_CLOCK) -> None:
        self._meters = meters
        self._clock = clock

    def charge(self, org_id: str, meter: Meter, amount: int) -> Charge:
        """Reserve ``amount`` credits (all or none); QuotaExceeded when they would pass the limit."""
        now = datetime.fromtimestamp(self._clock.epoch(), UTC)
        month = billing_month(now)
        limit = PLAN_LIMITS[self.plan(org_id)][meter] if amount > 0 else None
        if limit is None:
            return Charge(org_id, meter, month, 0, None)
        self._reserve(Charge(org_id, meter, month, 0, limit), amount, now)
        return Charge(org_id, meter, month, amount, limit)

    def _reserve(self, charge: Charge, amount: int, now: datetime) -> None:
        """Add ``amount`` to the meter of ``charge``'s month within its limit, or raise QuotaExceeded."""
        assert charge.limit is not None
        org_id, meter, month, limit = charge.org_id, charge.meter, charge.month, charge.limit
        if amount > limit:  # more than the plan allows in a month: refused whatever has been used
            raise quota_exceeded(meter, limit, self._meters.used(org_id, month, meter.value), amount, now)
        used = self._meters.reserve(org_id, month, meter.value, amount, limit)
        if used is not None:
            raise quota_exceeded(meter, limit, used, amount, now)

    def give_back_or_log(self, charge: Charge) -> None:
        """Give a charge back while another failure is being handled: if that fails too, the credits stay
        spent (logged, type only) and the failure being handled is the one the caller sees."""
        try:
            self.give_back(charge)
        except Exception as failure:
            _logger.warning(
                "%d %s of %s could not be given back (%s); they stay spent this month",
                charge.amount,
                charge.meter.value,
                charge.org_id,
                type(failure).__name__,
            )

    def give_back(self, charge: Charge, amount: int | None = None) -> Charge:
        """Return ``amount`` (default: all) of a charge's credits; the charge that is left."""
        returned = charge.amount if amount is None else min(max(amount, 0), charge.amount)
        if returned:
            self._meters.give_back(charge.org_id, charge.month, charge.meter.value, returned)
        return replace(charge, amount=charge.amount - returned)

    def settle(self, charge: Charge, used: int) -> Charge:
        """The charge made exactly ``used``: the excess given back, or what is missing reserved in the same
        month (QuotaExceeded if it does not fit; ``charge`` itself is then still held)."""
        if charge.limit is None or used == charge.amount:
            return charge
        if used < charge.amount:
            return self.give_back(charge, charge.amount - used)
        self._reserve(charge, used - charge.amount, datetime.fromtimestamp(self._clock.epoch(), UTC))
        return replace(charge, amount=used)

    def plan(self, org_id: str) -> Plan:
        """The organisation's plan (Enterprise without a plan item, or with one this code does not know)."""
        stored = self._meters.plan(org_id)
        return next((plan for plan in Plan if plan.value == stored), DEFAULT_PLAN)

    def set_plan(self, org_id: str, plan: Plan) -> None:
        """Put the organisation on ``plan`` (from the next charge on; this month's usage is kept)."""
        self._meters.set_plan(org_id, plan.value)
