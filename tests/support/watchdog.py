"""A watchdog for calls that must not run away on adversarial input.

Tests never assert timings; this only catches catastrophic behaviour (a super-linear regex takes
minutes on the inputs the tests build, a linear one milliseconds). The call runs in a forked child,
because a regex stuck in C code cannot be interrupted from a thread, and the child is killed at the
limit. Whatever it returns comes back to the parent, so the test can check the answer too.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

# Generous: every guarded call takes well under a second here when it is linear.
LIMIT_SECONDS = 10.0

T = TypeVar("T")


def _run(call: Callable[[], Any], sender: Any) -> None:
    try:
        sender.send(("ok", call()))
    except BaseException:  # any failure goes back to the test
        sender.send(("error", traceback.format_exc()))
    finally:
        sender.close()


def finishes(call: Callable[[], T], limit: float = LIMIT_SECONDS) -> T:
    """``call()``'s result; fails the test when the call takes longer than ``limit`` seconds or raises."""
    context = multiprocessing.get_context("fork")
    # A one-way pipe is an os.pipe; the unit tests' socket guard does not apply to it.
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_run, args=(call, sender), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(limit):
            raise AssertionError(f"call did not finish within {limit:.0f} s (super-linear on this input?)")
        status, value = receiver.recv()
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()
    if status == "error":
        raise AssertionError(f"call raised in the watchdog child:\n{value}")
    return value
