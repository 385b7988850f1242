"""The README's console screenshots, taken anew: ``python -m bench.screenshots [--out DIR]``.

A sandbox console (the sandbox's settings, its demo accounts, a fresh database in a
temporary folder) is seeded with a small week of cases: standard ones in Ukrainian and
Russian, sealed ones, one misfiled report an operator moved into the sealed channel and
its reporter then answered. Chromium (Playwright, ``HOLOS_TEST_CHROMIUM`` or
/usr/bin/chromium) signs in as the demo operator and the demo focal point and saves
each page at 390 px and 1366 px as ``<page>-390.png`` and ``<page>-1366.png``, reduced to
a 256-colour palette so that each stays small. Nothing of it runs in the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from PIL import Image
from playwright.async_api import Browser, Page, ViewportSize, async_playwright

from admin_api.app import create_app
from admin_api.server import bind_socket, running_api
from bot import sandbox
from storage import totp
from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core, build_core
from storage.enums import ActivityKind, ContactMode, Language, Status
from storage.migrate import migrate_url
from storage.repositories.staff import StaffRepository
from storage.services.alerts import SEALED_WORKLIST_PATH
from storage.services.intake import ContactChoice, IntakeService, ReportSubmission
from storage.services.reclassify import Reclassification
from storage.services.triage import CaseChanges, TriageService
from storage.settings import Settings

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
CHROMIUM = Path(os.environ.get("HOLOS_TEST_CHROMIUM", "/usr/bin/chromium"))
WIDTHS: dict[int, ViewportSize] = {
    390: {"width": 390, "height": 844},
    1366: {"width": 1366, "height": 768},
}
START = datetime(2026, 3, 9, 7, 40, tzinfo=UTC)  # a Monday morning in Kyiv
CHAT = 700_000_001  # a made-up reporter chat (replies go nowhere here)

STANDARD = (
    (
        "assistance_quality",
        "UA-63",
        "food",
        Language.UK,
        "Нам видали лише половину продуктового набору, а в списку нас четверо.",
    ),
    (
        "assistance_quality",
        "UA-59",
        "food",
        Language.UK,
        "У наборі не було олії та борошна, хоча на складі їх бачили.",
    ),
    (
        "selection_process",
        "UA-14",
        "cash",
        Language.RU,
        "Маму не включили в список на денежную помощь, хотя документы сдали в феврале.",
    ),
    (
        "assistance_quality",
        "UA-48",
        "food",
        Language.RU,
        "Продуктовые наборы раздали только тем, кто пришёл до девяти утра.",
    ),
    (
        "information_request",
        "UA-65",
        "shelter",
        Language.UK,
        "Коли будуть видавати будматеріали для вікон? Ми на Миколаївській, 12.",
    ),
    (
        "suggestion",
        "UA-51",
        None,
        Language.UK,
        "Дякуємо волонтерам у Лиманці, але черга на вулиці під дощем — важко для старших.",
    ),
    (
        "assistance_request",
        "UA-23",
        "cash",
        Language.UK,
        "Переїхали з Оріхова, ще не отримали жодної допомоги. Двоє дітей.",
    ),
)
SEALED = (
    (
        "fraud_corruption",
        "UA-63",
        "cash",
        Language.UK,
        "Старший на пункті видачі бере по 200 гривень за внесення в список.",
    ),
    (
        "trafficking",
        "UA-12",
        None,
        Language.RU,
        "Сестре предложили работу за границей, паспорт забрали «на оформление».",
    ),
)
MISFILED = "Мені 17. Роздавач продуктів каже, що дасть більше їжі, якщо я прийду до нього ввечері."


@dataclass
class Seeded:
    misfiled: str  # the moved case's reference
    standard: str  # a standard case with the reporter's addition


async def seed(core: Core, operator: Actor, clock: FrozenClock) -> Seeded:
    refs: list[str] = []
    for number, (category, oblast, programme, language, text) in enumerate(STANDARD + SEALED):
        clock.advance(timedelta(hours=5, minutes=17 * number))
        async with core.database.transaction() as session:
            submitted = await IntakeService(session, core).submit(
                ReportSubmission(
                    category=category,
                    language=language,
                    oblast=oblast,
                    narrative=text,
                    programme=programme,
                    contact=ContactChoice(ContactMode.CHAT, chat_id=CHAT + number),
                )
            )
        refs.append(submitted.ref)
    clock.advance(timedelta(hours=3))
    async with core.database.transaction() as session:
        misfiled = await IntakeService(session, core).submit(
            ReportSubmission(
                category="staff_conduct",
                language=Language.UK,
                oblast="UA-63",
                narrative=MISFILED,
                programme="food",
                contact=ContactChoice(ContactMode.CHAT, chat_id=CHAT + 99),
            )
        )
    clock.advance(timedelta(minutes=40))
    async with core.database.transaction() as session:
        triage = TriageService(session, core)
        for ref in refs[2:4]:
            case = await triage.get_visible(ref, operator, audit_read=False)
            await triage.update(
                ref,
                operator,
                expected_version=case.version,
                changes=CaseChanges(
                    status=Status.ACKNOWLEDGED, set_assignee=True, assignee_id=operator.user_id
                ),
            )
        await triage.add_reply(
            refs[2],
            operator,
            {
                Language.RU: "Мы проверяем список. Ответим до пятницы.",
                Language.UK: "Ми перевіряємо список. Відповімо до пʼятниці.",
                Language.EN: "We are checking the list and will answer by Friday.",
            },
        )
    async with core.database.transaction() as session:
        case = await TriageService(session, core).get_visible(
            misfiled.ref, operator, audit_read=False
        )
        await Reclassification(session, core).move(
            misfiled.ref,
            operator,
            expected_version=case.version,
            category="sexual_exploitation",
            note="Дитина; схоже на сексуальну експлуатацію.",
        )
    clock.advance(timedelta(hours=1, minutes=5))
    async with core.database.transaction() as session:
        intake = IntakeService(session, core)
        moved = await TriageService(session, core).get_visible(
            misfiled.ref, Actor.staff(0, "system", "focal_point"), audit_read=False
        )
        await intake.add_reporter_info(
            moved.id, text="Він знову кликав мене сьогодні.", kind=ActivityKind.REPORTER_REPLIED
        )
        standard = await TriageService(session, core).get_visible(
            refs[0], operator, audit_read=False
        )
        await intake.add_reporter_info(
            standard.id, text="Забула сказати: це було в пункті на Салтівці, 3 березня."
        )
    clock.advance(timedelta(minutes=20))
    return Seeded(misfiled=misfiled.ref, standard=refs[0])


async def signed_in(browser: Browser, base: str, account: sandbox.DemoAccount, core: Core) -> Page:
    context = await browser.new_context(
        viewport=WIDTHS[1366], locale="uk-UA", timezone_id="Europe/Kyiv"
    )
    context.set_default_timeout(15_000)
    page = await context.new_page()
    await page.goto(base + "/console/sign-in")
    await page.fill("#username", account.username)
    await page.fill("#password", account.password)
    async with page.expect_navigation():
        await page.click("form.stack button[type=submit]")
    if account.totp_secret is not None:
        await page.fill("#code", totp.code_at(account.totp_secret, core.clock.now()))
        async with page.expect_navigation():
            await page.click("#code-form button[type=submit]")
    return page


def shrink(path: Path) -> None:
    """A 256-colour palette: console pages are flat colours and text, so this keeps them
    sharp at a third of the size."""
    with Image.open(path) as image:
        reduced = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    reduced.save(path, optimize=True)


@dataclass(frozen=True)
class Frame:
    """What of a page one picture shows: from ``anchor`` (its top, less a margin; None:
    the top of the page), ``height`` pixels down (less where the page ends)."""

    anchor: str | None
    height: int
    narrow: bool = False  # only as wide as the anchor (a narrow section on a wide page)


async def shoot(page: Page, out: Path, name: str, url: str, frames: dict[int, Frame]) -> None:
    for width, viewport in WIDTHS.items():
        frame = frames[width]
        await page.set_viewport_size(viewport)
        await page.goto(url)
        top = 0.0
        if frame.anchor is not None:
            top = max(
                0.0,
                await page.locator(frame.anchor).first.evaluate(
                    "e => e.getBoundingClientRect().top + window.scrollY"
                )
                - 12,
            )
        full = await page.evaluate("document.documentElement.scrollHeight")
        height = min(frame.height, full - top)
        wide = viewport["width"]
        if frame.narrow and frame.anchor is not None:
            right = await page.locator(frame.anchor).first.evaluate(
                "e => e.getBoundingClientRect().right"
            )
            wide = min(wide, int(right) + 40)
        path = out / f"{name}-{width}.png"
        await page.screenshot(
            path=str(path),
            full_page=True,
            clip={"x": 0, "y": top, "width": wide, "height": height},
        )
        shrink(path)
        overflow = await page.evaluate("document.documentElement.scrollWidth - innerWidth")
        wider = f"  (the page is {overflow} px wider than the window)" if overflow > 0 else ""
        print(f"{path}  {path.stat().st_size // 1024} KB{wider}")


async def main(out: Path, settings: Settings) -> None:
    await migrate_url(settings.database_url)
    clock = FrozenClock(START)
    core = build_core(settings, clock=clock)
    core.bot_username = "holos_sandbox_bot"  # as if the bot ran beside it
    try:
        accounts = {a.role: a for a in await sandbox.demo_accounts(core)}
        async with core.database.read_only() as session:
            user = await StaffRepository(session).get_by_username(accounts["operator"].username)
            assert user is not None
            operator = Actor.staff(user.id, user.username, user.role)
        seeded = await seed(core, operator, clock)
        async with running_api(create_app(core), bind_socket("127.0.0.1", 0)) as base:
            await take(core, base, accounts, seeded, out)
    finally:
        await core.close()


async def take(
    core: Core, base: str, accounts: dict[str, sandbox.DemoAccount], seeded: Seeded, out: Path
) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--lang=uk"]
        )
        operator = await signed_in(browser, base, accounts["operator"], core)
        focal = await signed_in(browser, base, accounts["focal_point"], core)

        phone, wide = 390, 1366
        await shoot(
            focal,
            out,
            "worklist-sealed",
            base + SEALED_WORKLIST_PATH,
            {phone: Frame(".filters", 1300), wide: Frame(None, 900)},
        )
        await shoot(
            focal,
            out,
            "case-sealed",
            base + f"/console/cases/{seeded.misfiled}",
            {phone: Frame(None, 1700), wide: Frame(None, 1300)},
        )
        await shoot(
            operator,
            out,
            "search-lemmas",
            base + "/console/cases?q=" + quote("набором"),
            {phone: Frame(".filters", 1300), wide: Frame(".filters", 800)},
        )
        await shoot(
            operator,
            out,
            "case-move",
            base + f"/console/cases/{seeded.standard}",
            {phone: Frame("#channel", 844), wide: Frame(None, 2400)},
        )
        await shoot(
            focal,
            out,
            "alert-settings",
            base + "/console/password",
            {phone: Frame("#alerts", 1400), wide: Frame("#alerts", 1200, narrow=True)},
        )
        await shoot(
            operator,
            out,
            "new-case",
            base + "/console/cases/new",
            {phone: Frame(None, 1500), wide: Frame(None, 1250)},
        )
        await browser.close()


def run() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.screenshots", description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to save (default {OUT})")
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = sandbox.sandbox_settings(
            Settings(_env_file=None, data_dir=Path(tmp), secret_key=secrets.token_urlsafe(48))
        )
        Path(settings.data_dir).mkdir(parents=True)
        asyncio.run(main(out, settings))


if __name__ == "__main__":
    run()
