"""The widget's HTTP responses: security headers, and only the files it means to serve."""

import re
import urllib.error
import urllib.request

import pytest


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read()  # case-insensitive
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def directives(csp):
    return {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}


def test_the_page_has_a_strict_content_security_policy(server_url):
    status, headers, body = get(f"{server_url}/widget/")
    assert status == 200 and b'id="exit"' in body
    csp = directives(headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'none'"]
    for kind in ("script-src", "style-src", "connect-src", "img-src"):
        assert csp[kind] == ["'self'"], kind  # no inline code, no other host
    assert csp["frame-ancestors"][0] == "'self'"
    assert csp["require-trusted-types-for"] == ["'script'"]
    assert csp["base-uri"] == csp["object-src"] == csp["form-action"] == ["'none'"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "Set-Cookie" not in headers
    assert b"<script>" not in body  # no inline script …
    assert not re.search(rb"<[^>]+\son[a-z]+\s*=", body)  # … nor inline event handlers


def test_partner_origins_may_frame_the_page(server_url):
    _, headers, _ = get(f"{server_url}/widget/")
    assert "http://127.0.0.1:15399" in directives(headers["Content-Security-Policy"])["frame-ancestors"]


def test_the_embed_script_may_be_loaded_by_other_sites_and_names_the_exit(server_url):
    status, headers, body = get(f"{server_url}/widget/embed.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert b'"https://www.google.com/"' in body and b"{{EXIT_URL}}" not in body


@pytest.mark.parametrize("path", ["widget.js", "widget.css", "vendor/socket.io.min.js", "icon.svg"])
def test_assets_are_served_by_us_for_our_page_only(server_url, path):
    status, headers, body = get(f"{server_url}/widget/{path}")
    assert status == 200 and body
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "index.html",
        "package.json",
        "package-lock.json",
        "..%2Fchannels%2Fsocketio.py",
        "node_modules/axe-core",
        "vendor/..%2F..%2Fwidget.js",
        "vendor/axe.min.js",
    ],
)
def test_nothing_else_is_served(server_url, path):
    status, _, _ = get(f"{server_url}/widget/{path}")
    assert status == 404


def test_the_widget_path_without_a_slash_redirects(server_url):
    request = urllib.request.Request(f"{server_url}/widget")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(request, timeout=10)
    assert redirect.value.code == 302 and redirect.value.headers["Location"] == "/widget/"
