"""Working through many cases in Chromium: a Russian template inserted, edited and sent on
a Russian report; five cases acknowledged at once while one changed meanwhile is named;
j/k, the help overlay and "next case"; on a phone the account and the reply box come
before triage."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.access import Actor
from storage.core import Core
from storage.enums import Language, Priority, Status
from storage.models import Case, Reply
from storage.services.reply_templates import ReplyTemplateService
from storage.services.triage import CaseChanges, TriageService
from tests.console.helpers import PHONE, Console
from tests.storage.helpers import make_staff, submit

RU_TEMPLATE = "Здравствуйте! Ваше обращение от {date} («{topic}») мы получили и проверяем."
FILLED = (
    "Здравствуйте! Ваше обращение от 2 марта 2026 г. («Качество или количество помощи») "
    "мы получили и проверяем."
)


async def statuses(core: Core) -> dict[str, Status]:
    async with core.database.transaction() as session:
        return {c.ref: c.status for c in (await session.scalars(select(Case))).all()}


async def change_meanwhile(core: Core, who: Actor, ref: str) -> None:
    async with core.database.transaction() as session:
        await TriageService(session, core).update(
            ref, who, expected_version=1, changes=CaseChanges(priority=Priority.HIGH)
        )


def test_russian_template_then_bulk_acknowledge_with_one_changed_meanwhile(
    console: Console,
) -> None:
    async def scenario() -> None:
        core = console.core
        # An administrator writes the templates on the console's page.
        await console.staff("boss", "admin")
        admin = await console.page()
        await console.sign_in(admin, "boss")
        await admin.goto(console.url("/console/templates"))
        for name, language, text in (
            ("Подяка", "ru", RU_TEMPLATE),
            ("Подяка", "uk", "Дякуємо за звернення від {date}."),
            ("Referral", "en", "We have passed your report to a partner."),
        ):
            await admin.fill("#new-name", name)
            await admin.select_option("#new-language", language)
            await admin.fill("#new-text", text)
            await admin.click("button:has-text('Додати шаблон')")
            await admin.wait_for_url("**/console/templates?saved=1")
        assert await admin.locator("ul.templates > li").count() == 3

        russian = await submit(core, language=Language.RU, narrative="Выдали меньше, чем в списке.")
        await console.staff("olena", "operator")
        page = await console.page()
        await console.sign_in(page, "olena")
        await page.goto(console.url(f"/console/cases/{russian.ref}"))
        await page.fill("#reply-text", "")
        # Offered in Russian; the English-only one is marked.
        options = await page.locator("#template option").all_inner_texts()
        assert [o.strip() for o in options] == ["Referral (лише англійською)", "Подяка"]
        await page.select_option("#template", label="Подяка")
        await page.click("button:has-text('Вставити у відповідь')")
        assert await page.input_value("#reply-text") == FILLED
        assert page.url.endswith(f"/console/cases/{russian.ref}")  # in place, no reload
        assert await page.locator("#template-warning").is_hidden()
        # The English one on a Russian report comes with a warning.
        await page.select_option("#template", label="Referral (лише англійською)")
        await page.click("button:has-text('Вставити у відповідь')")
        assert await page.locator("#template-warning").is_visible()
        assert "англійський" in await page.inner_text("#template-warning")
        # The operator keeps the Russian text only, and adds a line of her own.
        await page.fill("#reply-text", FILLED + " Ответим до пятницы.")
        await page.click("button:has-text('Надіслати відповідь')")
        await page.wait_for_url(re.compile(r"\?saved=reply#replies$"))
        assert await page.inner_text("#saved") == "Збережено."
        assert "Ответим до пятницы." in await page.inner_text("#replies")
        async with core.database.transaction() as session:
            reply = (await session.scalars(select(Reply))).one()
            assert reply.bodies == {"ru": FILLED + " Ответим до пятницы."}

        # Five new cases; the list shows them, then a colleague changes the third.
        five = [await submit(core, narrative=f"Скарга номер {i}.") for i in range(5)]
        await page.goto(console.url("/console/cases?tab=new"))
        for case in five:
            await page.check(f".case-row[data-ref='{case.ref}'] input.pick")
        await change_meanwhile(core, await make_staff(core, "olha", "operator"), five[2].ref)
        await page.select_option("#bulk-action", "acknowledge")
        await page.click("button:has-text('Застосувати до позначених')")
        await page.wait_for_selector("#bulk-result")
        assert "Змінено 4 справи." in await page.inner_text("#bulk-result")
        stale = await page.inner_text(".stale-cases")
        assert five[2].ref in stale
        assert not any(c.ref in stale for i, c in enumerate(five) if i != 2)
        now = await statuses(core)
        assert [now[c.ref] for c in five] == [
            Status.ACKNOWLEDGED,
            Status.ACKNOWLEDGED,
            Status.NEW,
            Status.ACKNOWLEDGED,
            Status.ACKNOWLEDGED,
        ]
        # The list drawn again holds only what is still new: the Russian case and the third.
        rows = await page.locator(".case-row").evaluate_all("rows => rows.map(r => r.dataset.ref)")
        assert sorted(rows) == sorted([russian.ref, five[2].ref])

    console.run(scenario())


def test_keyboard_shortcuts_help_and_next_case(console: Console) -> None:
    async def scenario() -> None:
        core = console.core
        cases = [await submit(core, narrative=f"Звернення {i}.") for i in range(3)]
        await console.staff("olena", "operator")
        page = await console.page()
        await console.sign_in(page, "olena")
        await page.wait_for_url("**/console/cases")

        async def current() -> str | None:
            rows = page.locator(".case-row.is-current")
            return await rows.get_attribute("data-ref") if await rows.count() else None

        await page.keyboard.press("j")
        assert await current() == cases[0].ref
        await page.keyboard.press("j")
        await page.keyboard.press("j")
        assert await current() == cases[2].ref
        await page.keyboard.press("k")
        assert await current() == cases[1].ref
        assert await page.evaluate("document.activeElement.textContent") == cases[1].ref
        # With a Ukrainian layout the key marked J types "о": it is still "next".
        await page.evaluate(
            """() => document.activeElement.dispatchEvent(new KeyboardEvent(
                'keydown', {key: 'о', code: 'KeyJ', bubbles: true}))"""
        )
        assert await current() == cases[2].ref
        await page.keyboard.press("k")

        # Typing in a field is typing, not a shortcut.
        await page.fill("#q", "")
        await page.focus("#q")
        await page.keyboard.press("j")
        assert await current() == cases[1].ref
        await page.focus("a.brand, .brand a")

        assert await page.locator("#shortcuts").is_hidden()
        await page.keyboard.press("?")
        assert await page.locator("#shortcuts").is_visible()
        help_text = await page.inner_text("#shortcuts")
        for key in ("j", "k", "a", "r", "?"):
            assert key in help_text
        assert "Наступна справа у списку" in help_text
        await page.keyboard.press("Escape")
        assert await page.locator("#shortcuts").is_hidden()

        # Enter opens the chosen case; j there goes on to the next one of the list, here
        # the new cases (so a case acknowledged leaves it).
        await page.goto(console.url("/console/cases?tab=new"))
        await page.keyboard.press("j")
        await page.keyboard.press("k")
        await page.keyboard.press("k")
        assert await current() == cases[0].ref
        await page.keyboard.press("Enter")
        await page.wait_for_url(re.compile(rf"/console/cases/{cases[0].ref}\?"))
        assert await page.locator("#next-case").count() == 1
        await page.keyboard.press("j")
        await page.wait_for_url(re.compile(rf"/console/cases/{cases[1].ref}\?"))
        # a acknowledges; the page says so, and still offers the next case.
        await page.keyboard.press("a")
        await page.wait_for_url(re.compile(r"saved=status"))
        assert await page.inner_text("#saved") == "Збережено."
        assert (await statuses(core))[cases[1].ref] is Status.ACKNOWLEDGED
        next_url = await page.get_attribute("#next-case", "href")
        assert next_url is not None and f"/console/cases/{cases[2].ref}?" in next_url
        # r goes to the reply box.
        await page.keyboard.press("r")
        assert await page.evaluate("document.activeElement.id") == "reply-text"
        # The last case of the list has no next one.
        await page.goto(console.url(next_url))
        assert await page.locator("#next-case").count() == 0

        # On the list, a acknowledges the chosen row when none is ticked.
        await page.goto(console.url("/console/cases?tab=new"))
        await page.keyboard.press("j")
        assert await current() == cases[0].ref
        await page.keyboard.press("a")
        await page.wait_for_selector("#bulk-result")
        assert "Змінено 1 справу." in await page.inner_text("#bulk-result")
        assert (await statuses(core))[cases[0].ref] is Status.ACKNOWLEDGED

        # The compact view is remembered.
        await page.goto(console.url("/console/cases"))
        assert await page.locator("#rows.compact").count() == 0
        await page.click("#compact-toggle")
        assert await page.locator("#rows.compact").count() == 1
        await page.reload()
        assert await page.locator("#rows.compact").count() == 1
        assert await page.get_attribute("#compact-toggle", "aria-pressed") == "true"

    console.run(scenario())


def test_on_a_phone_the_account_and_reply_come_before_triage(console: Console) -> None:
    async def scenario() -> None:
        case = await submit(console.core, narrative="Видали менше продуктів, ніж у списку.")
        boss = await make_staff(console.core, "boss", "admin")
        async with console.core.database.transaction() as session:
            await ReplyTemplateService(session, console.core).create(
                boss,
                name="Передано партнерській організації, яка цим займається",
                language="en",
                body="We have passed your report to our partner who handles this.",
            )
        await console.staff("olena", "operator")
        page = await console.page(PHONE)
        await console.sign_in(page, "olena")
        await page.goto(console.url(f"/console/cases/{case.ref}"))
        await page.screenshot(
            path=str(console.core.settings.data_dir / "phone-case.png"), full_page=True
        )

        async def top(selector: str) -> float:
            box = await page.locator(selector).bounding_box()
            assert box is not None, selector
            return box["y"]

        narrative, reply, state, triage = (
            await top(".narrative"),
            await top("#reply-text"),
            await top("#h-state"),
            await top("#h-details"),
        )
        assert narrative < reply < state < triage
        # The narrative starts on the first screen.
        assert narrative < PHONE["height"]
        # In the page's order too (what a screen reader and the keyboard follow).
        order = await page.evaluate(
            """() => {
                const a = document.querySelector('.narrative');
                const b = document.querySelector('#h-details');
                return Boolean(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
            }"""
        )
        assert order is True
        # Nothing runs off the side, not even a long template name.
        await page.click("button:has-text('Вставити у відповідь')")
        assert await page.locator("#template-warning").is_visible()
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    console.run(scenario())
