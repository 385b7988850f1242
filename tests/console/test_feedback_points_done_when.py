"""Issue 24's "done when", end to end through the real parts: Chromium on the console,
the bot on the Telegram emulator, the API with a real token, the XLSX export.

A focal point creates a feedback point in the console and uploads a three-question
XLSForm in Ukrainian and Russian, after a malformed one and one asking for a phone
number are refused row by row. The poster's QR code decodes (zxing-cpp) to the point's
web link, whose page leads to the bot's deep link. Twelve simulated people open that
deep link in Ukrainian and Russian and answer in the bot. The dashboard, the API and
the XLSX export then show the same per-question figures, which are also worked out by
hand below.
"""

from __future__ import annotations

import io
import itertools
import secrets
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import zxingcpp
from openpyxl import load_workbook
from PIL import Image
from playwright.async_api import FilePayload, Page

from bot.runtime import BotRuntime
from storage.xlsform import XLSX_MEDIA_TYPE
from tests.console.helpers import DESKTOP, PASSWORD, Console
from tests.handlers.feedback_people import people_answer
from tests.harness import bot_idle, new_token, quick_requests
from tests.xlsform_samples import (
    MALFORMED_ROWS,
    PHONE_NUMBER_ROW,
    THREE_QUESTIONS,
    malformed_form,
    phone_number_form,
    three_question_form,
)
from tgemu import EmulatorClient, EmulatorThread, SimulatedUser

PERIOD = "from=2026-03-01&to=2026-03-02"  # the console's clock: 2 March 2026
_PEOPLE = itertools.count(secrets.randbelow(1_000_000) + 1)

# Six people in each language: (satisfaction 1–5, received all, what was missing).
UK_PEOPLE = [(5, "yes", None), (4, "yes", None), (4, "no", "food"), (3, "no", "hygiene")]
UK_PEOPLE += [(5, "yes", None), (2, "no", "food")]
RU_PEOPLE = [(5, "yes", None), (4, "yes", None), (1, "no", "other"), (4, "yes", None)]
RU_PEOPLE += [(5, "yes", None), (3, "no", "food")]
# Worked out by hand: scores 5,4,4,3,5,2 and 5,4,1,4,5,3.
EXPECTED = {
    "satisfaction": {"1": 1, "2": 1, "3": 2, "4": 4, "5": 4},
    "received_all": {"yes": 7, "no": 5},
    "missing_what": {"food": 3, "hygiene": 1, "other": 1},
}
EXPECTED_MEAN = 3.75  # 45 / 12
EXPECTED_SATISFIED = 0.6667  # 8 of 12 gave 4 or 5
# The Ukrainian names the dashboard gives the choices.
UK_NAMES = {"Так": "yes", "Ні": "no", "Продукти": "food", "Засоби гігієни": "hygiene"}
UK_NAMES["Інше"] = "other"


def answers(people: list[tuple[int, str, str | None]]) -> list[dict[str, Any]]:
    return [
        {"satisfaction": score, "received_all": received, "missing_what": missing}
        for score, received, missing in people
    ]


async def upload(page: Page, name: str, data: bytes) -> list[str]:
    """Upload an XLSForm on the survey page; the problems listed, one per line."""
    payload = FilePayload(name=name, mimeType=XLSX_MEDIA_TYPE, buffer=data)
    await page.set_input_files("#f-xlsform", files=[payload])
    async with page.expect_navigation():
        await page.click("#upload-form button[type=submit]")
    return [
        " ".join(text.split())
        for text in await page.locator("#survey-problems li").all_inner_texts()
    ]


async def dashboard_figures(page: Page, code: str) -> dict[str, dict[str, int]]:
    """Each question's table on the dashboard, as {question: {answer code: count}}."""
    figures: dict[str, dict[str, int]] = {}
    for question in EXPECTED:
        rows: list[list[str]] = await page.evaluate(
            """([code, q]) => [...document.querySelectorAll(
                 `[data-point="${code}"] [data-table="${q}"] tbody tr`)]
               .map(r => [...r.children].map(c => c.innerText.trim()))""",
            [code, question],
        )
        figures[question] = {
            UK_NAMES.get(name, name): int(count) for name, count, _share in rows if count != "0"
        }
    return figures


def test_a_point_its_survey_its_poster_twelve_people_and_the_same_figures_everywhere(
    console: Console, emulator: EmulatorThread
) -> None:
    async def scenario() -> None:
        core = console.core
        core.settings.public_url = console.base_url
        # The real bot on the emulator: its username (getMe) is the deep link's.
        client = EmulatorClient(emulator.base_url, quiet=0.03)
        tg = client.bot(new_token())
        runtime = BotRuntime.create(
            core,
            token=tg.token,
            api_url=emulator.base_url,
            requests=quick_requests(),
            gather_window=0.0,
            delivery_interval=0.5,
            delivery_backoff=0.05,
        )
        await runtime.start_polling()

        async def settle() -> None:
            await bot_idle([runtime], tg)

        tg.settle = settle

        async def person(language: str) -> SimulatedUser:
            n = next(_PEOPLE)
            return await tg.create_user(
                id=710_000_000 + n * 7919,
                first_name=f"Людина{n}",
                username=f"person_{n}_{secrets.token_hex(2)}",
                language_code=language,
            )

        try:
            await console.staff("olha", "focal_point")
            await console.staff("ivan", "analyst")
            page = await console.page(DESKTOP)
            await console.sign_in(page, "olha")

            # 1. The point, made in the console.
            await page.goto(console.url("/console/feedback-points"))
            await page.fill("#n-name", "Видача, школа 4")
            await page.select_option("#n-programme", "food")
            await page.select_option("#n-oblast", "UA-63")
            await page.fill("#n-from", "2026-03-01")
            await page.fill("#n-until", "2026-03-31")
            await page.fill("#n-served", "40")
            async with page.expect_navigation():
                await page.click("#new-point button[type=submit]")
            code = await page.inner_text("#point-code")

            # 2. Its survey: a malformed form and one asking for a phone number are
            # refused row by row; the three-question form in uk and ru is kept.
            await page.goto(console.url(f"/console/feedback-points/{code}/survey"))
            refused = await upload(page, "bad.xlsx", malformed_form())
            assert len(refused) == len(MALFORMED_ROWS)
            for line, (row, _code) in zip(refused, MALFORMED_ROWS, strict=True):
                assert line.startswith(f"Рядок {row} аркуша survey"), line
            (phone,) = await upload(page, "phone.xlsx", phone_number_form())
            assert phone.startswith(f"Рядок {PHONE_NUMBER_ROW} аркуша survey")
            assert "номер телефону" in phone
            assert await upload(page, "good.xlsx", three_question_form()) == []
            assert await page.locator("#survey-questions > li").count() == 3

            # 3. The poster: its QR code is the web link, whose page leads to the bot.
            web_link = f"{console.base_url}/r/{code}"
            await page.goto(console.url(f"/console/feedback-points/{code}/poster?lang=all"))
            shot = Image.open(io.BytesIO(await page.locator("#poster").screenshot()))
            assert [found.text for found in zxingcpp.read_barcodes(shot)] == [web_link]
            visitor = await console.page()
            await visitor.goto(web_link)
            deep_link = await visitor.get_attribute("#open-telegram", "href")
            assert deep_link is not None
            address = urlsplit(deep_link)
            assert address.netloc == "t.me" and address.path == f"/{core.bot_username}"
            (payload,) = parse_qs(address.query)["start"]
            assert payload == f"fp_{code}"

            # 4. Twelve people open that deep link and answer in the bot.
            opened = payload.removeprefix("fp_")
            await people_answer(person, opened, THREE_QUESTIONS, "uk", answers(UK_PEOPLE))
            await people_answer(person, opened, THREE_QUESTIONS, "ru", answers(RU_PEOPLE))

            # 5. The dashboard (an analyst's), ...
            analyst = await console.page(DESKTOP)
            await console.sign_in(analyst, "ivan")
            await analyst.goto(console.url(f"/console/indicators?{PERIOD}"))
            block = f'[data-point="{code}"]'
            assert await analyst.inner_text(f"{block} [data-kpi=responses] dd") == "12"
            on_dashboard = await dashboard_figures(analyst, code)
            assert on_dashboard == EXPECTED
            about = await analyst.inner_text(f"{block} [data-question=satisfaction] p.muted")
            assert "середнє 3.75" in about and "66.7 %" in about
            await analyst.wait_for_selector(f"#chart-fp-{code}-satisfaction[data-drawn=true]")

            # ... the API with a real token, ...
            async with httpx.AsyncClient(base_url=console.base_url) as http:
                token = await http.post(
                    "/api/v1/auth/token", data={"username": "ivan", "password": PASSWORD}
                )
                assert token.status_code == 200, token.text
                bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
                response = await http.get(
                    f"/api/v1/feedback-points/{code}/results",
                    params={"from": "2026-03-01", "to": "2026-03-02"},
                    headers=bearer,
                )
                assert response.status_code == 200, response.text
                body = response.json()
            assert body["responses"] == 12 and body["response_rate"] == 0.3
            from_api = {
                q["name"]: {b["key"]: b["count"] for b in q["distribution"] if b["count"]}
                for q in body["questions"]
            }
            assert from_api == EXPECTED
            scale = body["questions"][0]
            assert (scale["mean"], scale["share_satisfied"]) == (EXPECTED_MEAN, EXPECTED_SATISFIED)

            # ... and the XLSX export, downloaded from the dashboard.
            async with analyst.expect_download() as info:
                await analyst.click(f'a[href*="point={code}"][href*="format=xlsx"]')
            download = await info.value
            sheet = load_workbook(io.BytesIO(Path(await download.path()).read_bytes())).active
            assert sheet is not None
            rows = list(sheet.iter_rows(values_only=True))
            header, body_rows = list(rows[0]), rows[1:]
            assert len(body_rows) == 12
            from_file = {
                name: dict(
                    Counter(str(r[header.index(name)]) for r in body_rows if r[header.index(name)])
                )
                for name in EXPECTED
            }
            assert from_file == EXPECTED
            # Labels in the file's language head the columns, the codes beside them.
            assert "Наскільки ви задоволені допомогою?" in header
            languages = Counter(r[header.index("Код мови")] for r in body_rows)
            assert languages == {"uk": 6, "ru": 6}
        finally:
            await runtime.stop()
            await client.aclose()

    console.run(scenario(), timeout=300)
