"""Failures nobody planned for inside run work (a bug in a mapper, a classifier crash, a storage fault):
logged with their type and traceback but never their text, which may carry item data or a platform's
answer, and described to callers and in ``lastError`` by a fixed message."""

from __future__ import annotations

import logging
import traceback

# What a caller and the run's lastError are told; the log says the rest.
INTERNAL_ERROR = "Internal error (the service logged it)"

_logger = logging.getLogger("connections.runs")


def log_unexpected(what: str, error: BaseException) -> None:
    """Log an unexpected exception: its type and the frames it passed, without its message."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    _logger.error("%s failed unexpectedly: %s\n%s", what, type(error).__name__, frames)


def log_unrecorded(what: str, error: BaseException) -> None:
    """Log that a failure could not be recorded (the lease will lapse instead), type only."""
    _logger.warning("%s: the failure could not be recorded (%s); its lease will lapse", what, type(error).__name__)
