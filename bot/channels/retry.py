"""The one retry loop of the messaging connectors (Twilio, Telegram): try, and on a failure that
may pass (429, 5xx, the network), wait and try again, a few times."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional, Sequence


@dataclass(frozen=True)
class Again:
    """What an attempt returns to be tried again: after `after` seconds, or the next planned wait."""

    after: Optional[float] = None


async def with_retries(
    attempt: Callable[[int], Awaitable[Any]], waits: Sequence[float], longest_wait: float = 5.0
) -> Any:
    """Calls `attempt(1)`, `attempt(2)`, … until one returns something other than `Again`, or
    `len(waits) + 1` attempts have failed (then None). `waits[i]` is the pause before attempt i + 2."""
    for number in range(1, len(waits) + 2):
        outcome = await attempt(number)
        if not isinstance(outcome, Again):
            return outcome
        if number > len(waits):
            return None
        wait = waits[number - 1] if outcome.after is None else min(outcome.after, longest_wait)
        await asyncio.sleep(wait)
    return None
