"""A connection's sync and push runs are read newest first, a page at a time, with or without a status
filter, from RunsByConnection: items read stay at the page, not the connection's history."""

from __future__ import annotations

import boto3

from connections.adapters.dynamodb.push_repository import DynamoPushRepository
from connections.adapters.dynamodb.sync_run_repository import DynamoSyncRunRepository
from connections.domain.activation import PushRun
from connections.domain.identifiers import RUN_PREFIX, new_id
from connections.domain.sync_run import RunStatus, SyncRun
from local.provision import LocalResources
from tests.integration.conftest import ApiClient
from tests.support.dynamodb_usage import dynamodb_usage

ORG = "org_a"
NOW = "2026-03-01T10:00:00.000Z"


def connection(api: ApiClient) -> str:
    body = {
        "name": "History",
        "platform": "custom_api",
        "direction": "bidirectional",
        "config": {"base_url": "https://x.example.com", "api_base_url": "https://x.example.com", "auth_type": "none"},
    }
    response = api.post("/api/connections", body)
    assert response.status == 201, response.text
    return str(response.json()["id"])


def test_runs_of_a_connection_are_read_newest_first_a_page_at_a_time(aws: LocalResources, api: ApiClient) -> None:
    connection_id = connection(api)
    other_id = connection(api)
    syncs = DynamoSyncRunRepository(aws.table_name, boto3.client("dynamodb"))
    pushes = DynamoPushRepository(aws.table_name, boto3.client("dynamodb"))
    started: list[SyncRun] = []
    for number in range(60):
        run = SyncRun(new_id(RUN_PREFIX), ORG, connection_id, RunStatus.RUNNING, 100, 1, 1, NOW, NOW)
        syncs.start(run, None)
        final = RunStatus.FAILED if number % 4 == 0 else RunStatus.COMPLETED
        assert syncs.finish(run, final, NOW) is not None
        started.append(run.changed(status=final))
    other = SyncRun(new_id(RUN_PREFIX), ORG, other_id, RunStatus.RUNNING, 100, 1, 1, NOW, NOW)
    syncs.start(other, None)
    push = PushRun(new_id(RUN_PREFIX), ORG, connection_id, RunStatus.RUNNING, 1, NOW, NOW)
    pushes.start(push, None)

    with dynamodb_usage(aws.table_name) as usage:
        first, after = syncs.history(ORG, connection_id, limit=10)
    second, _ = syncs.history(ORG, connection_id, after=after, limit=10)
    failed, _ = syncs.history(ORG, connection_id, status=RunStatus.FAILED, limit=10)
    running, _ = syncs.history(ORG, connection_id, status=RunStatus.RUNNING, limit=10)
    push_history, end = pushes.history(ORG, connection_id)

    newest = sorted(started, key=lambda run: run.id, reverse=True)
    assert [run.id for run in first + second] == [run.id for run in newest[:20]]
    assert usage.items_read <= 10 + 2  # the page and the share margin of its one partition
    assert [run.id for run in failed] == [run.id for run in newest if run.status is RunStatus.FAILED][:10]
    assert running == []  # the other connection's running sync is not this connection's
    assert [run.id for run in push_history] == [push.id] and end is None
