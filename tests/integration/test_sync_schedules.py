"""config.schedule: the connection's EventBridge Scheduler schedule is created, updated and deleted with
it (moto's Scheduler), and a failure part-way leaves the record and the schedule as they were."""

from __future__ import annotations

import json
from collections.abc import Set as AbstractSet
from typing import Any

import pytest

from connections.adapters.scheduling.eventbridge_sync_schedules import (
    SCHEDULED_TIME_PLACEHOLDER,
    EventBridgeSyncSchedules,
    schedule_name,
)
from connections.domain.access import AuthType, Caller
from connections.domain.connection_requests import CreateConnectionRequest, UpdateConnectionRequest
from connections.domain.connection_service import ConnectionService
from connections.domain.errors import ConcurrentModification, NotFound
from local.provision import LocalResources
from tests.integration.conftest import ApiClient, inbound_connection, outbound_liveramp
from tests.support.scheduled_syncs import schedule_of, schedules_in, use_scheduled_syncs

CALLER = Caller("org_a", "user_1", AuthType.SESSION)


@pytest.fixture
def scheduling(aws: LocalResources, monkeypatch: pytest.MonkeyPatch) -> LocalResources:
    use_scheduled_syncs(monkeypatch, aws)
    return aws


@pytest.fixture
def schedule_api(scheduling: LocalResources, api: ApiClient) -> ApiClient:
    return api


def scheduled(expression: str = "rate(1 hour)", **overrides: Any) -> dict[str, Any]:
    body = inbound_connection(**overrides)
    body["config"] = body["config"] | {"schedule": expression}
    return body


def test_create_puts_a_schedule_that_targets_the_scheduled_sync(schedule_api: ApiClient, scheduling) -> None:
    created = schedule_api.post("/api/connections", scheduled("cron(0 6 * * ? *)"))
    assert created.status == 201, created.text
    connection_id = created.json()["id"]

    schedule = schedule_of(scheduling.schedule_group, "org_a", connection_id)
    record = schedule_api.get(f"/api/connections/{connection_id}").json()

    assert schedule is not None
    assert schedule["Name"] == schedule_name("org_a", connection_id)
    assert schedule["GroupName"] == scheduling.schedule_group
    assert schedule["ScheduleExpression"] == "cron(0 6 * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["State"] == "ENABLED"
    assert schedule["FlexibleTimeWindow"]["Mode"] == "FLEXIBLE"
    assert schedule["Target"]["Arn"] == scheduling.scheduled_sync_function_arn
    assert schedule["Target"]["RoleArn"] == scheduling.scheduler_role_arn
    assert json.loads(schedule["Target"]["Input"]) == {
        "orgId": "org_a",
        "connectionId": connection_id,
        "scheduledTime": SCHEDULED_TIME_PLACEHOLDER,
    }
    assert record["config"]["schedule"] == "cron(0 6 * * ? *)"


def test_schedule_follows_update_and_delete(schedule_api: ApiClient, scheduling) -> None:
    group = scheduling.schedule_group
    plain = schedule_api.post("/api/connections", inbound_connection()).json()["id"]
    assert schedules_in(group) == {}

    added = schedule_api.patch(f"/api/connections/{plain}", {"config": {"schedule": "rate(6 hours)"}})
    after_add = schedule_of(group, "org_a", plain)
    changed = schedule_api.patch(f"/api/connections/{plain}", {"config": {"schedule": "rate(1 day)"}})
    after_change = schedule_of(group, "org_a", plain)
    renamed = schedule_api.patch(f"/api/connections/{plain}", {"name": "Renamed"})
    after_rename = schedule_of(group, "org_a", plain)
    removed = schedule_api.patch(f"/api/connections/{plain}", {"config": {"schedule": None}})
    after_remove = schedule_of(group, "org_a", plain)

    assert [added.status, changed.status, renamed.status, removed.status] == [200] * 4
    assert after_add is not None and after_add["ScheduleExpression"] == "rate(6 hours)"
    assert after_change is not None and after_change["ScheduleExpression"] == "rate(1 day)"
    assert after_rename is not None and after_rename["LastModificationDate"] == after_change["LastModificationDate"]
    assert after_remove is None
    assert "schedule" not in schedule_api.get(f"/api/connections/{plain}").json()["config"]

    doomed = schedule_api.post("/api/connections", scheduled("rate(12 hours)")).json()["id"]
    assert schedule_of(group, "org_a", doomed) is not None
    assert schedule_api.delete(f"/api/connections/{doomed}").json() == {"deleted": True}
    assert schedules_in(group) == {}


def test_invalid_or_misplaced_schedules_are_400_and_schedule_nothing(schedule_api: ApiClient, scheduling) -> None:
    too_often = schedule_api.post("/api/connections", scheduled("rate(5 minutes)"))
    not_cron = schedule_api.post("/api/connections", scheduled("cron(0 6 * * *)"))
    outbound = outbound_liveramp()
    outbound["config"] |= {"schedule": "rate(1 hour)"}
    on_outbound = schedule_api.post("/api/connections", outbound)
    inbound_id = schedule_api.post("/api/connections", scheduled("rate(1 hour)")).json()["id"]
    to_outbound = schedule_api.patch(f"/api/connections/{inbound_id}", {"direction": "outbound"})

    for response in (too_often, not_cron, on_outbound, to_outbound):
        assert response.status == 400, response.text
        assert any(detail["field"] == "config.schedule" for detail in response.json()["details"]), response.text
    assert "15 minutes" in too_often.json()["details"][0]["message"]
    assert list(schedules_in(scheduling.schedule_group)) == [schedule_name("org_a", inbound_id)]


UNREADABLE_SCHEDULES = [
    "cron(0 \u00b2 * * ? *)",  # superscript two: int() raised, a 500
    "cron(0 \u0666 * * ? *)",  # Arabic-Indic six: stored, then refused by EventBridge
    "cron(\uff10 6 * * ? *)",  # full-width zero
    "rate(1 hour)\n",  # "$" matched before the newline
    "cron(0 6 * * ? *)\n",
    " rate(1 hour)",
    "rate(999999 days)",
]


@pytest.mark.parametrize("expression", UNREADABLE_SCHEDULES)
def test_unicode_digits_and_surrounding_text_are_a_400_on_create(
    schedule_api: ApiClient, scheduling, expression: str
) -> None:
    response = schedule_api.post("/api/connections", scheduled(expression))

    assert response.status == 400, response.text
    assert [detail["field"] for detail in response.json()["details"]] == ["config.schedule"], response.text
    assert schedule_api.get("/api/connections").json() == []
    assert schedules_in(scheduling.schedule_group) == {}


@pytest.mark.parametrize("expression", UNREADABLE_SCHEDULES)
def test_unicode_digits_and_surrounding_text_are_a_400_on_update(
    schedule_api: ApiClient, scheduling, expression: str
) -> None:
    connection_id = schedule_api.post("/api/connections", scheduled("rate(1 hour)")).json()["id"]

    response = schedule_api.patch(f"/api/connections/{connection_id}", {"config": {"schedule": expression}})

    assert response.status == 400, response.text
    assert [detail["field"] for detail in response.json()["details"]] == ["config.schedule"], response.text
    assert schedule_api.get(f"/api/connections/{connection_id}").json()["config"]["schedule"] == "rate(1 hour)"
    schedule = schedule_of(scheduling.schedule_group, "org_a", connection_id)
    assert schedule is not None and schedule["ScheduleExpression"] == "rate(1 hour)"


def test_the_refused_twenty_first_connection_leaves_no_schedule(schedule_api: ApiClient, scheduling) -> None:
    for number in range(20):
        body = outbound_liveramp(name=f"Destination {number}")
        body.pop("credentials")
        assert schedule_api.post("/api/connections", body).status == 201

    refused = schedule_api.post("/api/connections", scheduled("rate(1 hour)", name="One too many"))

    assert refused.status == 409
    assert schedules_in(scheduling.schedule_group) == {}


def test_an_idempotent_retry_keeps_one_schedule(schedule_api: ApiClient, scheduling) -> None:
    headers = {"Idempotency-Key": "scheduled-create-01"}

    first = schedule_api.post("/api/connections", scheduled("rate(2 hours)"), headers=headers)
    retry = schedule_api.post("/api/connections", scheduled("rate(2 hours)"), headers=headers)

    assert first.status == retry.status == 201
    assert retry.json()["id"] == first.json()["id"]
    assert list(schedules_in(scheduling.schedule_group)) == [schedule_name("org_a", first.json()["id"])]


# ---------------------------------------------------------------------------------------------
# Failures part-way, at the service with the real adapters and one failing step.
# ---------------------------------------------------------------------------------------------
class StoreFails(Exception):
    """DynamoDB refusing the write."""


class SchedulerDown(Exception):
    """EventBridge Scheduler refusing the call."""


class FailingRepository:
    """The real repository, except for the writes named in ``failing``."""

    def __init__(self, failing: set[str]) -> None:
        from connections.wiring import connection_repository

        self._repository = connection_repository()
        self.failing = failing

    def __getattr__(self, name: str) -> Any:
        return getattr(self._repository, name)

    def create(self, *args: Any, **kwargs: Any) -> None:
        if "create" in self.failing:
            raise StoreFails("create")
        self._repository.create(*args, **kwargs)

    def replace(self, *args: Any, **kwargs: Any) -> None:
        if "replace" in self.failing:
            raise ConcurrentModification("The connection changed meanwhile; retry")
        self._repository.replace(*args, **kwargs)


class FlakySchedules(EventBridgeSyncSchedules):
    """The real schedules, failing the calls named in ``failing`` once each."""

    def __init__(self, resources: LocalResources, failing: set[str]) -> None:
        super().__init__(resources.schedule_group, resources.scheduled_sync_function_arn, resources.scheduler_role_arn)
        self.failing = failing

    def put(self, *args: Any, **kwargs: Any) -> None:
        if "put" in self.failing:
            self.failing.discard("put")
            raise SchedulerDown("put")
        super().put(*args, **kwargs)

    def remove(self, *args: Any, **kwargs: Any) -> None:
        if "remove" in self.failing:
            self.failing.discard("remove")
            raise SchedulerDown("remove")
        super().remove(*args, **kwargs)


def service(
    resources: LocalResources,
    store_fails: AbstractSet[str] = frozenset(),
    scheduler_fails: AbstractSet[str] = frozenset(),
):
    from connections.wiring import credential_cipher

    repository = FailingRepository(set(store_fails))
    schedules = FlakySchedules(resources, set(scheduler_fails))
    return ConnectionService(repository, credential_cipher(), schedules=schedules), repository, schedules


def create_request(expression: str | None = "rate(1 hour)") -> CreateConnectionRequest:
    body = scheduled(expression) if expression else inbound_connection()
    return CreateConnectionRequest.model_validate_json(json.dumps(body))


def test_a_failed_store_on_create_removes_the_new_schedule(scheduling: LocalResources) -> None:
    connections, _, _ = service(scheduling, store_fails={"create"})

    with pytest.raises(StoreFails):
        connections.create(CALLER, create_request())

    assert schedules_in(scheduling.schedule_group) == {}
    assert connections.list(CALLER, filters=_no_filters()) == []


def test_a_scheduler_failure_on_create_stores_nothing(scheduling: LocalResources) -> None:
    connections, _, _ = service(scheduling, scheduler_fails={"put"})

    with pytest.raises(SchedulerDown):
        connections.create(CALLER, create_request())

    assert connections.list(CALLER, filters=_no_filters()) == []
    assert schedules_in(scheduling.schedule_group) == {}


def test_a_failed_store_on_update_puts_the_old_schedule_back(scheduling: LocalResources) -> None:
    connections, repository, _ = service(scheduling)
    connection = connections.create(CALLER, create_request("rate(1 hour)"))
    unscheduled = connections.create(CALLER, create_request(None))
    repository.failing.add("replace")

    with pytest.raises(ConcurrentModification):
        connections.update(CALLER, connection.id, UpdateConnectionRequest(config={"schedule": "rate(3 hours)"}))
    with pytest.raises(ConcurrentModification):
        connections.update(CALLER, unscheduled.id, UpdateConnectionRequest(config={"schedule": "rate(3 hours)"}))

    kept = schedule_of(scheduling.schedule_group, "org_a", connection.id)
    assert kept is not None and kept["ScheduleExpression"] == "rate(1 hour)"
    assert schedule_of(scheduling.schedule_group, "org_a", unscheduled.id) is None
    assert connections.get(CALLER, connection.id).config["schedule"] == "rate(1 hour)"


def test_removing_a_schedule_keeps_it_until_the_record_no_longer_names_it(scheduling: LocalResources) -> None:
    connections, repository, _ = service(scheduling)
    connection = connections.create(CALLER, create_request("rate(1 hour)"))
    repository.failing.add("replace")

    with pytest.raises(ConcurrentModification):
        connections.update(CALLER, connection.id, UpdateConnectionRequest(config={"schedule": None}))

    assert schedule_of(scheduling.schedule_group, "org_a", connection.id) is not None


def test_a_retried_delete_removes_a_schedule_the_first_attempt_left(scheduling: LocalResources) -> None:
    connections, _, _ = service(scheduling, scheduler_fails={"remove"})
    connection = connections.create(CALLER, create_request("rate(1 hour)"))

    with pytest.raises(SchedulerDown):
        connections.delete(CALLER, connection.id)
    left_behind = schedule_of(scheduling.schedule_group, "org_a", connection.id)
    with pytest.raises(NotFound):
        connections.delete(CALLER, connection.id)

    assert left_behind is not None
    assert schedules_in(scheduling.schedule_group) == {}


def test_another_organisation_cannot_remove_a_schedule(scheduling: LocalResources) -> None:
    connections, _, _ = service(scheduling)
    connection = connections.create(CALLER, create_request("rate(1 hour)"))

    with pytest.raises(NotFound):
        connections.delete(Caller("org_b", "user_2", AuthType.SESSION), connection.id)

    assert schedule_of(scheduling.schedule_group, "org_a", connection.id) is not None


def _no_filters():
    from connections.domain.list_filters import ConnectionFilters

    return ConnectionFilters()
