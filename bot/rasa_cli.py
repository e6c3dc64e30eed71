"""`rasa` with Harbor's runtime guards installed: use it wherever you would type `rasa`.

    python -m bot.rasa_cli run --model models/harbor.tar.gz

Plain `rasa run` with Harbor's credentials.yml or endpoints.yml installs the same guards (the
channels and the stores call bot.runtime.install), and refuses to serve without them; this
command installs them first for every `rasa` command that takes messages.
"""

import os
import sys

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no usage data leaves the machine


def main() -> None:
    if sys.argv[1:2] in (["run"], ["shell"], ["interactive"]):  # commands that take messages
        from bot import runtime

        runtime.install()
    else:
        from bot import resilience, speedups

        resilience.install()
        speedups.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
