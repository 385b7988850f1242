"""`holos sandbox` as a user runs it: a real process, its banner, the chat page, the bot
answering a message typed through the page's own endpoints, a demo operator signing in,
and a clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from storage import totp
from tgemu import EmulatorClient

HOLOS = Path(sys.executable).with_name("holos")
# Imports are slow on a cold machine; the banner is the sign that everything is up.
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
BANNER_END = "Stop with Ctrl+C."


@dataclass
class Sandbox:
    process: asyncio.subprocess.Process
    banner: str
    base_url: str
    passwords: dict[str, str]  # demo username -> password
    data_dir: Path

    async def stop(self) -> tuple[int, str, str]:
        """SIGTERM, then the exit code and the rest of stdout and stderr."""
        self.process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(self.process.communicate(), STOP_TIMEOUT)
        assert self.process.returncode is not None
        return self.process.returncode, out.decode(), err.decode()


def sandbox_env(data_dir: Path) -> dict[str, str]:
    # Nothing of the developer's configuration: no token (that is what makes it the
    # sandbox), no database, no Redis.
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOLOS_")}
    env["HOLOS_DATA_DIR"] = str(data_dir)
    return env


async def read_banner(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    lines: list[str] = []
    async with asyncio.timeout(START_TIMEOUT):
        while BANNER_END not in (line := (await process.stdout.readline()).decode()):
            assert line, "holos sandbox exited before printing its banner"
            lines.append(line)
    return "".join(lines)


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    data_dir = tmp_path / "data"
    process = await asyncio.create_subprocess_exec(
        str(HOLOS),
        "sandbox",
        "--port",
        "0",
        cwd=tmp_path,  # no .env from the repository
        env=sandbox_env(data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        banner = await read_banner(process)
        url = re.search(r"Chat with the bot:\s+(http://\S+)/sandbox", banner)
        assert url, banner
        passwords = dict(re.findall(r"^\s+\w+\s+(demo-[\w-]+)\s+(\S+)$", banner, re.MULTILINE))
        yield Sandbox(process, banner, url.group(1), passwords, data_dir)
    finally:
        if process.returncode is None:
            process.kill()
            await process.communicate()


@pytest.mark.slow  # a real `holos sandbox` process
async def test_the_sandbox_runs_answers_signs_in_and_stops_cleanly(sandbox: Sandbox) -> None:
    base = sandbox.base_url
    # A real port was bound and shown, though 0 was asked for.
    assert not base.endswith(":0")
    assert f"{base}/api/v1" in sandbox.banner
    assert set(sandbox.passwords) == {
        "demo-operator",
        "demo-focal-point",
        "demo-analyst",
        "demo-admin",
    }
    assert str(sandbox.data_dir / "sandbox") in sandbox.banner

    async with httpx.AsyncClient(base_url=base, timeout=30, trust_env=False) as http:
        # The chat page, through the redirect.
        page = await http.get("/sandbox", follow_redirects=True)
        assert page.status_code == 200
        assert str(page.url).endswith("/tg/sandbox/")
        assert 'const API = "../_emulator/";' in page.text

        # What the page does: read its bot, create a person, send what they typed.
        api = str(page.url.join("../_emulator/"))
        token = (await http.get(api + "sandbox-config")).json()["token"]
        bot = f"{api}bots/{token}/"
        person = await http.post(bot + "users", json={"first_name": "Guest", "language_code": "en"})
        assert person.status_code == 200, person.text
        user_id = person.json()["id"]
        typed = await http.post(
            bot + f"users/{user_id}/messages", json={"kind": "text", "text": "/start"}
        )
        assert typed.status_code == 200, typed.text

        # The bot's answer, waited for through the same control API.
        async with EmulatorClient(api.removesuffix("/_emulator/")) as control:
            user = await control.bot(token).user(user_id)
            welcome = await user.wait_for(lambda m: m.from_bot and "Hello" in m.body)
        assert "📝 Complaint or feedback" in welcome.button_labels

        # A demo operator signs in with the printed password.
        signed = await http.post(
            "/api/v1/auth/token",
            data={"username": "demo-operator", "password": sandbox.passwords["demo-operator"]},
        )
        assert signed.status_code == 200, signed.text
        me = await http.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {signed.json()['access_token']}"}
        )
        assert me.json()["role"] == "operator"

        # A demo admin needs the code too: from the secret the banner printed.
        secret = re.search(
            r"demo-admin\s+\S+\n\s+two-factor secret: ([A-Z2-7]+)$", sandbox.banner, re.MULTILINE
        )
        assert secret, sandbox.banner
        admin = {"username": "demo-admin", "password": sandbox.passwords["demo-admin"]}
        refused = await http.post("/api/v1/auth/token", data=admin)
        assert refused.json()["code"] == "otp_required"
        code = totp.code_at(secret.group(1), datetime.now(UTC))
        signed = await http.post("/api/v1/auth/token", data={**admin, "otp": code})
        assert signed.status_code == 200, signed.text

        # The bot's counters are on the API's /metrics, in the same process.
        metrics = (await http.get("/metrics")).text
        assert re.search(r'holos_bot_updates_total\{outcome="ok",type="message"\} [1-9]', metrics)

    code, out, err = await sandbox.stop()
    assert code == 0, err
    assert "holos: stopping" in out
    assert "Traceback" not in err and "graceful shutdown exceeded" not in err
    # Logs name events, never the person.
    assert str(user_id) not in err and "Guest" not in err
