"""template.yaml for scheduled syncs: the page queue and its dead-letter queue, ScheduledSync's failure
queue, the worker's event source, the role EventBridge Scheduler assumes, and who may touch schedules
and queues."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.unit.test_template import (
    ALLOWED_MANAGED_POLICIES,
    actions_of,
    environment_of,
    functions,
    referenced_ids,
    routes_of,
    statements_of,
    template,
)

SCHEDULE_VARIABLES = {"SCHEDULE_GROUP", "SCHEDULER_ROLE_ARN", "SCHEDULED_SYNC_FUNCTION_ARN"}
SCHEDULE_WRITERS = {"CreateConnectionFunction", "UpdateConnectionFunction"}
SCHEDULE_KEEPERS = SCHEDULE_WRITERS | {"DeleteConnectionFunction"}
QUEUE_SENDERS = {"ScheduledSyncFunction", "SyncPageWorkerFunction"}


def resource(logical_id: str) -> dict[str, Any]:
    return template()["Resources"][logical_id]


def statements_with(function: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [s for s in statements_of(function) if any(a.startswith(prefix) for a in actions_of(s))]


def sub_text(node: Any) -> str:
    return node["Fn::Sub"] if isinstance(node, dict) and isinstance(node.get("Fn::Sub"), str) else ""


def test_page_queue_sends_pages_to_the_dead_letter_queue_after_the_page_attempts() -> None:
    from connections.domain.sync_service import MAX_PAGE_ATTEMPTS

    queue = resource("SyncPageQueue")["Properties"]
    dead_letters = resource("SyncPageDeadLetterQueue")["Properties"]
    worker = functions()["SyncPageWorkerFunction"]["Properties"]

    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["SyncPageDeadLetterQueue", "Arn"]}
    assert queue["RedrivePolicy"]["maxReceiveCount"] == MAX_PAGE_ATTEMPTS
    # AWS advises six times the function's timeout for an SQS event source.
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]
    assert queue["SqsManagedSseEnabled"] is True and dead_letters["SqsManagedSseEnabled"] is True
    assert dead_letters["MessageRetentionPeriod"] == 14 * 24 * 3600
    alarm = resource("SyncPageDeadLetterAlarm")["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["SyncPageDeadLetterQueue", "QueueName"]}


def test_worker_reports_batch_item_failures_with_bounded_concurrency() -> None:
    from connections.triggers.sync_page_batch import MIN_SECONDS_PER_PAGE

    worker = functions()["SyncPageWorkerFunction"]["Properties"]
    sources = [event["Properties"] for event in worker["Events"].values() if event["Type"] == "SQS"]
    parameter = template()["Parameters"]["SyncWorkerConcurrency"]

    assert len(sources) == 1
    source = sources[0]
    assert source["Queue"] == {"Fn::GetAtt": ["SyncPageQueue", "Arn"]}
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "SyncWorkerConcurrency"}
    assert 2 <= parameter["MinValue"] <= parameter["Default"] <= parameter["MaxValue"] <= 1000
    assert 1 <= source["BatchSize"] <= 10
    assert worker["Timeout"] > MIN_SECONDS_PER_PAGE


def test_trigger_functions_are_not_routes() -> None:
    for function_id in QUEUE_SENDERS:
        assert routes_of(functions()[function_id]) == []
    scheduled = functions()["ScheduledSyncFunction"]["Properties"]
    assert scheduled["EventInvokeConfig"]["MaximumRetryAttempts"] <= 2


def test_only_create_update_and_delete_touch_schedules_and_only_in_the_sync_group() -> None:
    with_scheduler = {fid for fid, f in functions().items() if statements_with(f, "scheduler:")}
    with_variables = {fid for fid, f in functions().items() if SCHEDULE_VARIABLES & set(environment_of(f))}

    assert with_scheduler == with_variables == SCHEDULE_KEEPERS
    for function_id in SCHEDULE_KEEPERS:
        function = functions()[function_id]
        assert set(environment_of(function)) >= SCHEDULE_VARIABLES
        for statement in statements_with(function, "scheduler:"):
            assert "schedule/${SyncScheduleGroup}/*" in sub_text(statement["Resource"]), function_id
            assert actions_of(statement) <= {
                "scheduler:CreateSchedule",
                "scheduler:UpdateSchedule",
                "scheduler:DeleteSchedule",
            }
    delete_actions = {a for s in statements_of(functions()["DeleteConnectionFunction"]) for a in actions_of(s)}
    assert {a for a in delete_actions if a.startswith("scheduler:")} == {"scheduler:DeleteSchedule"}


def test_only_schedule_writers_pass_the_scheduler_role_and_only_to_the_scheduler() -> None:
    passing = {fid for fid, f in functions().items() if statements_with(f, "iam:")}

    assert passing == SCHEDULE_WRITERS
    for function_id in passing:
        for statement in statements_with(functions()[function_id], "iam:"):
            assert actions_of(statement) == {"iam:PassRole"}
            assert statement["Resource"] == {"Fn::GetAtt": ["SchedulerInvokeRole", "Arn"]}
            assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}


def test_the_scheduler_role_can_only_invoke_the_scheduled_sync_for_this_accounts_sync_schedules() -> None:
    role = resource("SchedulerInvokeRole")["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    (policy,) = role["Policies"]
    (permission,) = policy["PolicyDocument"]["Statement"]

    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert "schedule/${SyncScheduleGroup}/*" in sub_text(trust["Condition"]["ArnLike"]["aws:SourceArn"])
    assert permission["Action"] == "lambda:InvokeFunction"
    assert permission["Resource"] == {"Fn::GetAtt": ["ScheduledSyncFunction", "Arn"]}
    assert "ManagedPolicyArns" not in role


def test_only_the_scheduled_sync_functions_send_to_the_page_queue() -> None:
    senders = {fid for fid, f in functions().items() if statements_with(f, "sqs:")}
    with_queue = {fid for fid, f in functions().items() if "SYNC_PAGE_QUEUE_URL" in environment_of(f)}

    assert senders == with_queue == QUEUE_SENDERS
    for function_id in senders:
        for statement in statements_with(functions()[function_id], "sqs:"):
            assert actions_of(statement) == {"sqs:SendMessage"}
            assert referenced_ids(statement["Resource"]) == {"SyncPageQueue"}
        assert environment_of(functions()[function_id])["SYNC_PAGE_QUEUE_URL"] == {"Ref": "SyncPageQueue"}


def test_scheduled_sync_failures_end_in_an_encrypted_queue_that_alarms() -> None:
    invoke_config = functions()["ScheduledSyncFunction"]["Properties"]["EventInvokeConfig"]
    queue = resource("ScheduledSyncFailureQueue")
    alarm = resource("ScheduledSyncFailureAlarm")["Properties"]

    assert invoke_config["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["ScheduledSyncFailureQueue", "Arn"]},
    }
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    # Nothing consumes the queue: a message there is a failed occurrence waiting to be looked at.
    assert "RedrivePolicy" not in queue["Properties"]
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["ScheduledSyncFailureQueue", "QueueName"]}}
    ]
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold" and alarm["Threshold"] == 0
    assert alarm["TreatMissingData"] == "notBreaching"


def test_only_sams_destination_grant_reaches_the_failure_queue() -> None:
    # SAM adds sqs:SendMessage on the destination's ARN to the function's role (checked below where
    # samtranslator is installed); no statement of the template may grant anything else on it.
    for function_id, function in functions().items():
        for statement in statements_of(function):
            assert "ScheduledSyncFailureQueue" not in referenced_ids(statement["Resource"]), function_id
        if function_id != "ScheduledSyncFunction":
            assert "DestinationConfig" not in (function["Properties"].get("EventInvokeConfig") or {}), function_id
    for logical_id, definition in template()["Resources"].items():
        if definition["Type"] in {"AWS::SQS::QueuePolicy", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}:
            assert "ScheduledSyncFailureQueue" not in str(definition), logical_id


def test_the_translated_role_may_only_send_to_the_failure_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("samtranslator", reason="samtranslator comes with the lint extra (make lint)")
    from samtranslator.translator.transform import transform

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    document = copy.deepcopy(template())  # the shared loader's long forms are what the translator reads
    for definition in document["Resources"].values():
        # Translation wants code in S3; where the code is does not change the policies.
        for uri in ("CodeUri", "ContentUri"):
            if uri in definition.get("Properties", {}):
                definition["Properties"][uri] = "s3://bucket/key.zip"

    class ManagedPolicies:
        def load(self) -> dict[str, str]:
            return {name: f"arn:aws:iam::aws:policy/{name}" for name in ALLOWED_MANAGED_POLICIES}

    resources = transform(document, {}, ManagedPolicies())["Resources"]
    grants = [
        (role_id, statement)
        for role_id, role in resources.items()
        if role["Type"] == "AWS::IAM::Role"
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
        if "ScheduledSyncFailureQueue" in referenced_ids(statement.get("Resource"))
    ]

    assert [(role_id, actions_of(statement)) for role_id, statement in grants] == [
        ("ScheduledSyncFunctionRole", {"sqs:SendMessage"})
    ]
    assert grants[0][1]["Resource"] == {"Fn::GetAtt": ["ScheduledSyncFailureQueue", "Arn"]}
