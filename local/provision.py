"""Create the template's table, KMS key, sync page queues and schedule group in whatever endpoint boto3
points at (moto, locally)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

from local.sam_template import load_template, table_definition, ttl_attribute

LOCAL_ACCOUNT = "123456789012"
LOCAL_REGION = "us-east-1"


@dataclass(frozen=True)
class LocalResources:
    table_name: str
    key_arn: str
    # Scheduled syncs (empty where a caller provisioned only the table and key).
    sync_page_queue_url: str = ""
    sync_page_dead_letter_queue_url: str = ""
    schedule_group: str = ""
    scheduler_role_arn: str = ""
    scheduled_sync_function_arn: str = ""
    scheduled_sync_failure_queue_url: str = ""


@dataclass(frozen=True)
class SyncQueues:
    page_queue_url: str
    dead_letter_queue_url: str
    # ScheduledSync's on-failure destination (nothing sends to it locally: invocations there are synchronous).
    failure_queue_url: str


def local_function_arn(function_id: str) -> str:
    """The ARN a function of the template has locally (its logical id is its name)."""
    return f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT}:function:{function_id}"


def local_role_arn(name: str) -> str:
    return f"arn:aws:iam::{LOCAL_ACCOUNT}:role/{name}"


def _queue_properties(logical_id: str) -> dict[str, Any]:
    return dict(load_template()["Resources"][logical_id].get("Properties") or {})


def create_sync_queues(prefix: str, client: Any | None = None, *, visibility_timeout: int | None = None) -> SyncQueues:
    """The page queue, its dead-letter queue and ScheduledSync's failure queue with the template's
    settings (the redrive policy's maxReceiveCount included); ``visibility_timeout`` overrides the
    page queue's, for tests."""
    sqs = client or boto3.client("sqs")
    dead_letter = _queue_properties("SyncPageDeadLetterQueue")
    dead_letter_url = sqs.create_queue(
        QueueName=f"{prefix}-sync-pages-dlq",
        Attributes={"MessageRetentionPeriod": str(dead_letter.get("MessageRetentionPeriod", 1209600))},
    )["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letter_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    pages = _queue_properties("SyncPageQueue")
    redrive = {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": pages["RedrivePolicy"]["maxReceiveCount"]}
    page_queue_url = sqs.create_queue(
        QueueName=f"{prefix}-sync-pages",
        Attributes={
            "VisibilityTimeout": str(
                visibility_timeout if visibility_timeout is not None else pages["VisibilityTimeout"]
            ),
            "MessageRetentionPeriod": str(pages.get("MessageRetentionPeriod", 345600)),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    failures = _queue_properties("ScheduledSyncFailureQueue")
    failure_queue_url = sqs.create_queue(
        QueueName=f"{prefix}-scheduled-sync-failures",
        Attributes={"MessageRetentionPeriod": str(failures["MessageRetentionPeriod"])},
    )["QueueUrl"]
    return SyncQueues(page_queue_url, dead_letter_url, failure_queue_url)


def create_schedule_group(name: str, client: Any | None = None) -> str:
    """The EventBridge Scheduler group that holds the connections' sync schedules."""
    scheduler = client or boto3.client("scheduler")
    scheduler.create_schedule_group(Name=name)
    return name


def create_table(table_name: str, client: Any | None = None) -> None:
    """Create the table exactly as template.yaml defines it, and enable its TTL."""
    dynamodb = client or boto3.client("dynamodb")
    dynamodb.create_table(TableName=table_name, **table_definition())
    dynamodb.get_waiter("table_exists").wait(TableName=table_name)
    attribute = ttl_attribute()
    if attribute:
        dynamodb.update_time_to_live(
            TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute}
        )


def create_credentials_key(client: Any | None = None) -> str:
    """A symmetric KMS key with rotation, as the template's CredentialsKey; returns its ARN."""
    kms = client or boto3.client("kms")
    key_arn = kms.create_key(Description="Connection credentials (local)")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key_arn)
    return key_arn


def provision(table_name: str = "connections-local", *, page_visibility_timeout: int | None = None) -> LocalResources:
    """Table, key, sync page queues and schedule group for a local or test environment."""
    create_table(table_name)
    key_arn = create_credentials_key()
    queues = create_sync_queues(table_name, visibility_timeout=page_visibility_timeout)
    return LocalResources(
        table_name=table_name,
        key_arn=key_arn,
        sync_page_queue_url=queues.page_queue_url,
        sync_page_dead_letter_queue_url=queues.dead_letter_queue_url,
        schedule_group=create_schedule_group(f"{table_name}-syncs"),
        scheduler_role_arn=local_role_arn(f"{table_name}-scheduler"),
        scheduled_sync_function_arn=local_function_arn("ScheduledSyncFunction"),
        scheduled_sync_failure_queue_url=queues.failure_queue_url,
    )
