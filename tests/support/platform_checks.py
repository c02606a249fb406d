"""Helpers of the platform adapter tests: recorded retry waits, a log capture on the root logger,
shortened deadlines, and the check that no credential or issued token was shown or logged."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from connections.domain.deadline import Deadline
from connections.domain.outbound_errors import OutboundError
from connections.ports.platforms import SegmentSpec

MAX_BYTES = 64 * 1024
SHORT = 2.0
SEGMENT = SegmentSpec(
    external_id="topic_01HZX",
    name="Auto Intenders > SUVs",
    description="In-market for an SUV",
    cpm=2.25,
    currency="USD",
    taxonomy_path=("Automotive", "SUV"),
    data_source_location="US",
)


class RecordingSleep:
    """Stands in for time.sleep: remembers each retry wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class CapturedLogs(logging.Handler):
    """Every record that reaches the root logger at INFO or above, formatted as Lambda would print it."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def deadline(seconds: float = 10.0) -> Deadline:
    """A deadline ``seconds`` from now (generous by default; SHORT where a fault must be cut off)."""
    return Deadline.after(seconds)


def secrets_of(fake: Any) -> list[str]:
    """Every credential value of a fake and every token it issued."""
    found = [value for value in fake.credentials.values() if value]
    store = getattr(fake, "tokens", None)
    if store is not None:
        found += store.issued
    return found


def assert_no_secrets(fake: Any, logs: CapturedLogs, *shown: object) -> None:
    """No credential or token in the logs or in what was shown (results, errors); the failure names
    where the secret was found, never the secret."""
    places = {"logs": logs.text} | {f"shown[{i}]": f"{item!r} {item}" for i, item in enumerate(shown)}
    for number, secret in enumerate(secrets_of(fake)):
        for place, text in places.items():
            if secret in text:
                raise AssertionError(f"secret #{number} of the fake appears in {place}")


def failure(call: Callable[[], object]) -> OutboundError:
    """The OutboundError ``call`` raises (the test fails if it raises none)."""
    with pytest.raises(OutboundError) as caught:
        call()
    return caught.value
