"""Scheduled syncs with page workers running at the same time, as separate Lambda containers would:
an embedded moto server (single-threaded, in this process: its in-memory DynamoDB transactions are not
thread-safe), the template's resources in it, this process's environment pointed at it, and page
workers in processes of their own polling its page queue. Used by the concurrent-worker tests and the
scheduled sync benchmark.

    with ScheduledSyncStack.started(tmp_path) as stack, segment_catalogue(items) as catalogue:
        stack.start_workers(3)
        connection_id = stack.create_connection("org_x", catalogue.config() | {"schedule": "rate(1 hour)"})
        run = stack.wait_for_run("org_x", stack.fire("org_x", connection_id)["runId"])
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from local.dev_stack import HOST, EmbeddedMoto
from local.provision import LocalResources, provision
from local.scheduled_syncs import (
    READY_LINE,
    SCHEDULED_SYNC_FUNCTION,
    invoke_function,
    start_worker_process,
    stop_worker_process,
)

CATALOGUE_CREDENTIALS = {"token": "catalogue-token"}
WORKER_NICENESS = 10


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _forget_cached_clients() -> None:
    """Clients and services cached by the layer, so the next ones see the current environment."""
    from connections import settings, wiring
    from connections.adapters.dynamodb import table_client
    from connections.adapters.scheduling import eventbridge_sync_schedules, sqs_sync_page_queue

    settings.settings.cache_clear()
    table_client.dynamodb_client.cache_clear()
    eventbridge_sync_schedules.scheduler_client.cache_clear()
    sqs_sync_page_queue.sqs_client.cache_clear()
    for name in dir(wiring):
        cached = getattr(wiring, name)
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()


class ScheduledSyncStack:
    def __init__(self, directory: Path, moto_url: str, resources: LocalResources) -> None:
        self.directory = directory
        self.moto_url = moto_url
        self.resources = resources
        self._workers: list[tuple[subprocess.Popen[bytes], Path, IO[bytes]]] = []

    @classmethod
    @contextmanager
    def started(cls, directory: Path, *, visibility_timeout: int | None = None) -> Iterator[ScheduledSyncStack]:
        """The stack, until the block ends (workers stopped, moto stopped, environment restored)."""
        saved = dict(os.environ)
        port = free_port()
        moto = EmbeddedMoto(port).start()
        stack = None
        try:
            moto_url = f"http://{HOST}:{port}"
            for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
                os.environ.pop(name, None)
            os.environ.update(
                {
                    "AWS_ENDPOINT_URL": moto_url,
                    "AWS_ACCESS_KEY_ID": "testing",
                    "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": "us-east-1",
                    "AWS_REGION": "us-east-1",
                }
            )
            _forget_cached_clients()
            resources = provision(f"connections-{uuid.uuid4().hex[:8]}", page_visibility_timeout=visibility_timeout)
            os.environ.update(
                {
                    "TABLE_NAME": resources.table_name,
                    "CREDENTIALS_KEY_ARN": resources.key_arn,
                    "ALLOWED_ORIGINS": "",
                    "SYNC_PAGE_QUEUE_URL": resources.sync_page_queue_url,
                    "SCHEDULE_GROUP": resources.schedule_group,
                    "SCHEDULER_ROLE_ARN": resources.scheduler_role_arn,
                    "SCHEDULED_SYNC_FUNCTION_ARN": resources.scheduled_sync_function_arn,
                    "CONNECTIONS_ALLOW_PRIVATE_TARGETS": "1",
                    "POWERTOOLS_TRACE_DISABLED": "1",
                    "POWERTOOLS_SERVICE_NAME": "connections",
                    "POWERTOOLS_METRICS_NAMESPACE": "Connections",
                }
            )
            _forget_cached_clients()
            stack = cls(directory, moto_url, resources)
            yield stack
        finally:
            if stack is not None:
                stack.stop_workers()
            os.environ.clear()
            os.environ.update(saved)
            _forget_cached_clients()
            moto.stop()

    # -- page workers ------------------------------------------------------------------------------

    def start_workers(self, count: int, niceness: int = WORKER_NICENESS) -> None:
        """``count`` more page workers, each a process of its own logging to a file of its own, at a lower
        CPU priority than this process, whose moto server they all wait for (as DynamoDB never waits for
        Lambda's CPU)."""
        for _ in range(count):
            log_path = self.directory / f"worker-{len(self._workers) + 1}.log"
            log = log_path.open("wb")
            process = start_worker_process(
                self.resources.sync_page_queue_url, dict(os.environ), stdout=log, niceness=niceness
            )
            self._workers.append((process, log_path, log))

    def stop_workers(self) -> None:
        for process, _, log in self._workers:
            stop_worker_process(process)
            log.close()
        self._workers = []

    def worker_log_lines(self) -> list[list[dict[str, Any]]]:
        """The JSON log lines of each worker started, in order of start."""
        logs = []
        for _, path, log in self._workers:
            log.flush()
            lines = []
            for text in path.read_text(errors="replace").splitlines():
                if text.startswith("{"):
                    try:
                        lines.append(json.loads(text))
                    except ValueError:
                        continue
            logs.append(lines)
        return logs

    def wait_until_workers_poll(self, timeout: float = 60.0) -> None:
        """Block until every worker has imported its function and polls the queue."""
        deadline = time.monotonic() + timeout
        while True:
            for process, _, _ in self._workers:
                if process.poll() is not None:
                    raise RuntimeError(f"a page worker exited with {process.returncode}")
            if all(READY_LINE in path.read_text(errors="replace") for _, path, _ in self._workers):
                return
            if time.monotonic() > deadline:
                raise RuntimeError("the page workers did not start polling in time")
            time.sleep(0.1)

    # -- the application ---------------------------------------------------------------------------

    def create_connection(self, org_id: str, config: dict[str, Any]) -> str:
        """An inbound custom API connection (session caller), with the catalogue's credentials."""
        from connections.domain.access import AuthType, Caller, OrgRole
        from connections.domain.connection_requests import CreateConnectionRequest
        from connections.wiring import connection_service

        body = {
            "name": "Seller catalogue",
            "platform": "custom_api",
            "direction": "inbound",
            "config": config,
            "credentials": CATALOGUE_CREDENTIALS,
        }
        request = CreateConnectionRequest.model_validate_json(json.dumps(body))
        caller = Caller(org_id, "user_bench", AuthType.SESSION, role=OrgRole.ADMIN)
        return connection_service(handles_credentials=True).create(caller, request).id

    def fire(self, org_id: str, connection_id: str, scheduled_time: str | None = None) -> dict[str, Any]:
        """What the connection's schedule does: ScheduledSync on the schedule's input."""
        event = {"orgId": org_id, "connectionId": connection_id}
        if scheduled_time:
            event["scheduledTime"] = scheduled_time
        return dict(invoke_function(SCHEDULED_SYNC_FUNCTION, event))

    def wait_for_run(self, org_id: str, run_id: str, timeout: float = 300.0) -> Any:
        """The run once it is no longer running (AssertionError when the time is up)."""
        from connections.wiring import sync_run_repository

        deadline = time.monotonic() + timeout
        while True:
            run = sync_run_repository().get(org_id, run_id)
            assert run is not None, f"run {run_id} is gone"
            if run.status.value != "running":
                return run
            assert time.monotonic() < deadline, f"run {run_id} still running after {timeout} s: {run}"
            time.sleep(0.2)

    def queue_depth(self, dead_letters: bool = False) -> int:
        from tests.support.scheduled_syncs import queue_messages  # never misses one turning visible

        url = self.resources.sync_page_dead_letter_queue_url if dead_letters else self.resources.sync_page_queue_url
        return queue_messages(url)

    def empty_table(self) -> None:
        """Drop and recreate the table (same name, so running workers keep using it): moto reads the whole
        table for every Query, so a table grown by earlier runs would slow later ones down."""
        import boto3

        from local.provision import create_table

        dynamodb = boto3.client("dynamodb")
        dynamodb.delete_table(TableName=self.resources.table_name)
        create_table(self.resources.table_name, dynamodb)

    def wait_until_queue_empty(self, timeout: float = 120.0) -> None:
        """Block until the page queue holds no message, visible or in flight."""
        deadline = time.monotonic() + timeout
        while self.queue_depth():
            assert time.monotonic() < deadline, "the page queue did not drain"
            time.sleep(0.2)

    def count_items(self, org_id: str, sort_key_prefix: str) -> int:
        """Items of the organisation whose sort key starts with the prefix, in its partition and its
        topic and claim shards (a patient client: moto counts a large partition slowly)."""
        import boto3
        from botocore.config import Config

        from connections.adapters.dynamodb.keys import TOPIC_SHARDS

        client = boto3.client("dynamodb", config=Config(read_timeout=300, retries={"max_attempts": 1}))
        partitions = [f"ORG#{org_id}"] + [
            f"ORG#{org_id}#{kind}#{shard}" for kind in ("TOPIC", "TKEY") for shard in range(TOPIC_SHARDS)
        ]
        total = 0
        for partition in partitions:
            request: dict[str, Any] = {
                "TableName": self.resources.table_name,
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                "ExpressionAttributeValues": {":pk": {"S": partition}, ":prefix": {"S": sort_key_prefix}},
                "Select": "COUNT",
            }
            while True:
                page = client.query(**request)
                total += int(page["Count"])
                if "LastEvaluatedKey" not in page:
                    break
                request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return total
