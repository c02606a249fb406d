"""SyncPageQueue on SQS: page messages sent ten at a time, entries SQS refused sent again."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from functools import cache
from typing import Any

from connections.adapters.aws_clients import new_client
from connections.domain.sync_page_message import SyncPageMessage

BATCH_LIMIT = 10
SEND_ATTEMPTS = 5


@cache
def sqs_client() -> Any:
    """One SQS client per container, created on first use."""
    return new_client("sqs")


class PageQueueUnavailable(RuntimeError):
    """SQS kept refusing some messages; the invocation fails and is retried."""


class SqsSyncPageQueue:
    def __init__(self, queue_url: str, client: Any | None = None) -> None:
        self._queue_url = queue_url
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = sqs_client()
        return self._client

    def enqueue(self, messages: Sequence[SyncPageMessage]) -> None:
        for start in range(0, len(messages), BATCH_LIMIT):
            pending = {
                str(index): message.to_body()
                for index, message in enumerate(messages[start : start + BATCH_LIMIT], start=start)
            }
            for attempt in range(SEND_ATTEMPTS):
                response = self.client.send_message_batch(
                    QueueUrl=self._queue_url,
                    Entries=[{"Id": entry_id, "MessageBody": body} for entry_id, body in pending.items()],
                )
                failed = {entry["Id"] for entry in response.get("Failed", [])}
                pending = {entry_id: body for entry_id, body in pending.items() if entry_id in failed}
                if not pending:
                    break
                time.sleep(random.uniform(0, min(1.0, 0.05 * 2**attempt)))  # noqa: S311 - jitter
            else:
                raise PageQueueUnavailable(f"SQS refused {len(pending)} page messages after {SEND_ATTEMPTS} attempts")
