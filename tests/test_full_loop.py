"""The whole feedback loop (issue 5), on SQLite and PostgreSQL, through the real parts:
the bot on the Telegram emulator, the triage API over HTTP, the delivery worker.

A reporter files a report and opts in to replies in the chat; an operator finds it in
the worklist, acknowledges it and answers in the reporter's language; the reporter reads
the answer with /status and their receipt code, and gets it in the chat exactly once,
though Telegram first answers 429 and the bot restarts in between. Every step leaves its
event in the case's audit trail.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from admin_api.app import create_app
from storage.clock import FrozenClock
from storage.core import Core, build_core
from tests.bot.helpers import sent_with, served, tried_with
from tests.handlers.conversation import Talk, tr
from tests.harness import BotFactory, bot_settings
from tests.services import REDIS_URL
from tests.storage.helpers import make_staff
from tgemu import BotHandle

V1 = "/api/v1"
PASSWORD = "a-long-enough-password"  # what tests.storage.helpers.make_staff sets
NARRATIVE = "Нам выдали только половину продуктового набора."
ANSWER = {
    "ru": "Мы проверили список: недостающее привезут в пятницу.",
    "uk": "Ми перевірили список: решту привезуть у пʼятницю.",
    "en": "We checked the list: the rest arrives on Friday.",
}
RETRY_AFTER = 5


@pytest.fixture
async def loop_core(tmp_path: Path, database_url: str, clock: FrozenClock) -> AsyncIterator[Core]:
    """One Core per engine, as tests/conftest.py builds it, with cheap receipt hashing."""
    core = build_core(bot_settings(tmp_path, database_url), clock=clock)
    yield core
    await core.close()


def flow_state(core: Core) -> dict[str, Any]:
    """On PostgreSQL the bot keeps drafts in Redis (never in the database: issue 18)."""
    return {} if core.database.dialect == "sqlite" else {"redis": Redis.from_url(REDIS_URL)}


async def sign_in(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await http.post(
        f"{V1}/auth/token", data={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def test_report_triage_reply_status_and_delivery(
    loop_core: Core,
    start_bot: BotFactory,
    make_user,
    tg: BotHandle,
    clock: FrozenClock,
) -> None:
    core = loop_core
    bot = await start_bot(core, **flow_state(core))
    await make_staff(core, "olena", "operator")
    async with served(create_app(core)) as (_, http):
        staff = await sign_in(http, "olena")

        # 1. The report, in Russian, with replies in this chat.
        talk = Talk(await make_user("ru"), "ru")
        code = await talk.file_report(parts=[NARRATIVE], contact="💬 Reply in this chat")

        # 2. In the operator's worklist.
        (item,) = ok(await http.get(f"{V1}/cases", headers=staff))["items"]
        assert (item["status"], item["language"], item["category"]) == (
            "new",
            "ru",
            "assistance_quality",
        )
        ref = item["ref"]
        case = await http.get(f"{V1}/cases/{ref}", headers=staff)
        assert ok(case)["narrative"] == NARRATIVE
        assert ok(case)["reply_in_chat"] is True

        # 3. Acknowledged under If-Match, then answered; Telegram will refuse the first try.
        acknowledged = await http.patch(
            f"{V1}/cases/{ref}",
            json={"status": "acknowledged"},
            headers={**staff, "If-Match": case.headers["ETag"]},
        )
        assert ok(acknowledged)["status"] == "acknowledged"
        # "Acknowledged" tells the reporter (a neutral notice) before the answer is written.
        await bot.worker.flush()
        notice = tr("ru", "There is an update on your report. Open it with your code.")
        await talk.user.wait_for(lambda m: m.body == notice)
        await tg.inject_retry_after("sendMessage", times=1, retry_after=RETRY_AFTER)
        answered = await http.post(
            f"{V1}/cases/{ref}/replies", json={"texts": ANSWER}, headers=staff
        )
        assert ok(answered, 201)["delivery"] == "pending"

        # 4. The worker meets the 429; the bot restarts before the retry is due.
        await bot.worker.flush()
        (refused,) = await tried_with(tg, ANSWER["ru"])
        assert refused["error_code"] == 429
        await bot.stop()
        bot = await start_bot(core, **flow_state(core))
        clock.advance(timedelta(seconds=RETRY_AFTER))
        await bot.worker.flush()

        # 5. Delivered once, in Russian.
        header = tr("ru", "💬 <b>An answer to your report of {date}:</b>").split("{date}")[0]
        delivered = [c for c in await sent_with(tg, ANSWER["ru"]) if header in c["params"]["text"]]
        assert len(delivered) == 1
        await talk.user.wait_for(lambda m: ANSWER["ru"] in m.body)
        assert await tried_with(tg, ANSWER["en"]) == [] and await tried_with(tg, ANSWER["uk"]) == []

        # 6. /status with the receipt code shows the status and the answer in Russian.
        await talk.command("status")
        view = (await talk.say(code)).last
        assert "принято" in view.body
        assert ANSWER["ru"] in view.body and ANSWER["en"] not in view.body

        # Still one delivery after another worker round.
        await bot.worker.flush()
        delivered = [c for c in await sent_with(tg, ANSWER["ru"]) if header in c["params"]["text"]]
        assert len(delivered) == 1

        # 7. The audit trail, step by step.
        events = ok(await http.get(f"{V1}/cases/{ref}/events", headers=staff))["items"]
        trail = [(e["action"], e["actor_kind"], e["actor_name"]) for e in events]
        assert trail == [
            ("case.created", "reporter", None),
            ("case.updated", "staff", "olena"),
            ("reply.added", "staff", "olena"),
            ("reply.delivered", "system", None),
        ]
        created, updated, added, delivered_event = events
        assert created["after"]["contact_mode"] == "chat"
        assert created["after"]["language"] == "ru"
        assert (updated["before"], updated["after"]) == (
            {"status": "new"},
            {"status": "acknowledged"},
        )
        assert added["after"] == {"languages": ["en", "ru", "uk"], "delivery": "pending"}
        assert added["target"] == delivered_event["target"]
        assert (delivered_event["before"], delivered_event["after"]) == (
            {"delivery": "pending"},
            {"delivery": "delivered"},
        )
        # The API's own view of the reply agrees.
        (reply,) = ok(await http.get(f"{V1}/cases/{ref}", headers=staff))["replies"]
        assert reply["delivery"] == "delivered"
