"""The `holos` command as an operator uses it: migrate, create staff, purge."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli
from tests.bot.helpers import CLI_SECRET, run_cli

HOLOS = Path(sys.executable).parent / "holos"


def test_the_console_script_migrates(workdir: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HOLOS_")},
        "HOLOS_SECRET_KEY": CLI_SECRET,
    }
    result = subprocess.run(
        [str(HOLOS), "migrate"], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "holos: database schema is up to date"
    assert (workdir / "var" / "holos.db").exists()


def test_create_staff_and_purge(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(monkeypatch, "migrate") == 0
    password = "a-long-enough-password\n"
    assert (
        run_cli(
            monkeypatch,
            "user",
            "create",
            "maria",
            "--role",
            "focal_point",
            "--password-stdin",
            stdin=password,
        )
        == 0
    )
    out = capsys.readouterr()
    assert "created focal_point account 'maria'" in out.out
    assert "a-long-enough-password" not in out.out + out.err

    assert (
        run_cli(
            monkeypatch,
            "user",
            "create",
            "Maria",
            "--role",
            "operator",
            "--password-stdin",
            stdin=password,
        )
        == 1
    )
    assert capsys.readouterr().err.strip() == "holos: A staff account named 'Maria' already exists."

    assert (
        run_cli(
            monkeypatch,
            "user",
            "create",
            "ivan",
            "--role",
            "operator",
            "--password-stdin",
            stdin="short\n",
        )
        == 1
    )
    assert "at least 12 characters" in capsys.readouterr().err

    assert run_cli(monkeypatch, "purge", "--dry-run") == 0
    assert "expired drafts: 0 to delete" in capsys.readouterr().out

    assert run_cli(monkeypatch, "files", "rebuild") == 0
    assert "holos: documents rebuilt: 0" in capsys.readouterr().out


def test_the_bot_refuses_an_outdated_schema(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOLOS_BOT_TOKEN", "123456:" + "x" * 35)
    assert run_cli(monkeypatch, "bot") == 2
    assert capsys.readouterr().err.strip() == (
        "holos: the database schema is not up to date: run `holos migrate` first"
    )


def test_the_bot_on_postgresql_refuses_to_start_without_redis(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    postgres_database: str,
) -> None:
    """Drafts never enter PostgreSQL (issue 18): without Redis they have nowhere to go,
    and the bot says so before it listens to anyone."""
    monkeypatch.setenv("HOLOS_BOT_TOKEN", "123456:" + "x" * 35)
    monkeypatch.setenv("HOLOS_DATABASE_URL", postgres_database)
    assert run_cli(monkeypatch, "bot") == 2
    assert capsys.readouterr().err.strip() == (
        "holos: HOLOS_REDIS_URL is required with PostgreSQL: drafts and other per-person "
        "conversation state are kept in Redis, never in PostgreSQL"
    )


@pytest.mark.parametrize("command", [["api"], ["bot"], ["run"]])
def test_outside_the_sandbox_the_key_must_be_given(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    monkeypatch.delenv("HOLOS_SECRET_KEY")
    monkeypatch.setenv("HOLOS_BOT_TOKEN", "123456:not-a-real-token-for-tests")
    assert run_cli(monkeypatch, *command) == 2
    err = capsys.readouterr().err
    assert "HOLOS_SECRET_KEY or HOLOS_SECRET_KEY_FILE is required" in err
    assert "holos secret generate" in err
    assert not (workdir / "var" / "secret.key").exists()  # no key written beside the data


def test_secret_generate_prints_or_writes_a_key_file_once(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(monkeypatch, "secret", "generate") == 0
    printed = capsys.readouterr().out.strip()
    assert len(printed) >= 64 and printed != CLI_SECRET
    target = workdir / "holos.key"
    assert run_cli(monkeypatch, "secret", "generate", "--file", str(target)) == 0
    key = target.read_text().strip()
    assert len(key) >= 64 and key != printed
    assert target.stat().st_mode & 0o777 == 0o600
    assert run_cli(monkeypatch, "secret", "generate", "--file", str(target)) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert target.read_text().strip() == key
    # The file is what the product then reads.
    monkeypatch.delenv("HOLOS_SECRET_KEY")
    from storage.settings import Settings, resolve_secret_keys

    settings = Settings(_env_file=None, secret_key_file=target)  # type: ignore[call-arg]
    assert resolve_secret_keys(settings)[0] == key.encode()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "holos.example.org"])
def test_run_without_a_token_starts_the_sandbox_only_on_loopback(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    monkeypatch.setenv("HOLOS_API_HOST", host)
    assert run_cli(monkeypatch, "run") == 2
    err = capsys.readouterr().err
    assert "HOLOS_BOT_TOKEN is not set" in err and "`holos sandbox`" in err
    assert host in err
    assert not (workdir / "var" / "sandbox").exists()  # nothing was started


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.1", False),
        ("example.org", False),
    ],
)
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert cli.is_loopback(host) is loopback
