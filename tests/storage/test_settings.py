from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli
from storage.settings import Settings, SettingsError, load_settings, resolve_secret_keys

HOLOS = Path(sys.executable).parent / "holos"


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOLOS_")}
    env.update(extra)
    env["HOLOS_DATA_DIR"] = str(tmp_path / "var")
    return env


def test_defaults_need_no_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("HOLOS_"):
            monkeypatch.delenv(key)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///var/holos.db"
    assert settings.blob_dir == Path("var/blobs")
    assert settings.default_language == "uk"
    assert settings.bot_token is None
    assert {c.code for c in settings.catalog().categories} >= {"fraud_corruption", "trafficking"}


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("HOLOS_API_PORT", "eighty", "HOLOS_API_PORT is malformed"),
        ("HOLOS_API_PORT", "70000", "HOLOS_API_PORT is malformed"),
        ("HOLOS_SECRET_KEY", "too-short-secret", "HOLOS_SECRET_KEY is malformed"),
        ("HOLOS_DEFAULT_LANGUAGE", "de", "HOLOS_DEFAULT_LANGUAGE is malformed"),
        ("HOLOS_PROGRAMMES", "not json", "HOLOS_PROGRAMMES is malformed"),
        ("HOLOS_TELEGRAM_API_URL", "ftp://x", "HOLOS_TELEGRAM_API_URL is malformed"),
        ("HOLOS_LOG_LEVEL", "LOUD", "HOLOS_LOG_LEVEL is malformed"),
        ("HOLOS_PUBLIC_URL", "holos.example.org", "HOLOS_PUBLIC_URL is malformed"),
        ("HOLOS_TRUSTED_PROXIES", "127.0.0.1,caddy", "HOLOS_TRUSTED_PROXIES is malformed"),
        # A link to t.me is built from it: nothing but a Telegram username.
        ("HOLOS_BOT_USERNAME", "evil.example/x?", "HOLOS_BOT_USERNAME is malformed"),
        ("HOLOS_BOT_USERNAME", "t.me/holos_bot", "HOLOS_BOT_USERNAME is malformed"),
    ],
)
def test_a_malformed_setting_stops_start_up_with_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    value: str,
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    for key, env_value in clean_env(tmp_path, **{name: value}).items():
        monkeypatch.setenv(key, env_value)
    assert cli.main(["migrate"]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("holos: ") and expected in lines[0]
    assert value not in lines[0]  # never echoed: it might be a secret
    assert not (tmp_path / "var" / "holos.db").exists()


def test_the_holos_command_exits_2_on_a_malformed_setting(tmp_path: Path) -> None:
    secret = "short-but-secret"
    result = subprocess.run(
        [str(HOLOS), "migrate"],
        env=clean_env(tmp_path, HOLOS_SECRET_KEY=secret),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "holos: HOLOS_SECRET_KEY is malformed: must have at least 32 characters"
    )
    assert secret not in result.stderr + result.stdout


def test_a_secret_key_is_generated_once_with_mode_0600(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "var", secret_key=None)  # type: ignore[call-arg]
    with caplog.at_level("WARNING"):
        first = resolve_secret_keys(settings)
        second = resolve_secret_keys(settings)
    key_file = tmp_path / "var" / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first == second and len(first[0]) >= 32
    warnings = [r for r in caplog.records if "secret_key_generated" in r.getMessage()]
    assert len(warnings) == 1
    assert first[0].decode() not in caplog.text


def test_old_keys_come_after_the_current_one(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path,
        secret_key="n" * 40,
        old_secret_keys="o" * 40 + " , " + "p" * 40,
    )
    assert resolve_secret_keys(settings) == [b"n" * 40, b"o" * 40, b"p" * 40]


def test_sla_override_for_an_unknown_category_is_a_setting_error(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, sla_overrides={"nonsense": {"resolve_hours": 5}}
    )
    with pytest.raises(SettingsError, match="HOLOS_SLA_OVERRIDES"):
        settings.catalog()


def test_sla_overrides_apply(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path,
        sla_overrides={"suggestion": {"acknowledge_hours": 48}},
    )
    category = settings.catalog().category("suggestion")
    assert category.acknowledge_within.total_seconds() == 48 * 3600


def test_the_public_url_and_the_trusted_proxies(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        public_url="https://holos.example.org/",
        trusted_proxies="127.0.0.1, 10.0.0.0/8",  # type: ignore[arg-type]  # as the environment gives it
    )
    assert settings.public_url == "https://holos.example.org"
    assert settings.trusted_proxies == ["127.0.0.1", "10.0.0.0/8"]
    assert Settings(_env_file=None, data_dir=tmp_path).public_url is None
