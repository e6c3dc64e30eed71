"""`rasa` with Harbor's runtime guards installed: use it wherever you would type `rasa`.

    python -m bot.rasa_cli run --model models/harbor.tar.gz

Plain `rasa` works too, but without the guards (see bot/resilience.py, bot/privacy/guard.py;
the tracker store still scrubs what it stores) and slower (bot/speedups.py).
"""
import os
import sys

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no usage data leaves the machine

from bot import resilience  # noqa: E402  (after the environment is set)
from bot import speedups  # noqa: E402
from bot.privacy import guard  # noqa: E402


def main() -> None:
    resilience.install()
    speedups.install()
    if sys.argv[1:2] in (["run"], ["shell"], ["interactive"]):  # commands that take messages
        guard.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
