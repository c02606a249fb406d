"""Helpers of the scheduled sync tests: the functions' environment for the provisioned queues and
schedule group, what EventBridge Scheduler and SQS hold, and scheduled sync events."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from local.provision import LocalResources

FAR_FUTURE_SCHEDULE = "cron(0 3 1 JAN ? 2199)"


def reset_scheduling_clients() -> None:
    """Forget the cached Scheduler and SQS clients, as a new container would."""
    from connections.adapters.scheduling import eventbridge_sync_schedules, sqs_sync_page_queue

    eventbridge_sync_schedules.scheduler_client.cache_clear()
    sqs_sync_page_queue.sqs_client.cache_clear()


def use_scheduled_syncs(monkeypatch: pytest.MonkeyPatch, resources: LocalResources) -> None:
    """Give this process the environment the template gives the scheduled sync functions."""
    from local.lambda_container import reset_container_state

    monkeypatch.setenv("SYNC_PAGE_QUEUE_URL", resources.sync_page_queue_url)
    monkeypatch.setenv("SCHEDULE_GROUP", resources.schedule_group)
    monkeypatch.setenv("SCHEDULER_ROLE_ARN", resources.scheduler_role_arn)
    monkeypatch.setenv("SCHEDULED_SYNC_FUNCTION_ARN", resources.scheduled_sync_function_arn)
    # The fake platforms listen on 127.0.0.1 over http: allowed only with this local/test switch.
    monkeypatch.setenv("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")
    reset_container_state()
    reset_scheduling_clients()


def schedules_in(group: str) -> dict[str, dict[str, Any]]:
    """Every schedule of the group by name, as GetSchedule returns it."""
    scheduler = boto3.client("scheduler")
    names = [summary["Name"] for summary in scheduler.list_schedules(GroupName=group)["Schedules"]]
    return {name: scheduler.get_schedule(Name=name, GroupName=group) for name in names}


def schedule_of(group: str, org_id: str, connection_id: str) -> dict[str, Any] | None:
    from connections.adapters.scheduling.eventbridge_sync_schedules import schedule_name

    return schedules_in(group).get(schedule_name(org_id, connection_id))


def queue_messages(queue_url: str) -> int:
    """Messages in the queue: visible, in flight or delayed.

    Read in two calls, the hidden ones first. One call computes the visible count before the in-flight
    one, so a message whose visibility timeout ran out between the two was in neither, and an empty
    queue was reported while a failed page still waited for its next delivery (and never reached the
    dead-letter queue). A message only turns from hidden to visible by itself; read in this order it is
    counted (once, or twice at worst) whenever it turns, as long as nothing else receives from the
    queue while a test counts.
    """
    sqs = boto3.client("sqs")
    hidden = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
    )["Attributes"]
    visible = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return (
        int(hidden["ApproximateNumberOfMessagesNotVisible"])
        + int(hidden["ApproximateNumberOfMessagesDelayed"])
        + int(visible["ApproximateNumberOfMessages"])
    )


def peek_bodies(queue_url: str) -> list[dict[str, Any]]:
    """The bodies of the visible messages, which are visible again afterwards."""
    sqs = boto3.client("sqs")
    received: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60)
        messages = batch.get("Messages", [])
        if not messages:
            break
        received += [dict(message) for message in messages]
    for message in received:
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    return [json.loads(message["Body"]) for message in received]


def scheduled_event(org_id: str, connection_id: str, scheduled_time: str | None = None) -> dict[str, Any]:
    """The event a connection's schedule sends (adapters/scheduling/eventbridge_sync_schedules.py)."""
    event = {"orgId": org_id, "connectionId": connection_id}
    return event | ({"scheduledTime": scheduled_time} if scheduled_time else {})
