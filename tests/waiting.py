"""The one place where tests wait: poll a condition until it holds, or fail with what was seen.

    reply = wait_until(lambda: inbox.get(), timeout=10, what="a reply")     # returns the value
    assert_stays(lambda: not inbox.get(), duration=0.5, what="no reply")    # holds all along

Tests never `time.sleep` and then assert: they wait for the condition they need (as fast as it
comes), or, to show that something does NOT happen, check it all along a short window.
"""

from __future__ import annotations

import time
from typing import Callable, Optional, TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """The condition did not hold in time (an assertion failure, as pytest reports it)."""


def wait_until(
    predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.05, what: Optional[str] = None
) -> T:
    """Calls `predicate` until it returns something truthy, and returns that.

    An exception from `predicate` counts as "not yet" until the deadline; then it is raised
    as the cause of the failure.
    """
    deadline = time.monotonic() + timeout
    last_error: Optional[BaseException] = None
    last_value: object = None
    while True:
        try:
            last_value = predicate()
            last_error = None
            if last_value:
                return last_value
        except Exception as error:  # noqa: BLE001 - retried until the deadline, then reported
            last_error = error
        if time.monotonic() >= deadline:
            message = f"{what or 'condition'} not met within {timeout:g} s (last: {last_value!r})"
            raise WaitTimeout(message) from last_error
        time.sleep(interval)


def assert_stays(
    predicate: Callable[[], object], duration: float, interval: float = 0.05, what: Optional[str] = None
) -> None:
    """Checks `predicate` again and again for `duration` seconds; fails the first time it is false."""
    deadline = time.monotonic() + duration
    while True:
        value = predicate()
        if not value:
            raise AssertionError(f"{what or 'condition'} stopped holding (got {value!r})")
        if time.monotonic() >= deadline:
            return
        time.sleep(interval)
