"""Nothing a person sends is dropped (issue 20): the words sent with a refused file stay,
a refusal speaks to the step it answers, and the receipt says when to expect an answer.
"""

from __future__ import annotations

import pytest

from bot.runtime import BotRuntime
from tests.handlers.conversation import (
    CATEGORY_LABELS,
    SENSITIVE_MENU,
    Talk,
    catalog,
    oblast_label,
    stored_cases,
    tr,
)

LANGUAGES = ["uk", "ru", "en"]
STORY = {
    "uk": "Нам видали лише половину продуктового набору, і ніхто не пояснив чому.",
    "ru": "Нам выдали только половину продуктового набора, и никто не объяснил почему.",
    "en": "We received only half of the food kit, and nobody told us why.",
}
NO_VIDEOS = (
    "I cannot accept videos: they may show where and when they were filmed. Please send "
    "photos or describe it in words."
)
STORY_KEPT = (
    "✍️ Thank you. I have kept what you sent: it is the start of your report. What is it about?"
)


def plural(language: str, singular: str, plural_: str, count: int) -> str:
    return catalog(language).ngettext(singular, plural_, count).format(count=count)


async def finish(talk: Talk) -> str:
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    return (await talk.tap("✅ Send")).last.body


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_video_sent_first_keeps_its_caption_as_the_start_of_the_report(
    running_bot: BotRuntime, make_user, bot_core, language: str
) -> None:
    talk = Talk(await make_user(language), language)
    await talk.command("start")
    replies = await talk.user.send_video(caption=STORY[language])
    # The refusal speaks of the video only; the story is kept, and the report goes on.
    assert replies.last.body == tr(language, NO_VIDEOS) + "\n\n" + tr(language, STORY_KEPT)
    assert tr(language, "🛡 Sexual exploitation and abuse") in replies.last.button_labels
    await talk.tap(CATEGORY_LABELS["assistance_quality"])
    await talk.tap("Not sure / other")
    described = (await talk.user.press(oblast_label("UA-63", language))).last
    # Not "the description is empty": it holds the caption.
    assert plural(language, "{count} message", "{count} messages", 1) in described.body
    await finish(talk)
    (case,) = await stored_cases(bot_core)
    assert case.narrative == STORY[language]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_refused_file_mid_report_keeps_its_caption(
    running_bot: BotRuntime, make_user, bot_core, language: str
) -> None:
    talk = Talk(await make_user(language), language)
    await talk.open_report("staff_conduct")
    replies = await talk.user.send_document(
        file_name="scan.pdf", size=200 * 1024 * 1024, caption=STORY[language]
    )
    limit_mb = bot_core.settings.attachment_max_bytes // (1024 * 1024)
    refusal = tr(
        language, "This file is too big: the limit is {limit} MB. It was not added.", limit=limit_mb
    )
    assert refusal in [m.body for m in replies]
    one = plural(language, "{count} message", "{count} messages", 1)
    assert replies.last.body == tr(
        language, "Received: {what}. Send more, or press «Done».", what=one
    )
    await finish(talk)
    (case,) = await stored_cases(bot_core)
    assert case.narrative == STORY[language]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_video_in_the_description_keeps_its_caption(
    running_bot: BotRuntime, make_user, bot_core, language: str
) -> None:
    talk = Talk(await make_user(language), language)
    await talk.open_report("assistance_quality")
    replies = await talk.user.send_video(caption=STORY[language])
    two = plural(language, "{count} message", "{count} messages", 1)
    assert replies.last.body == tr(language, NO_VIDEOS) + "\n\n" + tr(
        language, "Received: {what}. Send more, or press «Done».", what=two
    )
    await finish(talk)
    (case,) = await stored_cases(bot_core)
    assert case.narrative == STORY[language]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_location_at_the_category_question_is_refused_as_a_location(
    running_bot: BotRuntime, make_user, language: str
) -> None:
    talk = Talk(await make_user(language), language)
    await talk.command("start")
    question = (await talk.tap("📝 Complaint or feedback")).last
    replies = await talk.user.send_location(50.45, 30.52)
    # Not "choose the oblast": there is no oblast on screen. The question and its
    # buttons come again, in the same message.
    assert replies.last.body == (
        tr(language, "To keep you safe, I do not accept locations.")
        + "\n\n"
        + tr(language, "What is your report about?")
    )
    assert replies.last.button_labels == question.button_labels


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_contact_card_at_the_contact_question_says_how_to_leave_one(
    running_bot: BotRuntime, make_user, language: str
) -> None:
    talk = Talk(await make_user(language), language)
    await talk.open_report("assistance_quality")
    await talk.say(STORY[language])
    question = (await talk.tap("✅ Done")).last
    replies = await talk.user.send_contact("+380671234567", first_name="Оля")
    refusal = tr(
        language,
        "To protect your privacy, I do not accept contact cards. If you want us to reach "
        "you by phone or e-mail, choose «📞 Phone or e-mail» and type it.",
    )
    assert replies.last.body.startswith(refusal + "\n\n")
    assert replies.last.button_labels == question.button_labels


@pytest.mark.parametrize(
    ("category", "days"), [("assistance_quality", 3), ("suggestion", 7), ("trafficking", 1)]
)
@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_receipt_says_when_to_expect_an_answer(
    running_bot: BotRuntime, make_user, language: str, category: str, days: int
) -> None:
    talk = Talk(await make_user(language), language)
    if category in SENSITIVE_MENU:
        await talk.open_report(category)
        await talk.say(STORY[language])
        receipt = await finish(talk)
    else:
        await talk.file_report(category, parts=[STORY[language]])
        receipt = talk.user.messages[-1].body
    expected = plural(
        language,
        "The team aims to accept your report within {count} day. You can check its "
        "status with the code.",
        "The team aims to accept your report within {count} days. You can check its "
        "status with the code.",
        days,
    )
    assert expected in receipt
