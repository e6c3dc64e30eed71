"""The widget channel's settings and session ids, without a browser or a server."""
import pytest

from bot.channels.socketio import SessionIds, WidgetSettings, page_headers, parse_origins


def test_origins_are_normalised_and_anything_else_is_refused():
    assert parse_origins("https://A.org, http://b.org:8080 https://c.org/") == \
        ["https://a.org", "http://b.org:8080", "https://c.org"]
    assert parse_origins("") == []
    for bad in ["*", "https://*.org", "partner.org", "https://a.org/path", "javascript:alert(1)",
                "https://a.org?x=1"]:
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
    ids = SessionIds(key=b"k" * 32)
    first, second = ids.new(), ids.new()
    assert first != second and len(first) == 76
    assert ids.issued(first) and ids.issued(second)
    assert not SessionIds(key=b"j" * 32).issued(first)          # another key did not issue it
    token, tag = first.split(".")
    assert not ids.issued(f"{token}.{tag[::-1]}")
    assert not ids.issued("chosen-by-the-client") and not ids.issued(None)
    ids.end(first)
    assert not ids.issued(first) and ids.issued(second)
