"""The web widget's files: its page, embed script and assets, served with a strict
Content-Security-Policy and other security headers, and the widget's settings.

Settings (environment variables; the first two also as `widget_origins` / `exit_url` in credentials.yml):
  HARBOR_WIDGET_ORIGINS  partner origins allowed to embed the widget and to open a socket,
                         separated by spaces or commas (default: none, the page's own only)
  HARBOR_EXIT_URL        where quick exit goes (default https://www.google.com/)
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

WIDGET_DIR = Path(__file__).resolve().parent.parent / "widget"
NODE_MODULES = WIDGET_DIR / "node_modules"
WIDGET_PATH = "/widget"
DEFAULT_EXIT_URL = "https://www.google.com/"

JS = "text/javascript; charset=utf-8"
# name under /widget/ -> (file, content type, may other sites load it)
ASSETS: Dict[str, Tuple[Path, str, bool]] = {
    "widget.js": (WIDGET_DIR / "widget.js", JS, False),
    "widget.css": (WIDGET_DIR / "widget.css", "text/css; charset=utf-8", False),
    "icon.svg": (WIDGET_DIR / "icon.svg", "image/svg+xml", False),
    "vendor/socket.io.min.js": (NODE_MODULES / "socket.io-client" / "dist" / "socket.io.min.js", JS, False),
}


# --- settings --------------------------------------------------------------------------------


def parse_origins(value: Any) -> List[str]:
    """'https://a.org, https://b.org' or a list -> normalised origins; refuses anything else."""
    items = value if isinstance(value, (list, tuple)) else re.split(r"[\s,]+", str(value or ""))
    origins = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        parts = urlsplit(item)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
            or "*" in item
        ):
            raise ValueError(f"HARBOR_WIDGET_ORIGINS: {item!r} is not an origin like https://example.org")
        origins.append(f"{parts.scheme}://{parts.netloc.lower()}")
    return origins


def check_exit_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"HARBOR_EXIT_URL: {value!r} is not an http(s) URL")
    return value


@dataclass(frozen=True)
class WidgetSettings:
    origins: Tuple[str, ...] = ()
    exit_url: str = DEFAULT_EXIT_URL

    @classmethod
    def load(cls, credentials: Optional[Dict[str, Any]] = None) -> "WidgetSettings":
        credentials = credentials or {}
        origins = os.environ.get("HARBOR_WIDGET_ORIGINS", credentials.get("widget_origins", ""))
        exit_url = os.environ.get("HARBOR_EXIT_URL") or credentials.get("exit_url") or DEFAULT_EXIT_URL
        return cls(tuple(parse_origins(origins)), check_exit_url(exit_url))


# --- security headers ------------------------------------------------------------------------


def page_headers(settings: WidgetSettings) -> Dict[str, str]:
    ancestors = " ".join(("'self'",) + settings.origins)
    csp = "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "connect-src 'self'",  # the socket.io endpoint, ws:// and http:// alike
            "base-uri 'none'",
            "form-action 'none'",
            "object-src 'none'",
            f"frame-ancestors {ancestors}",
            "require-trusted-types-for 'script'",  # no HTML strings can reach a DOM sink
            "trusted-types 'none'",
        ]
    )
    headers = {
        "Content-Security-Policy": csp,
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    if not settings.origins:
        headers["X-Frame-Options"] = "SAMEORIGIN"  # older browsers; CSP frame-ancestors rules elsewhere
    return {**common_headers(), **headers}


def common_headers() -> Dict[str, str]:
    return {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",  # nothing of the widget kept in the browser's cache
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    }


def asset_headers(shared: bool) -> Dict[str, str]:
    headers = {
        **common_headers(),
        "Cross-Origin-Resource-Policy": "cross-origin" if shared else "same-origin",
        "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    }
    return headers


# --- the routes --------------------------------------------------------------------------------


def widget_routes(app: Sanic, settings: WidgetSettings) -> None:
    """The widget's page, its embed script and its assets, with their security headers."""
    for path, _, _ in ASSETS.values():
        if not path.is_file():
            logger.error("Widget file %s is missing: run `make install` (npm ci in bot/widget).", path)
    headers = page_headers(settings)

    # Read on each request (a few KB): an edit shows on reload, no restart needed.
    def page() -> str:
        from bot.contacts import widget_values  # contact details: data/contacts.yml
        from bot.settings import reply_timeout_seconds  # the one place for timeouts

        text = (
            (WIDGET_DIR / "index.html")
            .read_text(encoding="utf-8")
            .replace("{{EXIT_URL}}", html.escape(settings.exit_url, quote=True))
            .replace("{{REPLY_TIMEOUT_MS}}", str(round(reply_timeout_seconds() * 1000)))
        )
        for placeholder, value in widget_values().items():
            text = text.replace(placeholder, html.escape(value, quote=True))
        return text

    def embed() -> str:
        from bot.contacts import widget_values  # contact details: data/contacts.yml

        text = (
            (WIDGET_DIR / "embed.js")
            .read_text(encoding="utf-8")
            .replace('"{{EXIT_URL}}"', json.dumps(settings.exit_url))
        )
        for placeholder, value in widget_values().items():
            text = text.replace(f'"{placeholder}"', json.dumps(value))
        return text

    async def widget_page(_: Request) -> HTTPResponse:
        return response.html(page(), headers=headers)

    async def to_widget_page(_: Request) -> HTTPResponse:
        return response.redirect(f"{WIDGET_PATH}/", headers=common_headers())

    async def embed_script(_: Request) -> HTTPResponse:
        return response.text(embed(), content_type=JS, headers=asset_headers(shared=True))

    async def asset(_: Request, name: str, subname: str = "") -> HTTPResponse:
        key = f"{name}/{subname}" if subname else name
        if key not in ASSETS:
            return response.text("Not found", status=404, headers=common_headers())
        path, content_type, shared = ASSETS[key]
        try:
            body = path.read_bytes()
        except OSError:
            return response.text(
                "Widget files are not installed: run `make install`.", status=503, headers=common_headers()
            )
        return response.raw(body, content_type=content_type, headers=asset_headers(shared))

    app.add_route(widget_page, f"{WIDGET_PATH}/", methods=["GET"], strict_slashes=True, name="harbor_widget_page")
    app.add_route(to_widget_page, WIDGET_PATH, methods=["GET"], strict_slashes=True, name="harbor_widget_redirect")
    app.add_route(embed_script, f"{WIDGET_PATH}/embed.js", methods=["GET"], name="harbor_widget_embed")
    app.add_route(asset, f"{WIDGET_PATH}/<name:str>", methods=["GET"], name="harbor_widget_asset")
    app.add_route(asset, f"{WIDGET_PATH}/<name:str>/<subname:str>", methods=["GET"], name="harbor_widget_asset_sub")
