"""The alert settings refuse what cannot work, naming the variable and never its value."""

from __future__ import annotations

import pytest

from storage.settings import SettingsError, load_settings


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"smtp_url": "http://mail.example.org"}, "HOLOS_SMTP_URL"),
        ({"smtp_url": "smtp:///no-host"}, "HOLOS_SMTP_URL"),
        ({"escalation_emails": "investigations@example.org,nobody"}, "HOLOS_ESCALATION_EMAILS"),
        ({"escalation_after_hours": 0}, "HOLOS_ESCALATION_AFTER_HOURS"),
        ({"alert_interval_seconds": 60}, "HOLOS_ALERT_INTERVAL_SECONDS"),
        ({"bot_username": "no spaces please"}, "HOLOS_BOT_USERNAME"),
    ],
)
def test_bad_alert_settings_stop_start_up(env: dict[str, object], named: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None, **env)
    assert str(raised.value).startswith(named)
    secret = str(env.get("smtp_url", ""))
    assert not secret or secret not in str(raised.value)


def test_good_alert_settings() -> None:
    settings = load_settings(
        _env_file=None,
        smtp_url="smtps://alerts:p%40ss@mail.example.org:465",
        escalation_emails=" investigations@example.org , ethics@example.org ",
        escalation_after_hours=6,
    )
    assert settings.escalation_emails == ["investigations@example.org", "ethics@example.org"]
    assert settings.escalation_after_hours == 6
