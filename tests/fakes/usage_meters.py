"""UsageMeters in memory (what DynamoUsageMeters stores), counting its reads and writes."""

from __future__ import annotations

from collections import Counter


class InMemoryUsageMeters:
    def __init__(self) -> None:
        self.plans: dict[str, str] = {}
        self.counters: Counter[tuple[str, str, str]] = Counter()  # (org, month, meter) -> used
        self.writes = 0
        self.reads = 0

    def plan(self, org_id: str) -> str | None:
        self.reads += 1
        return self.plans.get(org_id)

    def set_plan(self, org_id: str, plan: str) -> None:
        self.writes += 1
        self.plans[org_id] = plan

    def reserve(self, org_id: str, month: str, meter: str, amount: int, limit: int) -> int | None:
        self.writes += 1
        used = self.counters[(org_id, month, meter)]
        if used + amount > limit:
            return used
        self.counters[(org_id, month, meter)] = used + amount
        return None

    def give_back(self, org_id: str, month: str, meter: str, amount: int) -> None:
        self.writes += 1
        self.counters[(org_id, month, meter)] -= amount

    def used(self, org_id: str, month: str, meter: str) -> int:
        self.reads += 1
        return self.counters[(org_id, month, meter)]

    def used_now(self, org_id: str, meter: str) -> int:
        """The meter summed over every month (tests stay within one unless they move the clock)."""
        return sum(used for (org, _month, name), used in self.counters.items() if org == org_id and name == meter)
