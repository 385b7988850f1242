"""The sandbox: the whole product offline (``holos sandbox``, no Telegram token).

A Telegram stand-in (the emulator) and its chat page are mounted into the API's own
app, and the real bot talks to them over loopback. The sandbox keeps its data apart
(``<data dir>/sandbox/``), so its demo accounts never reach a real deployment.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storage.access import Actor
from storage.core import Core
from storage.enums import Role
from storage.services.staff import StaffService, two_factor_required
from storage.services.two_factor import TwoFactor
from storage.settings import Settings
from tgemu import Emulator, create_app

EMULATOR_PREFIX = "/tg"
DEMO_PREFIX = "demo-"


def sandbox_settings(settings: Settings) -> Settings:
    data_dir = Path(settings.data_dir) / "sandbox"
    return settings.model_copy(
        update={
            "data_dir": data_dir,
            "database_url": f"sqlite+aiosqlite:///{data_dir / 'holos.db'}",
            "blob_dir": data_dir / "blobs",
            "redis_url": None,
            "webhook_url": None,
            "api_docs": True,
        }
    )


def sandbox_token() -> str:
    """A well-formed token that only the emulator will ever see."""
    return f"7{secrets.randbelow(10**9):09d}:SANDBOX-{secrets.token_urlsafe(27)}"


# The chat page is one file with inline script and styles; it still loads nothing from
# elsewhere. The API's own strict policy applies only where a page sets none.
CHAT_PAGE_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data: blob:; media-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'"
)


def with_chat_page_policy(app: ASGIApp) -> ASGIApp:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"content-security-policy", CHAT_PAGE_CSP))
                message["headers"] = headers
            await send(message)

        await app(scope, receive, sending if scope["type"] == "http" else send)

    return wrapped


def mount(app: FastAPI, emulator: Emulator) -> None:
    app.mount(EMULATOR_PREFIX, with_chat_page_policy(create_app(emulator)))

    @app.get("/sandbox", include_in_schema=False)
    async def chat_page() -> RedirectResponse:
        return RedirectResponse(f"{EMULATOR_PREFIX}/sandbox/")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse(f"{EMULATOR_PREFIX}/sandbox/")


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    password: str
    totp_secret: str | None = None  # focal points and admins sign in with a code too


async def demo_accounts(core: Core) -> list[DemoAccount]:
    """One account per role, with a fresh password at every start (printed once); the
    roles that require two-factor sign-in get a fresh TOTP secret too."""
    accounts: list[DemoAccount] = []
    async with core.database.transaction() as session:
        staff = StaffService(session, core)
        factor = TwoFactor(session, core)
        for role in Role:
            username = f"{DEMO_PREFIX}{role.value.replace('_', '-')}"
            password = secrets.token_urlsafe(12)
            user = await staff.users.get_by_username(username)
            if user is None:
                user = await staff.create_user(
                    Actor.system(), username=username, password=password, role=role.value
                )
            else:
                await staff.update_user(Actor.system(), user.id, password=password, is_active=True)
            secret = None
            if two_factor_required(role):
                if factor.enrolled(user):
                    await factor.reset(Actor.system(), user, reason="sandbox_start")
                secret = (await factor.enrol(Actor.system(), user)).secret
            accounts.append(DemoAccount(username, role.value, password, secret))
    return accounts


def banner(base_url: str, accounts: list[DemoAccount], data_dir: Path) -> str:
    lines = [
        "",
        "Holos sandbox: the whole product, offline (no bot token is set).",
        "",
        f"  Chat with the bot:   {base_url}/sandbox",
        f"  Staff console:       {base_url}/console   (sign in with a demo account below)",
        f"  Triage API:          {base_url}/api/v1   (interactive docs: {base_url}/docs)",
        f"  Sandbox data:        {data_dir}",
        "",
        "  Demo staff accounts (passwords and two-factor secrets change at every start):",
    ]
    for account in accounts:
        lines.append(f"    {account.role:<12} {account.username:<18} {account.password}")
        if account.totp_secret:
            lines.append(f"    {'':<12} two-factor secret: {account.totp_secret}")
    lines += [
        "",
        "  Focal points and admins also type a 6-digit code: add the secret to an",
        "  authenticator app, or print the current code with",
        "    python -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\"",
    ]
    lines += [
        "",
        f"  Sign in: curl -d 'username=demo-operator&password=…' {base_url}/api/v1/auth/token",
        "  Stop with Ctrl+C.",
        "",
    ]
    return "\n".join(lines)
