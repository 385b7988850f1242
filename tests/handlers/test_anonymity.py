"""After every flow has run: no table, blob, log line or metric holds who the users were."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from bot.runtime import BotRuntime
from storage.enums import Language
from storage.services.triage import TriageService
from tests.handlers.conversation import PROGRAMME_LABELS, Talk, settled, stored_cases, tr
from tests.handlers.feedback_people import SURVEY, answer_survey, make_point
from tests.storage.helpers import TO_CLOSED, dump_rows, dump_text, make_staff, walk_case
from tgemu import BotHandle, samples

PEOPLE = [
    {
        "id": 5_512_349_871,
        "first_name": "Оксана",
        "last_name": "Бондаренко",
        "username": "oksana_bond_77",
        "language_code": "uk",
    },
    {
        "id": 6_100_223_904,
        "first_name": "Дмитрий",
        "last_name": "Ковальчук",
        "username": "dk_kharkiv",
        "language_code": "ru",
    },
    {
        "id": 7_890_001_122,
        "first_name": "Mariam",
        "last_name": "Haddad",
        "username": "mariam_h_ua",
        "language_code": "en",
    },
]

# Loggers of the test's own side (the simulated Telegram and its HTTP client) may name
# users: they are Telegram, not Holos.
TELEGRAM_SIDE = ("tgemu", "httpx", "httpcore")


def identities() -> list[str]:
    forms: list[str] = []
    for person in PEOPLE:
        user_id = person["id"]
        forms += [
            str(user_id),
            format(user_id, "x"),
            user_id.to_bytes(8, "little").hex(),
            user_id.to_bytes(8, "big").hex(),
            person["username"],
            person["first_name"],
            person["last_name"],
        ]
    return forms


def leaks(text: str) -> list[str]:
    return [form for form in identities() if form in text]


async def run_every_flow(running_bot: BotRuntime, make_user, core, tg: BotHandle) -> None:  # type: ignore[no-untyped-def]
    oksana, dmitry, mariam = [await make_user(**p) for p in PEOPLE]
    uk, ru, en = Talk(oksana, "uk"), Talk(dmitry, "ru"), Talk(mariam, "en")

    # A standard complaint with a photo and a document, replies in this chat.
    await uk.open_report("assistance_quality")
    await uk.say("Видали неповний набір.")
    await uk.user.send_photo()
    await uk.user.send_document(samples.pdf("list"), file_name="list.pdf")
    await uk.tap("✅ Done")
    await uk.tap("💬 Reply in this chat")
    code_uk = (await uk.tap("✅ Send")).last.body
    # A sensitive report with a typed contact.
    await ru.file_report(
        "sexual_exploitation", contact="📞 Phone or e-mail", typed_contact="+380 50 111 22 33"
    )
    # A trafficking report, anonymous, then the conversation cleared.
    code_en = await en.file_report("trafficking", parts=["They kept our passports."])
    await en.tap("🧹 Clear this conversation")
    # Follow-up with an addition.
    await en.command("status")
    await en.say("0000 0000 0000 0000")  # a wrong code first: its log line is checked
    await en.say(code_en)
    await en.tap("➕ Add information")
    await en.say("Two more people are there.")
    await en.tap("✅ Done")
    # Ratings, low and high.
    await ru.command("menu")
    await ru.tap("⭐ Rate our assistance")
    await ru.user.press(PROGRAMME_LABELS["food"]["ru"])
    await ru.user.press(f"🙁 {tr('ru', 'Dissatisfied')}")
    await ru.user.press(f"▫️ {tr('ru', 'Waiting time')}")
    await ru.tap("Continue »")
    await ru.say("Долго ждали.")
    # A feedback point's poster: its survey answered, every answer stored per question.
    point = await make_point(core)
    await answer_survey(
        dmitry,
        point.code,
        SURVEY,
        "ru",
        {"satisfied": 3, "waited": "yes", "wait_long": "over_1h", "comment": "Очередь."},
    )
    # Staff reply and close the opted-in case: the reply and the survey are delivered.
    cases = await stored_cases(core)
    opted = next(c for c in cases if c.contact_mode == "chat")
    operator = await make_staff(core, "olena", "operator")
    async with core.database.transaction() as session:
        service = TriageService(session, core)
        await service.add_reply(opted.ref, operator, {Language.UK: "Дякуємо, перевіряємо."})
    await walk_case(core, opted.ref, operator, *TO_CLOSED)
    running_bot.worker.wake()
    survey = await uk.user.wait_for(
        lambda m: bool(m.buttons) and "Наскільки ви задоволені" in m.body
    )
    await uk.user.press(survey.button_labels[0], message_id=survey.message_id)
    await settled(running_bot, tg)
    assert code_uk


async def test_no_identity_anywhere(
    running_bot: BotRuntime,
    make_user,
    bot_core,
    tg: BotHandle,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        await run_every_flow(running_bot, make_user, bot_core, tg)

    # Every row of every table, FTS shadow tables included; and the raw file.
    dump = await dump_rows(bot_core)
    assert sum(len(rows) for rows in dump.values()) > 20
    assert len(dump["survey_responses"]) == 1 and len(dump["survey_answers"]) == 4
    assert leaks(dump_text(dump)) == []
    await bot_core.database.engine.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("holos.db*") if p.is_file())
    assert leaks(raw.decode("latin-1")) == []
    # Every blob (attachments) and anything else under the data directory.
    blobs = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert len(blobs) == 2  # the photo and the document
    for path in blobs:
        assert leaks(path.read_bytes().decode("latin-1")) == []
    # Every log line the product wrote, at every level.
    product_lines = [
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith(TELEGRAM_SIDE)
    ]
    assert any("report_submitted" in line for line in product_lines)
    # A missed code is logged as the event alone: no tag of the person, not even one
    # that changes daily (a tag lets one person's lines be read together).
    assert "receipt_lookup_missed" in product_lines
    assert not [line for line in product_lines if "person=" in line]
    assert leaks("\n".join(product_lines)) == []
    # Every metric; the sensitive categories only as one "sensitive" label, no _created.
    exposed = generate_latest().decode()
    assert leaks(exposed) == []
    assert 'holos_bot_reports_submitted_total{category="sensitive"}' in exposed
    for code in bot_core.catalog.sensitive_codes:
        assert code not in exposed, code
    assert "_created" not in exposed
