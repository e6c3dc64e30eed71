"""The widget channel's settings and session ids, without a browser or a server."""

import pytest

from bot.channels.widget_files import WidgetSettings, page_headers, parse_origins
from bot.channels.widget_sessions import SessionIds
from bot.storage.shared_state import MemoryState
from tests.conftest import run_coroutine


def test_origins_are_normalised_and_anything_else_is_refused():
    assert parse_origins("https://A.org, http://b.org:8080 https://c.org/") == [
        "https://a.org",
        "http://b.org:8080",
        "https://c.org",
    ]
    assert parse_origins("") == []
    for bad in ["*", "https://*.org", "partner.org", "https://a.org/path", "javascript:alert(1)", "https://a.org?x=1"]:
        with pytest.raises(ValueError):
            parse_origins(bad)


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("HARBOR_WIDGET_ORIGINS", "https://partner.org")
    monkeypatch.setenv("HARBOR_EXIT_URL", "https://weather.example/")
    settings = WidgetSettings.load({})
    assert settings.origins == ("https://partner.org",)
    assert settings.exit_url == "https://weather.example/"
    assert "frame-ancestors 'self' https://partner.org" in page_headers(settings)["Content-Security-Policy"]
    monkeypatch.setenv("HARBOR_EXIT_URL", "javascript:alert(1)")
    with pytest.raises(ValueError):
        WidgetSettings.load({})


def test_session_ids_are_long_random_signed_and_end_for_good():
    ids = SessionIds(key=b"k" * 32, state=MemoryState())
    first, second = ids.new(), ids.new()
    issued = lambda value, by=ids: run_coroutine(by.issued(value))  # noqa: E731
    assert first != second and len(first) == 76
    assert issued(first) and issued(second)
    assert not issued(first, SessionIds(key=b"j" * 32, state=MemoryState()))  # another key
    token, tag = first.split(".")
    assert not issued(f"{token}.{tag[::-1]}")
    assert not issued("chosen-by-the-client") and not issued(None)
    run_coroutine(ids.end(first))
    assert not issued(first) and issued(second)
