"""local/provision.py creates the template's queues in moto with the template's settings, and every
function variable the template declares resolves to a local resource."""

from __future__ import annotations

import boto3
import pytest

from local.dev_stack import template_environment
from local.provision import LocalResources
from local.sam_template import load_template


def attributes(queue_url: str) -> dict[str, str]:
    answer = boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])
    return {str(name): value for name, value in answer["Attributes"].items()}


def test_the_scheduled_sync_failure_queue_is_provisioned_as_the_template_defines_it(aws: LocalResources) -> None:
    template_queue = load_template()["Resources"]["ScheduledSyncFailureQueue"]["Properties"]

    assert aws.scheduled_sync_failure_queue_url
    assert aws.scheduled_sync_failure_queue_url not in {aws.sync_page_queue_url, aws.sync_page_dead_letter_queue_url}
    assert attributes(aws.scheduled_sync_failure_queue_url)["MessageRetentionPeriod"] == str(
        template_queue["MessageRetentionPeriod"]
    )


def test_every_function_variable_resolves_locally(aws: LocalResources, capsys: pytest.CaptureFixture[str]) -> None:
    template_environment(aws)

    assert "which the local stack does not create" not in capsys.readouterr().err
