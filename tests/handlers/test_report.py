"""Report intake end to end (leave no trace, categories, privacy), checked against what was stored."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from bot.runtime import BotRuntime
from storage.crypto import normalize_receipt_code
from storage.media.types import ODT
from storage.models import Attachment, ContactDetail, ReporterLink
from storage.sealed import Context
from storage.services.triage import TriageService
from tests.handlers.conversation import (
    CATEGORY_LABELS,
    SENSITIVE_MENU,
    Talk,
    oblast_label,
    stored_cases,
    tr,
)
from tests.storage.media.attacks import HTA, flac_bomb, pdf_pages, zip_member_bomb
from tgemu import BotHandle, samples

KEEP_SENSITIVE_CODE = (
    "Keep the code where others will not see it; then you can clear this conversation. "
    "With this code you can check your report, read our answers and add information "
    "(menu: «Check my report»)."
)
KEEP_CODE = (
    "Save it now: write it down or take a screenshot. With this code you can check your "
    "report, read our answers and add information (menu: «Check my report»)."
)
STANDARD = sorted(CATEGORY_LABELS)
SENSITIVE = sorted(SENSITIVE_MENU)
LANGUAGES = ("uk", "ru", "en")
STORY = {
    "uk": ["Нам видали лише половину продуктового набору.", "Це було у вівторок у Харкові."],
    "ru": ["Нам выдали только половину продуктового набора.", "Это было во вторник в Харькове."],
    "en": ["We were given only half of the food kit.", "It happened on Tuesday in Kharkiv."],
}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_complaint_in_each_language(
    running_bot: BotRuntime, make_user, bot_core, language: str
) -> None:
    talk = Talk(await make_user(language), language)
    code = await talk.file_report("assistance_quality", parts=STORY[language], oblast="UA-63")
    (case,) = await stored_cases(bot_core)
    assert (case.category, case.programme, case.oblast, case.language) == (
        "assistance_quality",
        "food",
        "UA-63",
        language,
    )
    assert case.narrative == "\n\n".join(STORY[language])
    assert (case.status, case.priority, case.sensitive, case.contact_mode) == (
        "new",
        "normal",
        False,
        "anonymous",
    )
    # The code shown is the one that finds the case, and only the hash is stored.
    assert case.receipt_hash == bot_core.crypto.receipt_hash(normalize_receipt_code(code))
    receipt = talk.user.last_bot_message()
    assert receipt is not None
    assert tr(language, "Your receipt code:") in receipt.body
    assert tr(language, "🧹 Clear this conversation") in receipt.button_labels


@pytest.mark.parametrize("category", STANDARD)
async def test_every_standard_category(
    running_bot: BotRuntime, make_user, bot_core, category: str
) -> None:
    talk = Talk(await make_user("uk"), "uk")
    await talk.file_report(category, programme=None, oblast="undisclosed")
    (case,) = await stored_cases(bot_core)
    assert case.category == category and case.programme is None and case.oblast == "undisclosed"
    assert case.sensitive is False


@pytest.mark.parametrize("category", SENSITIVE)
@pytest.mark.parametrize("language", LANGUAGES)
async def test_sensitive_reports(
    running_bot: BotRuntime, make_user, bot_core, category: str, language: str
) -> None:
    talk = Talk(await make_user(language), language)
    await talk.command("start")
    intro = (await talk.tap(SENSITIVE_MENU[category])).last
    # Who will see the report, and what the person need not fear or give.
    for line in (
        "👥 A small, specially trained team of the mission handles this report and shares "
        "only what another organisation needs to act on it. Hotline operators will not see it.",
        "Reporting will not affect the assistance you receive.",
        "Share only what you are comfortable sharing. You do not need to give your name "
        "or any details about yourself.",
    ):
        assert tr(language, line) in intro.body
    not_your_fault = tr(language, "What happened is not your fault.") in intro.body
    assert not_your_fault == (category != "fraud_corruption")
    assert "🙈" not in intro.body
    # Safe-referral lines that fit the category, free of charge; 112 is not called
    # confidential, the others are.
    lines = {
        line.removeprefix("📞 ").split(":")[0]: line
        for line in intro.body.split("\n")
        if line.startswith("📞 ")
    }
    expected = {
        "fraud_corruption": ["112"],
        "sexual_exploitation": ["112", "1547", "116 123", "116 111"],
        "trafficking": ["112", "1547", "116 123", "116 111", "527"],
    }[category]
    assert list(lines) == expected
    confidential = tr(language, "(confidential)")
    assert [phone for phone, line in lines.items() if confidential in line] == expected[1:]
    assert tr(language, "If you need help now, call (free of charge):") in intro.body
    await talk.tap("Continue »")
    assert tr(language, "Which assistance is this about?") in talk.user.messages[-1].body
    await talk.user.press(tr(language, "Not sure / other"))
    description = (await talk.user.press(oblast_label("abroad", language))).last
    for line in (
        "You do not need to write your name or anything that identifies you.",
        "🎙 In voice messages your voice will be changed to make it much harder to "
        "recognise; your words stay as they are.",
    ):
        assert tr(language, line) in description.body
    await talk.say("Він вимагав грошей за місце у списку.")
    await talk.tap("✅ Done")
    contact = talk.user.last_bot_message()
    assert contact is not None
    # Leaving a contact stays optional, and its trade-off is explained.
    assert (
        "investigators" in contact.body
        or "перевіряє" in contact.body
        or "проверяет" in contact.body
    )
    await talk.tap("🔒 Anonymous")
    receipt = (await talk.tap("✅ Send")).last
    assert tr(language, "Your report is handled by the specially trained team.") in receipt.body
    # Someone may look through the phone: no screenshot advice, a hint to clear instead.
    assert tr(language, KEEP_SENSITIVE_CODE) in receipt.body
    assert tr(language, KEEP_CODE) not in receipt.body
    (case,) = await stored_cases(bot_core)
    assert case.category == category and case.sensitive and case.priority == "urgent"
    assert case.narrative is None and case.narrative_enc is not None
    async with bot_core.database.transaction() as session:
        assert (
            TriageService(session, bot_core).narrative(case)
            == "Він вимагав грошей за місце у списку."
        )


async def test_reply_in_this_chat_keeps_an_encrypted_link(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    user = await make_user("en")
    talk = Talk(user, "en")
    await talk.file_report(contact="💬 Reply in this chat")
    (case,) = await stored_cases(bot_core)
    assert case.contact_mode == "chat"
    async with bot_core.database.transaction() as session:
        link = await session.get(ReporterLink, case.id)
    assert link is not None and str(user.id).encode() not in link.chat_enc
    assert bot_core.crypto.decrypt_text(link.chat_enc, "reporter_links.chat") == str(user.id)


async def test_a_typed_contact_is_checked_and_stored_encrypted(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    talk = Talk(await make_user("uk"), "uk")
    await talk.open_report("staff_conduct")
    await talk.say("Працівник кричав на людей у черзі.")
    await talk.tap("✅ Done")
    prompt = (await talk.tap("📞 Phone or e-mail")).last
    assert prompt.body == tr("uk", "Please type a phone number or an e-mail address.")
    refused = (await talk.say("подзвоніть мені")).last
    assert refused.body.startswith("Це не схоже на номер телефону")
    summary = await talk.say("+380 67 123 45 67")
    assert any("+380 67 123 45 67" in m.body for m in summary)
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert case.contact_mode == "typed" and case.narrative == "Працівник кричав на людей у черзі."
    async with bot_core.database.transaction() as session:
        detail = await session.get(ContactDetail, case.id)
    assert detail is not None and b"380" not in detail.contact_enc


async def test_files_are_stored_cleaned_and_encrypted(
    running_bot: BotRuntime, make_user, bot_core, tg: BotHandle
) -> None:
    talk = Talk(await make_user("en"), "en")
    await talk.open_report("assistance_quality")
    replies = await talk.user.send_photo(caption="The list they showed us")
    assert "Received: 1 message, 1 file" in replies.last.body
    await talk.user.send_document(samples.pdf("distribution list"), file_name="list.pdf")
    replies = await talk.user.send_voice()
    assert "Received: 1 message, 3 files" in replies.last.body
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    summary = talk.user.last_bot_message()
    assert summary is not None and "Files: 3" in summary.body
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert case.narrative == "The list they showed us"
    async with bot_core.database.transaction() as session:
        files = (await session.scalars(select(Attachment).order_by(Attachment.id))).all()
    assert [(f.kind, f.mime_type) for f in files] == [
        ("photo", "image/jpeg"),
        ("document", "application/pdf"),
        ("voice", "audio/ogg"),
    ]
    photo = bot_core.crypto.decrypt(await bot_core.blobs.get(files[0].blob_key), Context.BLOB)
    with Image.open(io.BytesIO(photo)) as image:
        assert not image.getexif()  # the emulator's photo carried EXIF and GPS
    raw = await bot_core.blobs.get(files[1].blob_key)
    assert b"distribution list" not in raw


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {
                "data": b"MZ\x90\x00binary",
                "file_name": "setup.exe",
                "mime_type": "application/x-msdownload",
            },
            "This file contains a program or a web page",
        ),
        (
            {"data": HTA, "file_name": "invoice.txt", "mime_type": "text/plain"},
            "This file contains a program or a web page",
        ),
        (
            {"data": pdf_pages(51), "file_name": "list.pdf", "mime_type": "application/pdf"},
            "This PDF has more than 50 pages",
        ),
        (
            {
                "data": zip_member_bomb(ODT, unpacked=64 * 1024 * 1024),
                "file_name": "report.odt",
                "mime_type": ODT,
            },
            "This file would take too much work to open safely",
        ),
        (
            {"data": flac_bomb(seconds=2), "file_name": "voice.flac", "mime_type": "audio/flac"},
            "I could not process this voice message",
        ),
        (
            {"data": b"PK\x03\x04 not a zip", "file_name": "a.docx", "mime_type": "text/plain"},
            "I cannot accept this type of file",
        ),
        (
            {"file_name": "huge.pdf", "size": 25 * 1024 * 1024},
            "This file is too big: the limit is 20 MB",
        ),
    ],
)
async def test_refused_files_keep_the_draft(
    running_bot: BotRuntime, make_user, bot_core, kwargs: dict[str, object], expected: str
) -> None:
    talk = Talk(await make_user("en"), "en")
    await talk.open_report("assistance_quality")
    await talk.say("First part.")
    replies = await talk.user.send_document(**kwargs)  # type: ignore[arg-type]
    assert any(m.body.startswith(expected) for m in replies)
    assert "Received: 1 message" in replies.last.body and "file" not in replies.last.body
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert case.narrative == "First part."


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("uk", ("У цьому PDF понад 50 сторінок", "У цьому файлі є програма")),
        ("ru", ("В этом PDF больше 50 страниц", "В этом файле есть программа")),
    ],
)
async def test_file_refusals_speak_the_persons_language(
    running_bot: BotRuntime, make_user, language: str, expected: tuple[str, str]
) -> None:
    talk = Talk(await make_user(language), language)
    await talk.open_report("assistance_quality")
    replies = await talk.user.send_document(
        pdf_pages(51), file_name="list.pdf", mime_type="application/pdf"
    )
    assert any(m.body.startswith(expected[0]) for m in replies)
    replies = await talk.user.send_document(HTA, file_name="a.txt", mime_type="text/plain")
    assert any(m.body.startswith(expected[1]) for m in replies)


async def test_editing_from_the_summary(running_bot: BotRuntime, make_user, bot_core) -> None:
    talk = Talk(await make_user("en"), "en")
    await talk.open_report("assistance_quality", oblast="UA-63")
    await talk.say("Original text.")
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✏️ Change")
    await talk.tap("Place")
    summary = (await talk.user.press(oblast_label("UA-46", "en"))).last
    assert "Place: Lviv Oblast" in summary.body  # straight back to the summary
    await talk.tap("✏️ Change")
    await talk.tap("➕ Add to the description")
    await talk.say("An addition.")
    summary = (await talk.tap("✅ Done")).last
    assert "Original text.\n\nAn addition." in summary.body
    await talk.tap("✏️ Change")
    await talk.tap("📝 Write the description again")
    await talk.say("A new text.")
    await talk.tap("✅ Done")
    await talk.tap("✏️ Change")
    await talk.tap("Contact")
    summary = (await talk.tap("💬 Reply in this chat")).last
    assert "Contact: Reply in this chat" in summary.body
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert (case.oblast, case.narrative, case.contact_mode) == ("UA-46", "A new text.", "chat")


async def test_a_long_description_is_summarised_in_several_messages(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    talk = Talk(await make_user("uk"), "uk")
    await talk.open_report("selection_process")
    first = "Перша частина опису & <деталі>. " * 100  # HTML-special characters on purpose
    second = "Друга частина. " * 150
    await talk.say(first.strip())
    await talk.say(second.strip())
    await talk.tap("✅ Done")
    replies = await talk.tap("🔒 Anonymous")
    summary = [m for m in replies if m.from_bot]
    assert len(summary) >= 2 and all(len(m.body) <= 4096 for m in summary)
    shown = "".join(m.body for m in summary)
    assert "<деталі>" in shown  # escaped for Telegram, shown to the person as typed
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert case.narrative == first.strip() + "\n\n" + second.strip()


async def test_clear_this_conversation_leaves_only_the_receipt(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    talk = Talk(await make_user("ru"), "ru")
    code = await talk.file_report(parts=["Никто не пришёл на раздачу."])
    replies = await talk.tap("🧹 Clear this conversation")
    assert replies.callback_answers[-1]["text"].startswith("Сообщения этого обращения удалены")
    remaining = await talk.user.chat()
    # The /start that opened the conversation says nothing; the receipt code stays
    # until the person deletes it; everything of the report itself is gone.
    assert [m.body for m in remaining[:1]] == ["/start"]
    assert len(remaining) == 2 and code in remaining[1].body
    flow_left = remaining[1:]
    assert tr("ru", "🧹 Clear this conversation") not in flow_left[0].button_labels
    assert len(await stored_cases(bot_core)) == 1
