"""Issue 21's "done when", walked through by every party with the real parts: a child's
sexual-exploitation report, filed in the bot (on the Telegram emulator) under "Behaviour
of staff", is moved into the sealed channel by the operator who reads it in Chromium,
and from then on does not exist for her. The alert worker running beside the bot (its
own rounds, which the test waits for) tells the focal point by e-mail (aiosmtpd, with
STARTTLS) and in her linked Telegram chat, saying nothing of the report. She opens the
sealed worklist from the mail and answers; the reporter's chat gets only the neutral
notice, the answer is read with the receipt code. The reporter presses "Reply to this"
and writes again: it joins the same case, marked new for the focal point. Nobody
acknowledges it, and twelve hours later (the test moves the clock) the escalation
addresses hear of it, again without a word of it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

from bot.runtime import BotRuntime
from storage.services.alerts import SEALED_WORKLIST_PATH
from tests.bot.helpers import tried_with
from tests.console.helpers import PHONE, Console
from tests.handlers.conversation import Talk, oblast_label, stored_cases, tr
from tests.harness import bot_idle, new_token, quick_requests
from tests.smtp import SmtpServer
from tests.storage.helpers import submit
from tgemu import BotHandle, EmulatorClient, EmulatorThread, SimulatedUser

NARRATIVE = "Мені 17. Роздавач продуктів каже, що дасть більше їжі, якщо я прийду до нього ввечері."
MORE = "Він знову кликав мене сьогодні."
ANSWER = "Ми почули вас. Завтра вам зателефонує жінка з нашої команди, о 15:00."
FOCAL_MAIL = "anna@example.org"
ESCALATION = ("investigations@example.org", "ethics@example.org")
# Nothing an alert may carry about a sealed case: its words, its category (as filed and
# as moved, in the reader's language and in English), its oblast.
SECRETS = (
    "Роздавач",
    "сексуальн",
    "sexual",
    "exploitation",
    "Поведінка",
    "staff",
    oblast_label("UA-63", "uk"),
    oblast_label("UA-63", "en"),
    "UA-63",
)
WRITE_ANSWER = (
    "Write your answer: text, photos, documents or voice messages. It joins the same "
    "report. When you have finished, press «Done»."
)
# The worker's own cadence (at most 15 s): waits allow a few rounds on a loaded machine.
ALERT_WAIT = 60.0


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def console_settings(smtp: SmtpServer) -> dict[str, Any]:
    return {
        "smtp_url": smtp.url,
        "smtp_ca_file": smtp.cert,
        "escalation_emails": ",".join(ESCALATION),
        # The worker's rounds come every second instead of every ten: the test waits for
        # two of them, and a round is the same work whatever its cadence.
        "alert_interval_seconds": 1,
    }


async def until(found: Callable[[], list[Any]]) -> list[Any]:
    """What ``found`` returns once it is not empty: an alert arrives on the worker's round."""
    async with asyncio.timeout(ALERT_WAIT):
        # aiosmtpd stores what it accepts from its own thread, with no event to wait on.
        while not (items := found()):  # noqa: ASYNC110
            await asyncio.sleep(0.2)
    return items


def body_of(message: EmailMessage) -> str:
    return str(message["Subject"]) + "\n" + str(message.get_content())


def content_free(text: str, ref: str, code: str) -> None:
    for secret in (ref, code, code.replace(" ", ""), *SECRETS):
        assert secret not in text, f"{secret!r} in an alert: {text!r}"


async def open_case(page: Page, ref: str) -> None:
    async with page.expect_navigation():
        await page.click(f"#case-{ref}")
    assert re.search(rf"/console/cases/{ref}(\?.*)?$", page.url)


def test_a_misfiled_child_sea_report_reaches_the_focal_point_and_the_escalation_address(
    console: Console, emulator: EmulatorThread, smtp: SmtpServer
) -> None:
    async def scenario() -> None:
        core = console.core
        core.settings.public_url = console.base_url  # alert links lead to this console
        client = EmulatorClient(emulator.base_url, quiet=0.05)
        tg = client.bot(new_token())
        runtime = BotRuntime.create(
            core,
            token=tg.token,
            api_url=emulator.base_url,
            requests=quick_requests(),
            # Replies go out when the test flushes the delivery worker; the alert worker
            # keeps its own cadence (HOLOS_ALERT_INTERVAL_SECONDS) and the test waits.
            delivery_interval=3600,
            delivery_backoff=0.05,
            gather_window=0.0,
        )
        await runtime.start_polling()
        tg.settle = lambda: bot_idle([runtime], tg)
        try:
            await walk(console, runtime, tg, smtp)
        finally:
            await runtime.stop()
            await client.aclose()

    console.run(scenario(), timeout=300)


async def walk(console: Console, runtime: BotRuntime, tg: BotHandle, smtp: SmtpServer) -> None:
    core = console.core
    await console.staff("olena", "operator")
    await console.staff("anna", "focal_point")
    other = await submit(core, narrative="Черга на видачу була три години.")

    # The focal point sets up her alerts on her account page, and links her Telegram.
    focal = await console.page(PHONE)
    await console.sign_in(focal, "anna")
    await focal.goto(console.url("/console/password#alerts"))
    await focal.fill("#alert-email", FOCAL_MAIL)
    await focal.check("input[name=email_on]")
    await focal.check("input[name=telegram_on]")
    await focal.click("text=Зберегти налаштування сповіщень")
    await focal.wait_for_selector("#alerts [role=status]")
    await focal.click("text=Підключити мій Telegram")
    link = await focal.get_attribute("#telegram-link", "href")
    assert link is not None
    found = re.fullmatch(r"https://t\.me/\w+\?start=(staff_[\w-]+)", link)
    assert found, link
    focal_phone: SimulatedUser = await tg.create_user(
        id=700_555_001, first_name="Анна", language_code="uk"
    )
    linked = await focal_phone.send_command("start", found.group(1))
    assert linked.text.startswith("Цей чат підключено до вашого службового облікового запису")
    assert linked.last.buttons == ()  # no welcome, no draft

    # A 17-year-old files it in the bot as staff behaviour, asking for replies in the chat.
    reporter = await tg.create_user(id=700_555_002, first_name="Тест", language_code="uk")
    talk = Talk(reporter, "uk")
    code = await talk.file_report(
        "staff_conduct", parts=[NARRATIVE], contact="💬 Reply in this chat"
    )
    [_, filed] = await stored_cases(core)
    ref = filed.ref
    assert not filed.sensitive

    # The operator reads it in her worklist and moves it into the sealed channel.
    operator = await console.page()
    await console.sign_in(operator, "olena")
    await operator.wait_for_url("**/console/cases")
    assert await operator.inner_text(".total") == "2 справи"
    assert await operator.locator("#sealed").count() == 0  # no sealed channel for her
    await open_case(operator, ref)
    assert "Роздавач продуктів" in await operator.inner_text("main")
    await operator.select_option("#f-category", "sexual_exploitation")
    await operator.fill("#f-move-note", "Дитина, схоже на сексуальну експлуатацію")
    await operator.click("#channel button[type=submit]")
    await operator.wait_for_url("**/console/cases?moved=sealed")

    # Not a trace of it for her: not listed, not counted, not found, 404 by its URL.
    assert await operator.locator(f"#case-{ref}").count() == 0
    assert await operator.locator(f"#case-{other.ref}").count() == 1
    assert await operator.inner_text(".tabs a:has-text('Відкриті') .count") == "1"
    assert await operator.inner_text(".total") == "1 справа"
    await operator.fill("#q", "роздавач")
    await operator.click(".filters button[type=submit]")
    await operator.wait_for_url("**q=*")
    assert await operator.inner_text(".total") == "0 справ"
    await operator.fill("#q", ref)
    async with operator.expect_navigation():
        await operator.click(".filters button[type=submit]")
    # A reference searched for opens its case; this one is not found.
    assert f"/console/cases/{ref}" not in operator.url
    assert await operator.inner_text(".total") == "0 справ"
    assert await operator.locator(f"#case-{ref}").count() == 0
    missing = await operator.goto(console.url(f"/console/cases/{ref}"))
    assert missing is not None and missing.status == 404
    assert "Роздавач" not in await operator.content()

    # The alert worker's next round: her mailbox and her Telegram chat, with no content.
    [mail] = await until(lambda: smtp.mailbox.to(FOCAL_MAIL))
    content_free(body_of(mail), ref, code)
    assert str(mail["Subject"]) == "Holos: на вас чекає нове звернення"
    alert = await focal_phone.wait_for(
        lambda m: m.from_bot and SEALED_WORKLIST_PATH in m.body, timeout=ALERT_WAIT
    )
    content_free(alert.body, ref, code)
    assert "У Holos на вас чекає нове звернення." in alert.body
    assert smtp.mailbox.to("olena@example.org") == []

    # She opens the link in the mail: the sealed worklist, the case in it, and answers.
    [url] = re.findall(r"https?://\S+" + re.escape(SEALED_WORKLIST_PATH), mail.get_content())
    await focal.goto(url)
    assert await focal.is_checked("#sealed")  # the filter the link set, shown as such
    row = focal.locator(f"li.case-row:has(#case-{ref})")
    assert await row.locator(".badge.sensitive").count() == 1
    assert await focal.locator(f"#case-{other.ref}").count() == 0  # the sealed ones only
    await open_case(focal, ref)
    text = await focal.inner_text("main")
    assert "Роздавач продуктів" in text and "Дитина, схоже на сексуальну" in text
    assert (
        tr("uk", "Their chat gets only a neutral notice; they read the reply with their code.")
        in text
    )
    await focal.fill("#reply-text", ANSWER)
    await focal.click("button:has-text('Надіслати відповідь')")
    await focal.wait_for_url(re.compile(rf"/console/cases/{ref}\?.*saved=reply#replies$"))

    # The reporter's chat gets the neutral notice, never the answer; the code reads it.
    await runtime.worker.flush()
    notice_text = tr("uk", "There is an update on your report. Open it with your code.")
    notice = await reporter.wait_for(lambda m: m.body == notice_text)
    assert await tried_with(tg, ANSWER) == []
    assert not any(ANSWER in m.body for m in await reporter.chat())
    await talk.command("status")
    view = await talk.say(code)
    assert ANSWER in view.text

    # "Reply to this", and they write again: the same case, new for the focal point.
    asked = await reporter.press(tr("uk", "↩️ Reply to this"), message_id=notice.message_id)
    assert asked.last.body == tr("uk", WRITE_ANSWER)
    await talk.say(MORE)
    added = await talk.tap("✅ Done")
    assert added.last.body == tr("uk", "✅ Added to your report. Thank you.")
    assert [c.ref for c in await stored_cases(core)] == [other.ref, ref]

    await focal.goto(console.url(SEALED_WORKLIST_PATH))
    row = focal.locator(f"li.case-row:has(#case-{ref})")
    assert "заявник відповів" in await row.locator(".badge.news").inner_text()
    await open_case(focal, ref)
    assert MORE in await focal.inner_text("main")

    # Nobody acknowledges it. Twelve hours after it arrived, the escalation addresses hear
    # of it on the worker's next round, without a word of it.
    console.clock.advance(timedelta(hours=12, minutes=1))

    def escalations() -> list[EmailMessage]:
        sent = [m for m in smtp.mailbox.messages if m["To"] in ESCALATION]
        return sent if len(sent) >= len(ESCALATION) else []

    escalated = await until(escalations)
    assert sorted(m["To"] for m in escalated) == sorted(ESCALATION)
    for message in escalated:
        content_free(body_of(message), ref, code)
        assert "12" in message.get_content()
