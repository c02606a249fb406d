"""Scheduled syncs without AWS, against moto: the schedules in moto's EventBridge Scheduler fire from a
local scheduler loop, and page workers poll the page queue as Lambda's SQS event source mapping does.

- ``LocalScheduler`` lists the sync schedule group every tick and invokes the schedule's target
  function (ScheduledSync) with the schedule's input, ``<aws.scheduler.scheduled-time>`` filled in,
  for each rate or cron occurrence that came due (UTC).
- ``SqsPageWorker`` is one worker "container": it receives up to the event source's batch size,
  invokes the SyncPageWorker function with an SQS event, and deletes every message except the
  batch item failures (all of them when the function raises), which come back after the queue's
  visibility timeout and move to the dead-letter queue after its maxReceiveCount.
- ``LocalScheduledSyncs`` runs the scheduler loop in a thread and the workers in processes of their
  own, as separate Lambda containers would be (``connections-dev serve`` starts it).

The embedded moto server answers one request at a time, so workers poll without long polling
(a waiting ReceiveMessage would hold every other request up) and sleep a little when the queue is empty.

    python -m local.scheduled_syncs --queue-url URL     # one page worker, until SIGTERM or Ctrl-C
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from local.api_gateway import LambdaContextStub, function_timeout, load_handler
from local.sam_template import PROJECT_ROOT, functions, load_template

SCHEDULED_SYNC_FUNCTION = "ScheduledSyncFunction"
PAGE_WORKER_FUNCTION = "SyncPageWorkerFunction"
SCHEDULED_TIME_PLACEHOLDER = "<aws.scheduler.scheduled-time>"
DEFAULT_WORKERS = 2
DEFAULT_TICK_SECONDS = 10.0
IDLE_SLEEP_SECONDS = 0.5
READY_LINE = "Page worker polling the page queue"
# How far back a cron schedule's missed minutes are looked at after a pause of the loop.
MAX_CRON_CATCH_UP = timedelta(days=1)

Handler = Callable[[dict[str, Any], Any], Any]


def function_handler(function_id: str) -> Handler:
    """The template function's handler, imported once."""
    properties = functions()[function_id]["Properties"]
    return load_handler(PROJECT_ROOT / properties["CodeUri"], properties.get("Handler", "app.lambda_handler"))


def _parameter_default(value: Any) -> Any:
    if isinstance(value, dict) and "Ref" in value:
        return load_template()["Parameters"][value["Ref"]]["Default"]
    return value


def page_event_source() -> dict[str, Any]:
    """The SyncPageWorker function's SQS event source from the template (BatchSize, ScalingConfig...)."""
    events = functions()[PAGE_WORKER_FUNCTION]["Properties"]["Events"]
    source = next(event["Properties"] for event in events.values() if event["Type"] == "SQS")
    scaling = source.get("ScalingConfig") or {}
    return {
        "batch_size": int(source.get("BatchSize", 10)),
        "maximum_concurrency": int(_parameter_default(scaling.get("MaximumConcurrency", 2))),
        "report_batch_item_failures": "ReportBatchItemFailures" in (source.get("FunctionResponseTypes") or []),
    }


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str = "us-east-1") -> dict[str, Any]:
    """The event Lambda's event source mapping builds from received SQS messages."""
    records = []
    for message in messages:
        attributes = message.get("Attributes") or {}
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {
                    "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
                    "SentTimestamp": attributes.get("SentTimestamp", str(int(time.time() * 1000))),
                    "SenderId": attributes.get("SenderId", "local"),
                    "ApproximateFirstReceiveTimestamp": attributes.get(
                        "ApproximateFirstReceiveTimestamp", str(int(time.time() * 1000))
                    ),
                },
                "messageAttributes": {},
                "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


@dataclass
class PollResult:
    received: int = 0
    deleted: int = 0
    failed: int = 0


@dataclass
class SqsPageWorker:
    """Feeds page messages to the SyncPageWorker function, one batch per poll."""

    queue_url: str
    batch_size: int = field(default_factory=lambda: page_event_source()["batch_size"])
    client: Any = None
    handler: Handler | None = None
    _queue_arn: str | None = None

    def __post_init__(self) -> None:
        self.client = self.client or boto3.client("sqs")
        self.handler = self.handler or function_handler(PAGE_WORKER_FUNCTION)

    @property
    def queue_arn(self) -> str:
        if self._queue_arn is None:
            attributes = self.client.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
            self._queue_arn = str(attributes["Attributes"]["QueueArn"])
        return self._queue_arn

    def poll_once(self) -> PollResult:
        """Receive one batch (without waiting), run the function on it, delete what it finished."""
        messages = self.client.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(self.batch_size, 10),
            WaitTimeSeconds=0,
            AttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return PollResult()
        event = sqs_event(messages, self.queue_arn)
        context = LambdaContextStub(PAGE_WORKER_FUNCTION, timeout_seconds=function_timeout(PAGE_WORKER_FUNCTION))
        assert self.handler is not None
        try:
            response = self.handler(event, context)
            failed = {item["itemIdentifier"] for item in (response or {}).get("batchItemFailures", [])}
        except Exception:
            # The whole batch failed, as when the Lambda function raises: every message comes back.
            traceback.print_exc(file=sys.stderr)
            failed = {message["MessageId"] for message in messages}
        finished = [message for message in messages if message["MessageId"] not in failed]
        if finished:
            self.client.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(finished)],
            )
        return PollResult(received=len(messages), deleted=len(finished), failed=len(failed))

    def run(self, stop: threading.Event, idle_sleep: float = IDLE_SLEEP_SECONDS) -> None:
        """Poll until ``stop`` is set, sleeping a little whenever the queue is empty."""
        while not stop.is_set():
            try:
                result = self.poll_once()
            except Exception:
                traceback.print_exc(file=sys.stderr)
                result = PollResult()
            if result.received == 0:
                stop.wait(idle_sleep)


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromtimestamp(float(value), UTC)


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _scheduled_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class LocalScheduler:
    """Fires the schedules of one schedule group the way EventBridge Scheduler would, in UTC."""

    def __init__(
        self,
        group: str,
        client: Any | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        invoke: Callable[[str, dict[str, Any]], Any] | None = None,
    ) -> None:
        self._group = group
        self._client = client or boto3.client("scheduler")
        self._now = now
        self._invoke = invoke or invoke_function
        # Per schedule version (name, last modification): the last occurrence fired or looked at.
        self._last: dict[tuple[str, str], datetime] = {}

    def _schedules(self) -> Iterator[dict[str, Any]]:
        token = None
        while True:
            page = self._client.list_schedules(GroupName=self._group, **({"NextToken": token} if token else {}))
            for summary in page.get("Schedules", []):
                yield self._client.get_schedule(Name=summary["Name"], GroupName=self._group)
            token = page.get("NextToken")
            if not token:
                return

    def tick(self) -> list[tuple[str, Any]]:
        """Fire every schedule with an occurrence due since the last tick; (name, result) of each."""
        now = self._now()
        fired = []
        for schedule in self._schedules():
            if schedule.get("State", "ENABLED") != "ENABLED":
                continue
            occurrence = self._due(schedule, now)
            if occurrence is None:
                continue
            try:
                fired.append((schedule["Name"], self._fire(schedule, occurrence)))
            except Exception:
                traceback.print_exc(file=sys.stderr)
        return fired

    def _due(self, schedule: dict[str, Any], now: datetime) -> datetime | None:
        from connections.domain.schedule_expression import InvalidScheduleExpression, ScheduleExpression
        from local.cron_matching import fires

        modified = _utc(schedule.get("LastModificationDate") or schedule.get("CreationDate") or now)
        key = (schedule["Name"], modified.isoformat())
        last = self._last.setdefault(key, modified)
        try:
            expression = ScheduleExpression.parse(schedule["ScheduleExpression"])
        except InvalidScheduleExpression:
            return None
        if expression.interval_minutes is not None:
            interval = timedelta(minutes=expression.interval_minutes)
            if now < last + interval:
                return None
            occurrence = last + interval * ((now - last) // interval)
            self._last[key] = occurrence
            return occurrence
        assert expression.cron is not None
        minute = max(_minute(last) + timedelta(minutes=1), _minute(now) - MAX_CRON_CATCH_UP)
        due = None
        while minute <= now:
            if fires(expression.cron, minute):
                due = minute
            minute += timedelta(minutes=1)
        self._last[key] = _minute(now)
        return due

    def _fire(self, schedule: dict[str, Any], occurrence: datetime) -> Any:
        target = schedule["Target"]
        text = str(target.get("Input") or "{}").replace(SCHEDULED_TIME_PLACEHOLDER, _scheduled_time(occurrence))
        return self._invoke(target["Arn"].rsplit(":", 1)[-1], json.loads(text))

    def run(self, stop: threading.Event, tick_seconds: float = DEFAULT_TICK_SECONDS) -> None:
        """Tick until ``stop`` is set."""
        while not stop.wait(tick_seconds):
            try:
                self.tick()
            except Exception:
                traceback.print_exc(file=sys.stderr)


def invoke_function(function_id: str, event: dict[str, Any]) -> Any:
    """Run a template function on an event in this process, as an asynchronous invocation would."""
    context = LambdaContextStub(function_id, timeout_seconds=function_timeout(function_id))
    return function_handler(function_id)(event, context)


def trigger(org_id: str, connection_id: str) -> Any:
    """Run the connection's scheduled sync now, as its schedule would (without a scheduled time, so
    every trigger is a separate attempt). The function environment must already be set."""
    return invoke_function(SCHEDULED_SYNC_FUNCTION, {"orgId": org_id, "connectionId": connection_id})


def wait_for_run(org_id: str, run_id: str, table_name: str, timeout_seconds: float) -> dict[str, Any] | None:
    """The run's status once it is no longer running (or when the time is up)."""
    from connections.adapters.dynamodb.sync_run_repository import DynamoSyncRunRepository

    runs = DynamoSyncRunRepository(table_name, boto3.client("dynamodb"))
    deadline = time.monotonic() + timeout_seconds
    while True:
        run = runs.get(org_id, run_id)
        if run is None:
            return None
        if run.status.value != "running" or time.monotonic() > deadline:
            return run.to_status_response()
        time.sleep(0.5)


def start_worker_process(
    queue_url: str, environment: dict[str, str] | None = None, stdout: Any = None, niceness: int = 0
) -> subprocess.Popen[bytes]:
    """One page worker in a process of its own (the caller stops it with ``stop_worker_process``).

    ``niceness`` lowers its CPU priority, so that a moto server on the same machine, which every
    worker waits for, is not starved by the workers it serves."""
    return subprocess.Popen(  # noqa: S603 - this interpreter running this module
        [sys.executable, "-m", "local.scheduled_syncs", "--queue-url", queue_url],
        cwd=PROJECT_ROOT,
        env=environment if environment is not None else dict(os.environ),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.STDOUT if stdout is not None else None,
        preexec_fn=(lambda: os.nice(niceness)) if niceness else None,
    )


def stop_worker_process(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM (the worker finishes its batch), SIGKILL if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


class LocalScheduledSyncs:
    """The scheduler loop in a thread of this process, and page workers in processes of their own."""

    def __init__(
        self,
        queue_url: str,
        schedule_group: str,
        workers: int = DEFAULT_WORKERS,
        tick_seconds: float = DEFAULT_TICK_SECONDS,
    ) -> None:
        self._queue_url = queue_url
        self._scheduler = LocalScheduler(schedule_group)
        self._workers = workers
        self._tick_seconds = tick_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._scheduler.run, args=(self._stop, tick_seconds), daemon=True)
        self._processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> LocalScheduledSyncs:
        function_handler(SCHEDULED_SYNC_FUNCTION)  # imported before the loop's thread needs it
        self._processes = [start_worker_process(self._queue_url) for _ in range(self._workers)]
        self._thread.start()
        return self

    def describe(self) -> str:
        return (
            f"{self._workers} page workers on the page queue; schedules fire every {self._tick_seconds:g} s "
            "(connections-dev trigger-sync CONNECTION_ID runs one now)"
        )

    def stop(self) -> None:
        self._stop.set()
        for process in self._processes:
            stop_worker_process(process)
        self._thread.join(timeout=30)


def _worker_main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="One page worker of scheduled syncs, until SIGTERM or Ctrl-C.")
    parser.add_argument("--queue-url", required=True)
    parser.add_argument("--batch-size", type=int, default=None)
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    worker = SqsPageWorker(args.queue_url, **({"batch_size": args.batch_size} if args.batch_size else {}))
    print(f"{READY_LINE} (pid {os.getpid()}, batch size {worker.batch_size})", file=sys.stderr, flush=True)
    worker.run(stop)


if __name__ == "__main__":
    _worker_main()
