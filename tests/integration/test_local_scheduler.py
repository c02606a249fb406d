"""The local scheduler loop of `make dev` fires the schedules stored in (moto's) EventBridge Scheduler when
their rate or cron occurrence comes due, once, with the schedule's input and its scheduled time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connections.adapters.scheduling.eventbridge_sync_schedules import EventBridgeSyncSchedules, schedule_name
from local.provision import LocalResources
from local.scheduled_syncs import SCHEDULED_SYNC_FUNCTION, LocalScheduler
from tests.support.scheduled_syncs import schedules_in, use_scheduled_syncs

RATE_CONNECTION = "conn_01KJA3VF80DCCVQYCP1GDKMM30"
CRON_CONNECTION = "conn_01KJA3VF80DCCVQYCP1GDKMM31"


@pytest.fixture
def scheduling(aws: LocalResources, monkeypatch: pytest.MonkeyPatch) -> LocalResources:
    use_scheduled_syncs(monkeypatch, aws)
    return aws


def test_due_occurrences_fire_once_with_their_scheduled_time(scheduling: LocalResources) -> None:
    schedules = EventBridgeSyncSchedules(
        scheduling.schedule_group, scheduling.scheduled_sync_function_arn, scheduling.scheduler_role_arn
    )
    schedules.put("org_a", RATE_CONNECTION, "rate(1 hour)", exists=False)
    created = min(
        schedule["LastModificationDate"].astimezone(UTC)
        for schedule in schedules_in(scheduling.schedule_group).values()
    )
    cron_moment = (created + timedelta(minutes=5)).replace(second=0, microsecond=0)
    schedules.put("org_a", CRON_CONNECTION, f"cron({cron_moment.minute} {cron_moment.hour} * * ? *)", exists=False)
    now = [created]
    fired: list[tuple[str, dict[str, Any]]] = []
    scheduler = LocalScheduler(
        scheduling.schedule_group, now=lambda: now[0], invoke=lambda function, event: fired.append((function, event))
    )

    ticks: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for label, offset in [("+3m", 3), ("+6m", 6), ("+7m", 7), ("+61m", 61), ("+62m", 62)]:
        now[0] = created + timedelta(minutes=offset)
        fired.clear()
        scheduler.tick()
        ticks[label] = list(fired)

    def occurrence(connection_id: str, moment: datetime) -> tuple[str, dict[str, Any]]:
        return (
            SCHEDULED_SYNC_FUNCTION,
            {"orgId": "org_a", "connectionId": connection_id, "scheduledTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ")},
        )

    assert ticks["+3m"] == []
    assert ticks["+6m"] == [occurrence(CRON_CONNECTION, cron_moment)]
    assert ticks["+7m"] == []
    rate_moment = schedules_in(scheduling.schedule_group)[schedule_name("org_a", RATE_CONNECTION)][
        "LastModificationDate"
    ].astimezone(UTC) + timedelta(hours=1)
    assert ticks["+61m"] == [occurrence(RATE_CONNECTION, rate_moment)]
    assert ticks["+62m"] == []
