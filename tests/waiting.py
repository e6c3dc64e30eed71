"""The one place tests wait: poll a condition until it holds, or fail after a timeout."""
from __future__ import annotations

import time
from typing import Any, Callable


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, message: str = "",
               interval: float = 0.05) -> Any:
    """Returns the first truthy value of `predicate()`; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(message or f"condition not met within {timeout:.0f} s")
        time.sleep(interval)
