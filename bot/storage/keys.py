"""Secret keys that must outlive a restart and be the same on every server.

A key comes from its environment variable (at least MIN_SECRET_CHARS characters: a short secret
is refused, not used); without it, from a file under HARBOR_DATA_DIR/keys/ made once (random,
readable by its owner only, written whole before anyone can read it). Several servers must share
the variable.
"""

from __future__ import annotations

import os
import secrets
import tempfile

from bot.storage.settings import data_dir

MIN_SECRET_CHARS = 32


def checked_secret(variable: str, value: str) -> str:
    """A configured secret, refused when it is too short to be one."""
    if len(value) < MIN_SECRET_CHARS:
        raise ValueError(
            f"{variable} must be at least {MIN_SECRET_CHARS} characters long (for example: openssl rand -hex 32)"
        )
    return value


def secret_key(variable: str) -> bytes:
    configured = os.environ.get(variable, "")
    if configured:
        return checked_secret(variable, configured).encode()
    folder = data_dir() / "keys"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / variable.lower()
    if not path.exists():  # first start: made whole in a temporary file, then linked into place
        fd, temporary = tempfile.mkstemp(dir=folder)  # mode 600
        try:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_hex(32))
            try:
                os.link(temporary, path)  # fails if another process made it first: theirs is kept
            except FileExistsError:
                pass
        finally:
            os.unlink(temporary)
    return path.read_bytes().strip()
