"""The sandbox's mail sink: alerts the sandbox would have e-mailed are shown on a page
linked from its banner, escaped, newest first; the demo case handlers get them from
the first start."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bot import sandbox
from bot.mail import MailSink
from storage.core import Core
from storage.settings import Settings
from tests.alerts.helpers import mail_worker
from tests.config import make_settings
from tests.storage.helpers import submit
from tgemu import Emulator

NARRATIVE = "Він вимагав секс за продуктовий набір."


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url, mail_sink=True)


async def test_sent_alerts_show_on_the_sandbox_mail_page(core: Core, tmp_path: Path) -> None:
    accounts = await sandbox.demo_accounts(core)
    text = sandbox.banner("http://127.0.0.1:8000", accounts, tmp_path)
    assert "Sent alerts (mail):  http://127.0.0.1:8000/sandbox/mail" in text

    sink = MailSink()
    app = FastAPI()
    sandbox.mount(app, Emulator(sandbox_token=sandbox.sandbox_token()), sink)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sandbox"
    ) as http:
        empty = await http.get(sandbox.MAIL_PATH)
        assert empty.status_code == 200 and "No alert has been sent yet" in empty.text

        submitted = await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
        assert await mail_worker(core, mailer=sink).run_once() == 1
        page = (await http.get(sandbox.MAIL_PATH)).text
    assert "To demo-focal-point@holos.sandbox" in page
    assert "Holos: на вас чекає нове звернення" in page  # the demo's console language
    assert submitted.ref not in page and "секс" not in page


def test_the_sandbox_never_sends_real_mail() -> None:
    settings = make_settings(
        Path("/tmp"), "sqlite+aiosqlite://", smtp_url="smtp://mail.example.org"
    )
    chosen = sandbox.sandbox_settings(settings)
    assert chosen.smtp_url is None and chosen.mail_sink
