"""`holos user` for two-factor sign-in, driven through the command's entry point on a real
database: enrolment printed once, a reset, and appointing a focal point."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from storage import totp
from storage.core import build_core
from storage.errors import AuthenticationFailed
from storage.models import AuditEvent
from storage.services.staff import StaffService
from storage.settings import load_settings
from tests.bot.helpers import run_cli

PASSWORD = "a-long-enough-password"


def printed_secret(out: str) -> str:
    found = re.search(r"Secret:\s+([A-Z2-7 ]+)\n", out)
    assert found, out
    return found.group(1).replace(" ", "")


def sign_in(username: str, code: str | None, password: str = PASSWORD) -> str:
    """Both factors against the database the command wrote; 'ok' or the error code."""

    async def attempt() -> str:
        core = build_core(load_settings())
        try:
            async with core.database.transaction() as session:
                try:
                    await StaffService(session, core).sign_in(
                        username, password, client="127.0.0.1", otp=code
                    )
                    return "ok"
                except AuthenticationFailed as error:
                    return error.code
        finally:
            await core.close()

    return asyncio.run(attempt())


def audit_actions() -> list[tuple[str, str]]:
    async def read() -> list[tuple[str, str]]:
        core = build_core(load_settings())
        try:
            async with core.database.transaction() as session:
                rows = await session.execute(
                    select(AuditEvent.action, AuditEvent.actor_kind).order_by(AuditEvent.id)
                )
                return [(a, str(k)) for a, k in rows.all()]
        finally:
            await core.close()

    return asyncio.run(read())


def test_create_prints_the_enrolment_once_and_reset_replaces_it(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(monkeypatch, "migrate") == 0
    capsys.readouterr()
    args = ("user", "create", "maria", "--role", "focal_point", "--password-stdin")
    assert run_cli(monkeypatch, *args, stdin=PASSWORD + "\n") == 0
    out = capsys.readouterr().out
    secret = printed_secret(out)
    assert f"otpauth://totp/Holos:maria?secret={secret}" in out
    codes = re.findall(r"^\s+([0-9A-Z]{5}-[0-9A-Z]{5})$", out, re.MULTILINE)
    assert len(set(codes)) == 10
    assert "█" in out or "▀" in out  # the QR code, drawn with block characters
    assert PASSWORD not in out

    now = datetime.now(UTC)
    assert sign_in("maria", None) == "otp_required"
    assert sign_in("maria", totp.code_at(secret, now)) == "ok"

    assert run_cli(monkeypatch, "user", "reset-2fa", "maria") == 0
    out = capsys.readouterr().out
    assert "sessions and API tokens have ended" in out
    new_secret = printed_secret(out)
    assert new_secret != secret
    # The old app's code no longer works; the new one does (a later step: codes are single-use).
    later = datetime.fromtimestamp(now.timestamp() + 30, UTC)
    assert sign_in("maria", totp.code_at(secret, later)) == "authentication_failed"
    assert sign_in("maria", totp.code_at(new_secret, later)) == "ok"
    assert ("user.totp_reset", "system") in audit_actions()


def test_an_operator_has_no_second_factor_unless_asked(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(monkeypatch, "migrate") == 0
    args = ("user", "create", "ivan", "--role", "operator", "--password-stdin")
    assert run_cli(monkeypatch, *args, stdin=PASSWORD + "\n") == 0
    out = capsys.readouterr().out
    assert "otpauth://" not in out
    assert sign_in("ivan", None) == "ok"
    args = ("user", "create", "olena", "--role", "analyst", "--2fa", "--password-stdin")
    assert run_cli(monkeypatch, *args, stdin=PASSWORD + "\n") == 0
    assert "otpauth://" in capsys.readouterr().out
    assert sign_in("olena", None) == "otp_required"


def test_set_role_appoints_a_focal_point_audited_and_enrolled(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(monkeypatch, "migrate") == 0
    args = ("user", "create", "ivan", "--role", "operator", "--password-stdin")
    assert run_cli(monkeypatch, *args, stdin=PASSWORD + "\n") == 0
    capsys.readouterr()
    assert run_cli(monkeypatch, "user", "set-role", "ivan", "focal_point") == 0
    out = capsys.readouterr().out
    assert "'ivan' is now focal_point (was operator)" in out
    secret = printed_secret(out)
    assert sign_in("ivan", totp.code_at(secret, datetime.now(UTC))) == "ok"
    actions = audit_actions()
    assert ("user.updated", "system") in actions
    assert ("user.totp_enrolled", "system") in actions
    assert run_cli(monkeypatch, "user", "reset-2fa", "nobody") == 1
    assert capsys.readouterr().err.strip() == "holos: No such staff account."


def test_set_password_is_how_a_focal_point_gets_a_new_password(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(monkeypatch, "migrate") == 0
    args = ("user", "create", "maria", "--role", "focal_point", "--password-stdin")
    assert run_cli(monkeypatch, *args, stdin=PASSWORD + "\n") == 0
    secret = printed_secret(capsys.readouterr().out)
    new = "violet tractor wanders"
    args = ("user", "set-password", "maria", "--password-stdin")
    assert run_cli(monkeypatch, *args, stdin=new + "\n") == 0
    out = capsys.readouterr().out
    assert "'maria' is set; its sessions and API tokens have ended" in out
    assert new not in out
    now = datetime.now(UTC)
    assert sign_in("maria", totp.code_at(secret, now), PASSWORD) == "authentication_failed"
    later = datetime.fromtimestamp(now.timestamp() + 30, UTC)
    assert sign_in("maria", totp.code_at(secret, later), new) == "ok"
    assert ("user.updated", "system") in audit_actions()
    # A weak password, and an unknown account: refused with their reason.
    assert run_cli(monkeypatch, *args, stdin="short\n") == 1
    assert "password" in capsys.readouterr().err.lower()
    assert (
        run_cli(monkeypatch, "user", "set-password", "nobody", "--password-stdin", stdin=new) == 1
    )
    assert capsys.readouterr().err.strip() == "holos: No such staff account."
    # After `reset-2fa --later` it says how two-factor sign-in is set up again.
    assert run_cli(monkeypatch, "user", "reset-2fa", "maria", "--later") == 0
    capsys.readouterr()
    assert run_cli(monkeypatch, *args, stdin=new + "-again\n") == 0
    assert "set up at the next sign-in to the console" in capsys.readouterr().out
