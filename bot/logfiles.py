"""Log files of the servers `make run` starts: readable by their owner only, and rotated.

A server writes to a pipe; a thread of the launcher copies each line into HARBOR_DATA_DIR/logs/
<name>.log, which is created with mode 600 and rotated at HARBOR_LOG_MAX_BYTES (default 5 MB),
keeping HARBOR_LOG_BACKUPS old files (default 3). The servers log at WARNING by default, and what
they log is scrubbed of personal data (bot/privacy/guard.py).
"""

from __future__ import annotations

import logging.handlers
import os
import threading
from pathlib import Path


class PrivateRotatingFile(logging.handlers.RotatingFileHandler):
    """A rotating log file whose every generation is made with mode 600."""

    def _open(self):  # as the standard library's
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.chmod(self.baseFilename, 0o600)
        return os.fdopen(fd, self.mode.replace("w", "a"), encoding=self.encoding, errors=self.errors)


def pipe_to_log(path: Path) -> int:
    """A pipe's write end for a child's stdout/stderr; its lines go to `path`, rotated.
    The caller gives the returned descriptor to the child and closes it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handler = PrivateRotatingFile(
        str(path),
        maxBytes=int(os.environ.get("HARBOR_LOG_MAX_BYTES", 5 * 1024 * 1024)),
        backupCount=int(os.environ.get("HARBOR_LOG_BACKUPS", 3)),
        encoding="utf-8",
        errors="replace",
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    read_end, write_end = os.pipe()

    def copy() -> None:
        with os.fdopen(read_end, "r", encoding="utf-8", errors="replace") as lines:
            for line in lines:
                handler.emit(logging.makeLogRecord({"msg": line.rstrip("\n"), "args": None}))
        handler.close()

    threading.Thread(target=copy, name=f"log {path.name}", daemon=True).start()
    return write_end
