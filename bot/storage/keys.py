"""Secret keys that must outlive a restart and be the same on every server.

A key comes from its environment variable; without it, from a file under HARBOR_DATA_DIR/keys/
made once (random, readable by its owner only). Several servers must share the variable.
"""
from __future__ import annotations

import os
import secrets

from bot.storage.settings import data_dir


def secret_key(variable: str) -> bytes:
    configured = os.environ.get(variable, "")
    if configured:
        return configured.encode()
    folder = data_dir() / "keys"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / variable.lower()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "w") as file:  # first start: make it
        file.write(secrets.token_hex(32))
    return path.read_bytes().strip()
