"""The source policy: which pages a fact may be taken from (issue 14).

A source is acceptable when it is an https:// address whose host is on the reviewed list of
publishers in data/knowledge/publishers.yml. `source_problem` says why one is not; the
knowledge loader (and the referral loader) refuse to start on any source it objects to.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Optional, Tuple
from urllib.parse import urlsplit

import yaml

PUBLISHERS_FILE = Path(__file__).resolve().parent.parent / "data" / "knowledge" / "publishers.yml"


@functools.lru_cache(maxsize=4)
def publishers(file: Path = PUBLISHERS_FILE) -> Tuple[Tuple[str, bool], ...]:
    """(host, subdomains allowed) for each reviewed publisher."""
    data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    listed = []
    for item in data.get("publishers") or []:
        if not isinstance(item, dict) or not item.get("host") or not item.get("reason"):
            raise ValueError(f"{file}: every publisher needs a host and a one-line reason: {item!r}")
        listed.append((_bare(str(item["host"])), bool(item.get("subdomains", False))))
    return tuple(listed)


def _bare(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def publisher_of(url: str) -> Optional[str]:
    """The listed publisher (host) that `url` belongs to, or None."""
    host = _bare(urlsplit(url).hostname or "")
    for listed, subdomains in publishers():
        if host == listed or (subdomains and host.endswith("." + listed)):
            return listed
    return None


def source_problem(url: str) -> Optional[str]:
    """None when `url` may be cited as a source, else the reason it may not."""
    if not isinstance(url, str) or not url.strip():
        return "is empty"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return "is not a valid address"
    if parts.scheme != "https":
        return "must start with https://"
    if not parts.hostname or any(c.isspace() for c in url.strip()):
        return "is not a valid address"
    if parts.username or parts.password or port not in (None, 443):
        return "must be a plain https address (no user, password or port)"
    if publisher_of(url) is None:
        return f"host {parts.hostname} is not on the reviewed list of publishers (data/knowledge/publishers.yml)"
    return None
