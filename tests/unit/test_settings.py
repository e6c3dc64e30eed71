"""bot/settings.py: one place for Harbor's settings; a bad value is an error, never a default."""

import pytest

from bot import settings
from bot.storage import settings as storage_settings


def test_the_defaults(monkeypatch):
    for name in ("HARBOR_ACTION_TIMEOUT", "HARBOR_MAX_MESSAGE_CHARS", "HARBOR_RETENTION_HOURS"):
        monkeypatch.delenv(name, raising=False)
    assert settings.action_timeout() == 10 and settings.max_message_chars() == 2000
    assert settings.reply_timeout_seconds() == 15  # the widget outlasts the server's fallback
    assert settings.retention_seconds() == 24 * 3600


def test_the_widget_waits_longer_than_the_server_whatever_the_timeout(monkeypatch):
    monkeypatch.setenv("HARBOR_ACTION_TIMEOUT", "2.5")
    assert settings.action_timeout() == 2.5 < settings.reply_timeout_seconds()


@pytest.mark.parametrize("value", ["ten", "0", "-3"])
def test_a_bad_value_is_an_error(monkeypatch, value):
    monkeypatch.setenv("HARBOR_ACTION_TIMEOUT", value)
    with pytest.raises(ValueError, match="HARBOR_ACTION_TIMEOUT"):
        settings.action_timeout()


def test_storage_reads_the_same_retention_until_it_reads_it_from_here(monkeypatch):
    monkeypatch.setenv("HARBOR_RETENTION_HOURS", "3")
    monkeypatch.setenv("HARBOR_PURGE_MINUTES", "7")
    assert storage_settings.retention_seconds() == settings.retention_seconds() == 3 * 3600
    assert storage_settings.purge_interval_seconds() == settings.purge_interval_seconds() == 7 * 60
