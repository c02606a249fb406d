"""The scheduled sync tests wait for the page queue to drain by counting its messages
(``queue_messages``). A failed page waits in the queue, hidden, for its visibility timeout; it must be
counted whenever that timeout runs out, or a test stops waiting while the page still has a delivery
to come (and finds the dead-letter queue empty). The moment it runs out is placed at each of the
clock reads the count makes, in turn, by stepping the clock moto's queue reads."""

from __future__ import annotations

from collections.abc import Callable

import boto3
import pytest

from local.provision import LocalResources
from tests.support.scheduled_syncs import queue_messages

LATER_MS = 120_000.0  # past any visibility timeout of the test


class SteppedClock:
    """moto's SQS clock: the real time for the first ``reads_before`` reads, two minutes later after."""

    def __init__(self, real: Callable[[], float], reads_before: int) -> None:
        self._real, self._left, self.reads = real, reads_before, 0

    def __call__(self) -> float:
        self.reads += 1
        if self.reads > self._left:
            return self._real() + LATER_MS
        return self._real()


def test_a_message_turning_visible_while_counted_is_counted(
    aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moto.sqs.models as sqs_models

    sqs = boto3.client("sqs")
    queue_url = aws.sync_page_queue_url
    sqs.send_message(QueueUrl=queue_url, MessageBody="{}")
    assert sqs.receive_message(QueueUrl=queue_url, VisibilityTimeout=60)["Messages"]  # in flight, hidden
    real = sqs_models.unix_time_millis
    probe = SteppedClock(real, reads_before=10**9)
    monkeypatch.setattr(sqs_models, "unix_time_millis", probe)
    queue_messages(queue_url)
    reads_per_count = probe.reads
    assert reads_per_count >= 2

    counts = {}
    for reads_before in range(reads_per_count + 1):
        monkeypatch.setattr(sqs_models, "unix_time_millis", SteppedClock(real, reads_before))
        counts[reads_before] = queue_messages(queue_url)

    # Never missed, whenever its visibility timeout runs out during the count (counted twice at worst,
    # which only makes a drain poll once more).
    assert {reads_before: count for reads_before, count in counts.items() if count < 1} == {}
    assert set(counts.values()) <= {1, 2}
