"""Never leave the user in silence when a custom action fails.

Rasa 3.6 answers nothing when the action server is down, slow or raises: it logs the
whole conversation and sends an empty reply, after waiting up to 300 s. This wraps
Rasa's RemoteAction so that such a failure (or a reply slower than HARBOR_ACTION_TIMEOUT
seconds, bot/settings.py) sends the static domain response `utter_service_unavailable`
instead — the emergency number, the hotline and an apology — and logs only the action name.
An action server that is down refuses the connection, and the answer comes at once (no wait
for the timeout): that is what users get while the supervisor (bot/launcher.py) restarts it.
"""

import asyncio
import logging

from rasa.core.actions import action as rasa_actions

from bot.settings import action_timeout

logger = logging.getLogger(__name__)

FALLBACK_RESPONSE = "utter_service_unavailable"


def installed() -> bool:
    return getattr(rasa_actions.RemoteAction.run, "harbor_guarded", False) is True


def install() -> None:
    """Wrap RemoteAction.run once; calling it again changes nothing."""
    timeout = action_timeout()  # read once: a bad HARBOR_ACTION_TIMEOUT stops the start
    remote = rasa_actions.RemoteAction
    if getattr(remote.run, "harbor_guarded", False):
        return
    unguarded_run = remote.run

    async def guarded_run(self, output_channel, nlg, tracker, domain):
        try:
            return await asyncio.wait_for(unguarded_run(self, output_channel, nlg, tracker, domain), timeout)
        except rasa_actions.ActionExecutionRejection:
            raise  # a form declining a message is normal control flow
        except Exception as error:  # noqa: BLE001 - any failure must still answer the user
            logger.warning(
                "Custom action '%s' failed (%s); sent %s.", self.name(), type(error).__name__, FALLBACK_RESPONSE
            )
            message = await nlg.generate(FALLBACK_RESPONSE, tracker, output_channel.name())
            return [rasa_actions.create_bot_utterance(message)] if message else []

    guarded_run.harbor_guarded = True
    remote.run = guarded_run
