"""Harbor's runtime guards, installed however Rasa is started, and a server that refuses to run
without them.

`install()` puts in place, once: the privacy guard (bot/privacy/guard.py), the fallback that
answers when the action server fails (bot/resilience.py) and the speed-ups (bot/speedups.py).
It is called by bot/rasa_cli.py, by Harbor's tracker store and by each of Harbor's channels, so a
plain `rasa run` with Harbor's credentials.yml or endpoints.yml gets them too.

`harden(blueprint)` (on each Harbor channel's blueprint) caps the size of a request body before
it is read (HARBOR_MAX_REQUEST_BYTES) and, once the assistant is loaded, checks that the guard,
the fallback, Harbor's scrubbing tracker store and Harbor's lock store are all there. If one is
missing the server stops with a message naming it: a Harbor channel never runs without them.
"""

from __future__ import annotations

import logging
import os
from typing import Any, List

from bot.settings import max_request_bytes

logger = logging.getLogger(__name__)


def install() -> None:
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no usage data leaves the machine
    from bot import resilience, speedups
    from bot.privacy import guard

    resilience.install()
    speedups.install()
    guard.install()


def problems(agent: Any) -> List[str]:
    """What is missing from a loaded agent for Harbor to run safely (empty when all is well)."""
    from bot import resilience
    from bot.privacy import guard
    from bot.storage.lock_store import is_harbor_lock_store
    from bot.storage.tracker_store import HarborTrackerStore

    found = []
    if not guard.installed():
        found.append("the privacy guard (bot/privacy/guard.py) is not installed")
    if not resilience.installed():
        found.append("the action-failure fallback (bot/resilience.py) is not installed")
    store = getattr(agent, "tracker_store", None)
    store = getattr(store, "_tracker_store", store)  # Rasa wraps it in a FailSafeTrackerStore
    if not isinstance(store, HarborTrackerStore):
        found.append("the tracker store is not bot.storage.tracker_store.HarborTrackerStore (endpoints.yml)")
    if not is_harbor_lock_store(getattr(agent, "lock_store", None)):
        found.append("the lock store is not bot.storage.lock_store.HarborLockStore (endpoints.yml)")
    return found


def harden(blueprint: Any) -> Any:
    """Adds the request size cap and the check above to a channel's blueprint (returned)."""

    @blueprint.listener("before_server_start")
    async def cap_request_size(app: Any, _loop: Any) -> None:
        app.config.REQUEST_MAX_SIZE = min(app.config.REQUEST_MAX_SIZE, max_request_bytes())

    @blueprint.listener("after_server_start")
    async def check(app: Any, _loop: Any) -> None:
        if getattr(app.ctx, "harbor_checked", False):
            return
        app.ctx.harbor_checked = True
        found = problems(getattr(app.ctx, "agent", None))
        for problem in found:
            logger.critical("Harbor will not run: %s.", problem)
        if found:
            app.stop()

    return blueprint
