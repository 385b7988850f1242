"""Every sentence the bot says, through gettext (English msgids, uk/ru/en catalogs).

Terms follow ``locales/glossary.csv`` so every screen says the same thing the same
way. User text is always HTML-escaped before it is put into a message.

Long on purpose: every sentence of the bot in one module, in the order a person meets
them, so an editor reviews the wording of all flows together.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from babel.dates import format_date, format_time

from handlers.i18n import lazy_pgettext, pgettext
from storage import wording
from storage.catalog import Catalog
from storage.enums import ContactMode, Language, Status, WhatWentWrong
from storage.errors import UnknownCategory
from storage.settings import Settings

LANGUAGE_NAMES = {Language.UK: "Українська", Language.RU: "Русский", Language.EN: "English"}

# Every category of the catalogue has a name here (a test checks it); the full name is
# shown on the summary and when a report is looked up.
CATEGORY_NAMES = {
    "assistance_quality": __("Quality or quantity of assistance"),
    "selection_process": __("Selection, registration or how assistance is delivered"),
    "staff_conduct": __("Behaviour of staff or partners"),
    "information_request": __("I need information"),
    "assistance_request": __("I need assistance"),
    "suggestion": __("A suggestion or thanks"),
    "fraud_corruption": __("Fraud or corruption (a bribe, payment demanded, misuse of aid)"),
    "sexual_exploitation": __("Sexual exploitation and abuse, or harassment"),
    "trafficking": __("Human trafficking or labour exploitation"),
}

# The label on a category's button, short enough for a phone. Sensitive categories are
# main-menu entries of their own, with an icon.
CATEGORY_BUTTONS = {
    "assistance_quality": __("Quality or quantity of assistance"),
    "selection_process": __("Selection or registration"),
    "staff_conduct": __("Behaviour of staff or partners"),
    "information_request": __("I need information"),
    "assistance_request": __("I need assistance"),
    "suggestion": __("A suggestion or thanks"),
    "fraud_corruption": __("💰 Fraud or corruption"),
    "sexual_exploitation": __("🛡 Sexual exploitation and abuse"),
    "trafficking": __("🧳 Trafficking or labour exploitation"),
}

# The reporter reads the status of their report (звернення, обращение: neuter); the
# console names the same statuses for a case, in a context of its own.
STATUS_NAMES = {
    Status.NEW: lazy_pgettext("report status", "new"),
    Status.ACKNOWLEDGED: lazy_pgettext("report status", "acknowledged"),
    Status.IN_PROGRESS: lazy_pgettext("report status", "in progress"),
    Status.REFERRED: lazy_pgettext("report status", "referred"),
    Status.WAITING: lazy_pgettext("report status", "waiting for more details"),
    Status.RESOLVED: lazy_pgettext("report status", "resolved"),
    Status.CLOSED: lazy_pgettext("report status", "closed"),
}

STATUS_EXPLAINED = {
    Status.NEW: __("We have received your report and will look at it soon."),
    Status.ACKNOWLEDGED: __("Your report has been accepted by the team."),
    Status.IN_PROGRESS: __("The team is working on your report."),
    Status.REFERRED: __("Your report has been passed to the organisation that can act on it."),
    Status.WAITING: __(
        "The team is waiting for more details about what happened. You can add them with "
        "«Check my report» and your receipt code, if you wish."
    ),
    Status.RESOLVED: __("The team has finished working on your report."),
    Status.CLOSED: __("Your report is closed."),
}

SCORE_LABELS = {
    1: __("Very dissatisfied"),
    2: __("Dissatisfied"),
    3: __("Neither satisfied nor dissatisfied"),
    4: __("Satisfied"),
    5: __("Very satisfied"),
}
SCORE_FACES = {1: "😞", 2: "🙁", 3: "😐", 4: "🙂", 5: "😄"}

REASON_LABELS = {
    WhatWentWrong.WAITING_TIME: __("Waiting time"),
    WhatWentWrong.RESPECT: __("How I was treated"),
    WhatWentWrong.INFORMATION: __("Not enough information"),
    WhatWentWrong.QUALITY: __("Quality of assistance"),
    WhatWentWrong.QUANTITY: __("Quantity of assistance"),
    WhatWentWrong.OTHER: __("Something else"),
}

# The summary names the choice with the words of its button.
CONTACT_NAMES = {
    ContactMode.ANONYMOUS: __("Anonymous"),
    ContactMode.CHAT: __("Reply in this chat"),
    ContactMode.TYPED: __("Phone or e-mail"),
}


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def when(moment: datetime, settings: Settings, locale: str) -> str:
    local = moment.astimezone(ZoneInfo(settings.timezone))
    return (
        f"{format_date(local, 'long', locale=locale)}, {format_time(local, 'HH:mm', locale=locale)}"
    )


def day(moment: datetime, settings: Settings, locale: str) -> str:
    return format_date(moment.astimezone(ZoneInfo(settings.timezone)), "long", locale=locale)


def category_name(code: str) -> str:
    """The category's name; a code without one is a bug, never shown raw."""
    try:
        return str(CATEGORY_NAMES[code])
    except KeyError:
        raise UnknownCategory(code) from None


def category_button(code: str) -> str:
    try:
        return str(CATEGORY_BUTTONS[code])
    except KeyError:
        raise UnknownCategory(code) from None


def programme_name(catalog: Catalog, code: str | None, locale: str) -> str:
    if not code:
        return _("not specified")
    return catalog.programme(code).name(locale)


def oblast_name(catalog: Catalog, code: str, locale: str) -> str:
    return catalog.oblast(code).name(locale)


def oblast_button(catalog: Catalog, code: str, locale: str) -> str:
    return catalog.oblast(code).button_name(locale)


# First contact and help ------------------------------------------------------------------


def urgent_help(settings: Settings) -> str:
    lines = [_("🆘 In danger right now? Call 112.")]
    if settings.hotline_phone:
        hours = f" ({esc(settings.hotline_hours)})" if settings.hotline_hours else ""
        lines.append(
            _("☎️ Our hotline: {phone}{hours}").format(
                phone=esc(settings.hotline_phone), hours=hours
            )
        )
    return "\n".join(lines)


def welcome(settings: Settings) -> str:
    return "\n\n".join(
        [
            _(
                "👋 Hello! Here you can make a complaint, report fraud or abuse, "
                "or tell us how our assistance went."
            ),
            _(
                "🔒 Your report is anonymous unless you choose to leave a contact: we do not "
                "keep your name, phone number or Telegram account, only what you write."
            ),
            _(
                "✍️ You can also simply write or record what happened: I will keep it and "
                "ask what it is about."
            ),
            urgent_help(settings),
        ]
    )


def menu_prompt() -> str:
    return _("What would you like to do?")


def help_text(settings: Settings) -> str:
    return "\n".join(
        [
            _("<b>How to use this bot</b>"),
            "",
            _("/menu: the main menu"),
            _("/status: check your report with your receipt code"),
            _("/language: change the language"),
            _("/privacy: how we protect your data"),
            _("/cancel: stop what you are doing"),
            _("/help: this help"),
            "",
            _("You do not need to type commands: every step has buttons."),
            "",
            urgent_help(settings),
        ]
    )


def privacy_text(settings: Settings) -> str:
    link_days = int(settings.chat_link_days)
    content_days = int(settings.content_retention_days)
    draft_hours = int(settings.draft_ttl_hours)
    return "\n".join(
        [
            _("<b>🔐 Your data</b>"),
            "",
            _(
                "• Reports are anonymous unless you choose to leave a contact. We never keep "
                "your Telegram name, username, phone number or account."
            ),
            _(
                "• We keep only what you send in a report: the text, the files and the "
                "answers you choose. Photos lose their location and camera data; voices in "
                "voice messages are changed to make them much harder to recognise (the words "
                "stay as they are)."
            ),
            _(
                "• Reports of fraud, sexual exploitation and abuse, or human trafficking "
                "are stored encrypted and handled by a small, specially trained team, which "
                "shares only what another organisation needs to act."
            ),
            _(
                "• Your receipt code is the only way to open your report. Keep it where others "
                "will not see it, and do not share it."
            ),
            ngettext(
                "• If you ask for replies in this chat, we keep an encrypted link to this "
                "chat until {days} day after your report is closed.",
                "• If you ask for replies in this chat, we keep an encrypted link to this "
                "chat until {days} days after your report is closed.",
                link_days,
            ).format(days=link_days),
            ngettext(
                "• The text and files of a report are deleted {days} day after it is closed.",
                "• The text and files of a report are deleted {days} days after it is closed.",
                content_days,
            ).format(days=content_days),
            ngettext(
                "• Unfinished drafts are deleted after {hours} hour without activity.",
                "• Unfinished drafts are deleted after {hours} hours without activity.",
                draft_hours,
            ).format(hours=draft_hours),
            "",
            urgent_help(settings),
        ]
    )


def choose_language() -> str:
    return _("Choose your language:")


def language_set() -> str:
    return _("Done: we will talk in English.")


# Report intake ---------------------------------------------------------------------------


def choose_category() -> str:
    return _("What is your report about?")


def story_kept(voice: bool) -> str:
    lines = [
        _(
            "✍️ Thank you. I have kept what you sent: it is the start of your report. "
            "What is it about?"
        )
    ]
    if voice:
        lines.append(voice_notice())
    return "\n\n".join(lines)


def added_to_description(count: int) -> str:
    return ngettext(
        "✍️ Added to your description: {count} message. Now choose with the buttons.",
        "✍️ Added to your description: {count} messages. Now choose with the buttons.",
        count,
    ).format(count=count)


def sensitive_intro(category: str, settings: Settings, locale: str) -> str:
    """The sealed-channel intro in the words the web form shares (storage.wording)."""
    heading, *sentences = wording.sensitive_intro(category)
    lines = [_(heading), "", *(_(sentence) for sentence in sentences)]
    referrals = referral_lines(category, settings, locale)
    if referrals:
        lines += ["", _(wording.HELP_NOW), *referrals]
    return "\n".join(lines)


def referral_lines(category: str, settings: Settings, locale: str) -> list[str]:
    """The configured lines that fit this category (storage.wording.referrals)."""
    lines = []
    for referral in wording.referrals(category, settings, locale):
        line = f"📞 <b>{esc(referral.phone)}</b>: {esc(referral.name)}"
        if referral.confidential:
            line += " " + _(wording.CONFIDENTIAL)
        lines.append(line)
    return lines


def choose_programme() -> str:
    return _("Which assistance is this about?")


def choose_oblast() -> str:
    return _("Where did it happen? Choose the oblast.")


def describe(sensitive: bool, limit: int) -> str:
    lines = [
        _("Describe what happened, in your own words: what, when, where, who was involved."),
        ngettext(
            "You can send several messages: text, photos, documents or voice messages "
            "(up to {limit} character of text in all).",
            "You can send several messages: text, photos, documents or voice messages "
            "(up to {limit} characters of text in all).",
            limit,
        ).format(limit=limit),
    ]
    if sensitive:
        lines.append(_("You do not need to write your name or anything that identifies you."))
    lines.append(voice_notice())
    lines.append(_("When you have finished, press «Done»."))
    return "\n\n".join(lines)


def story_continues(sensitive: bool, n_texts: int, n_files: int) -> str:
    lines = [
        _(
            "What you sent first is already in the description. You can add more in "
            "further messages: what happened, when, where, who was involved."
        )
    ]
    if sensitive:
        lines.append(_("You do not need to write your name or anything that identifies you."))
    lines.append(voice_notice())
    lines.append(received_so_far(n_texts, n_files))
    return "\n\n".join(lines)


def voice_notice() -> str:
    return _(
        "🎙 In voice messages your voice will be changed to make it much harder to "
        "recognise; your words stay as they are."
    )


def received_so_far(texts: int, files: int) -> str:
    parts = []
    if texts:
        parts.append(ngettext("{count} message", "{count} messages", texts).format(count=texts))
    if files:
        parts.append(ngettext("{count} file", "{count} files", files).format(count=files))
    return _("Received: {what}. Send more, or press «Done».").format(what=", ".join(parts))


def description_empty() -> str:
    return _(
        "The description is still empty. Please write what happened, or send a photo, "
        "a document or a voice message."
    )


def description_too_long(limit: int, left: int) -> str:
    if left <= 0:
        return ngettext(
            "No more text can be added: a description can have up to {limit} character. "
            "Press «Done» to go on.",
            "No more text can be added: a description can have up to {limit} characters. "
            "Press «Done» to go on.",
            limit,
        ).format(limit=limit)
    return ngettext(
        "This message is too long for the report: {left} more character fits "
        "(up to {limit} in all). Please send a shorter message, or press «Done».",
        "This message is too long for the report: {left} more characters fit "
        "(up to {limit} in all). Please send a shorter message, or press «Done».",
        left,
    ).format(left=left, limit=limit)


def too_many_files(limit: int) -> str:
    return ngettext(
        "A report can have up to {limit} file. This one was not added.",
        "A report can have up to {limit} files. This one was not added.",
        limit,
    ).format(limit=limit)


def file_too_big(limit_mb: int) -> str:
    return _("This file is too big: the limit is {limit} MB. It was not added.").format(
        limit=limit_mb
    )


def _locale() -> str:
    return get_i18n().current_locale


def file_quota_reached(limit_mb: int, resets_at: datetime, settings: Settings) -> str:
    return _(
        "This file was not added: one person can send up to {limit} MB of files a day, "
        "and today's amount has been reached. Everything you sent before is kept. You can "
        "send more files from {when}, or describe in words what the file shows."
    ).format(limit=limit_mb, when=when(resets_at, settings, _locale()))


def report_quota_reached(limit: int, resets_at: datetime, settings: Settings) -> str:
    """The daily report quota: the draft is safe, when it can go, and where help is now."""
    first = ngettext(
        "Your report is kept here as a draft. One person can send up to "
        "{count} report a day, and today's number has been reached. You can send this one "
        "from {when}: come back then and press «✅ Send».",
        "Your report is kept here as a draft. One person can send up to "
        "{count} reports a day, and today's number has been reached. You can send this one "
        "from {when}: come back then and press «✅ Send».",
        limit,
    ).format(count=limit, when=when(resets_at, settings, _locale()))
    elsewhere = _("If it cannot wait:")
    return f"{first}\n\n{elsewhere}\n{urgent_help(settings)}"


def file_not_accepted() -> str:
    return _(
        "I cannot accept this type of file. Please send a photo, a PDF or office "
        "document, or a voice message. It was not added."
    )


def voice_unreadable() -> str:
    return _(
        "I could not process this voice message, so it was not added. Please record it "
        "again, or write what happened."
    )


def voice_too_long(minutes: int) -> str:
    return ngettext(
        "This recording is longer than {minutes} minute, so it was not added. Please "
        "record shorter messages.",
        "This recording is longer than {minutes} minutes, so it was not added. Please "
        "record shorter messages.",
        minutes,
    ).format(minutes=minutes)


def file_encrypted() -> str:
    return _(
        "This file is protected with a password, so it cannot be checked. It was not "
        "added. Please send it without the password."
    )


def file_legacy_office() -> str:
    return _(
        "Old Word and Excel files (.doc, .xls) cannot be cleaned of hidden data. It was "
        "not added. Please save it as .docx, .xlsx or PDF and send it again."
    )


def file_executable() -> str:
    return _(
        "This file contains a program or a web page, so it was not added: it could harm the "
        "computer of the person who opens it. Please send a photo or a screenshot instead, "
        "or copy the text into a message."
    )


def pdf_too_many_pages(pages: int) -> str:
    return ngettext(
        "This PDF has more than {pages} page, so it was not added. Please send only the "
        "pages that matter, or a photo of each of them.",
        "This PDF has more than {pages} pages, so it was not added. Please send only the "
        "pages that matter, or a photo of each of them.",
        pages,
    ).format(pages=pages)


def file_too_complex() -> str:
    return _(
        "This file would take too much work to open safely, so it was not added. Please "
        "send a photo or a screenshot of what matters in it, or describe it in words."
    )


def image_too_large() -> str:
    return _("This picture is too large to process. It was not added. Please send a smaller one.")


def file_failed() -> str:
    return _("I could not receive this file. Please try sending it again.")


def choose_contact(sensitive: bool) -> str:
    lines = [
        _("How may we get back to you?"),
        "",
        _("🔒 <b>Anonymous</b> (recommended): you follow your report with the receipt code."),
        _(
            "💬 <b>Reply in this chat</b>: we keep an encrypted link to this chat to send "
            "you our answers."
        ),
        _("📞 <b>Phone or e-mail</b>: only the staff handling your report will see it."),
    ]
    if sensitive:
        lines += [
            "",
            _(
                "In this chat a report like this one gets only a short notice with no "
                "details, so nothing of it shows on your phone's lock screen; you read the "
                "answer with your receipt code. «Clear this conversation» deletes our "
                "messages, answers included."
            ),
            "",
            _(
                "This is your choice. Without a way to contact you, investigators may "
                "be unable to ask you questions; your report will be looked into either way."
            ),
        ]
    return "\n".join(lines)


def type_contact() -> str:
    return _("Please type a phone number or an e-mail address.")


def contact_invalid() -> str:
    return _(
        "This does not look like a phone number or an e-mail address. Please type it "
        "again, or choose another option."
    )


MESSAGE_LIMIT = 4000  # Telegram allows 4096 characters after entity parsing


def summary(
    *,
    category: str,
    programme: str,
    oblast: str,
    contact: str,
    files: int,
    narrative: str,
    code: str | None = None,
) -> list[str]:
    """The summary before sending; a long description continues in further messages.
    Under it, the receipt code the report will have (``code``, shown as four groups)."""
    tail = (
        "\n\n"
        + _("Your receipt code will be <code>{code}</code>: keep it, then press «Send».").format(
            code=code
        )
        if code
        else ""
    )
    head = "\n".join(
        [
            _("<b>Please check your report</b>"),
            "",
            _("Topic: {value}").format(value=esc(category)),
            _("Assistance: {value}").format(value=esc(programme)),
            _("Place: {value}").format(value=esc(oblast)),
            _("Contact: {value}").format(value=esc(contact)),
            _("Files: {count}").format(count=files),
            "",
            _("<b>Description:</b>"),
        ]
    )
    if not narrative:
        return [head + "\n" + _("(no text, files only)") + tail]
    return with_user_text(head, narrative, tail)


def with_user_text(head: str, user_text: str, tail: str = "") -> list[str]:
    """``head`` (HTML) + escaped ``user_text`` + ``tail``, in as many messages as needed."""
    first_room = MESSAGE_LIMIT - len(head) - 1
    chunks = split_plain(user_text, first_room, MESSAGE_LIMIT - len(tail) - 1)
    messages = [esc(chunk) for chunk in chunks]
    messages[0] = f"{head}\n{messages[0]}"
    if tail:
        if len(messages[-1]) + len(tail) + 1 <= MESSAGE_LIMIT:
            messages[-1] = f"{messages[-1]}\n{tail}"
        else:
            messages.append(tail)
    return messages


def split_plain(text: str, first: int, rest: int) -> list[str]:
    """Cut plain text so that each piece, once HTML-escaped, fits its room; prefer
    line ends, then spaces."""
    pieces: list[str] = []
    room = first
    while len(esc(text)) > room:
        cut = room
        while len(esc(text[:cut])) > room:
            cut -= max(1, (len(esc(text[:cut])) - room) // 5)
        for separator in ("\n", " "):
            at = text.rfind(separator, 0, cut)
            if at > cut // 2:
                cut = at
                break
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n ")
        room = rest
    pieces.append(text)
    return pieces


def what_to_change() -> str:
    return _("What would you like to change?")


def acknowledge_within(within: timedelta) -> str:
    """When the team aims to take the report up: whole days, rounded up."""
    days = max(1, math.ceil(within / timedelta(days=1)))
    return ngettext(
        "The team aims to accept your report within {count} day. You can check its "
        "status with the code.",
        "The team aims to accept your report within {count} days. You can check its "
        "status with the code.",
        days,
    ).format(count=days)


def receipt(code_display: str, sensitive: bool, acknowledge: timedelta) -> str:
    if sensitive:
        # Someone may look through the phone: no screenshot in the gallery.
        keep = _(
            "Keep the code where others will not see it; then you can clear this "
            "conversation. With this code you can check your report, read our answers "
            "and add information (menu: «Check my report»)."
        )
    else:
        keep = _(
            "Save it now: write it down or take a screenshot. With this code you can check "
            "your report, read our answers and add information (menu: «Check my report»)."
        )
    lines = [
        _("✅ Thank you. Your report has been received."),
        "",
        _("Your receipt code:"),
        f"<code>{code_display}</code>",
        "",
        acknowledge_within(acknowledge),
        "",
        keep,
        _(
            "We will not show it again and cannot recover it. Do not share it: whoever "
            "has the code can read the answers to your report."
        ),
    ]
    if sensitive:
        lines += ["", _("Your report is handled by the specially trained team.")]
    return "\n".join(lines)


def cleared(receipt_kept: bool) -> str:
    if receipt_kept:
        return _(
            "The messages of this report were deleted from this chat. Your receipt code is "
            "still here: delete it yourself once you have saved it."
        )
    return _("These messages were deleted from this chat.")


def clear_failed() -> str:
    return _("Some messages could not be deleted; please delete them yourself.")


def confirm_discard() -> str:
    return _("Discard this draft? What you have written will be deleted.")


def discarded() -> str:
    return _("The draft was deleted.")


def resume_or_discard() -> str:
    return _("You have an unfinished draft. Do you want to continue it?")


def submit_failed() -> str:
    return _(
        "Sorry, we could not send your report just now. Your draft is not lost: please "
        "press «Send» again in a minute."
    )


def addition_failed() -> str:
    return _(
        "Sorry, we could not add this to your report just now. Nothing is lost: please "
        "press «Done» again in a minute."
    )


# Follow-up -------------------------------------------------------------------------------


def ask_code_for_earlier() -> str:
    return _(
        "Please enter the receipt code of your earlier report: 16 digits, for example "
        "1234 5678 9012 3456. What you sent will be added to that report."
    )


def ask_receipt_code() -> str:
    return _("Please enter your receipt code: 16 digits, for example 1234 5678 9012 3456.")


def receipt_code_malformed(reason: str, digits: int) -> str:
    if reason == "letters":
        return _("A receipt code has digits only. Please check it and enter it again.")
    return ngettext(
        "A receipt code has 16 digits, and you entered {count}. Please check it and "
        "enter it again.",
        "A receipt code has 16 digits, and you entered {count}. Please check it and "
        "enter it again.",
        digits,
    ).format(count=digits)


def claim_exchanged(code_display: str) -> str:
    """A one-time code from our staff, just exchanged: the person's own code, shown once."""
    return "\n".join(
        [
            _("The code you were given has done its job and no longer works."),
            "",
            _("Your own receipt code:"),
            f"<code>{code_display}</code>",
            "",
            _(
                "Keep the code where others will not see it; then you can clear this "
                "conversation. With this code you can check your report, read our answers "
                "and add information (menu: «Check my report»)."
            ),
            _(
                "We will not show it again and cannot recover it. Do not share it: whoever "
                "has the code can read the answers to your report."
            ),
        ]
    )


def claim_already_used(settings: Settings) -> str:
    """A one-time code tried a second time. Nothing is said about the report."""
    first = _(
        "This one-time code has already been used, so it cannot open a report again. "
        "If it was not you who used it, please call our hotline: they will help you."
    )
    return f"{first}\n\n{urgent_help(settings)}"


def receipt_code_unknown() -> str:
    return _("No report has this code. Please check the digits and enter it again.")


def too_many_attempts(minutes: int) -> str:
    return ngettext(
        "Too many wrong codes. To keep reports safe, please wait {count} minute and try again.",
        "Too many wrong codes. To keep reports safe, please wait {count} minutes and try again.",
        minutes,
    ).format(count=minutes)


def report_view(
    *,
    category: str,
    status: Status,
    created: str,
    updated: str,
    replies: Iterable[tuple[str, str]],
) -> list[str]:
    head = "\n".join(
        [
            _("<b>Your report of {date}</b>").format(date=created),
            _("Topic: {value}").format(value=esc(category)),
            _("Status: <b>{status}</b>").format(status=STATUS_NAMES[status]),
            str(STATUS_EXPLAINED[status]),
            _("Last update: {date}").format(date=updated),
        ]
    )
    replies = list(replies)
    if not replies:
        return [head + "\n\n" + _("There are no answers yet.")]
    messages = [head + "\n\n" + _("<b>Answers from the team:</b>")]
    for moment, text in replies:
        for chunk in with_user_text(f"<i>{moment}</i>", text):
            if len(messages[-1]) + len(chunk) + 2 <= MESSAGE_LIMIT:
                messages[-1] = f"{messages[-1]}\n\n{chunk}"
            else:
                messages.append(chunk)
    return messages


def add_information() -> str:
    return _(
        "Send what you want to add: text, photos, documents or voice messages. "
        "When you have finished, press «Done»."
    )


def write_answer() -> str:
    return _(
        "Write your answer: text, photos, documents or voice messages. It joins the same "
        "report. When you have finished, press «Done»."
    )


def information_added() -> str:
    return _("✅ Added to your report. Thank you.")


def case_content_deleted() -> str:
    return _(
        "This report is closed and its details have been deleted, so nothing more can be "
        "added. You can make a new report from the menu."
    )


# Satisfaction ----------------------------------------------------------------------------


def rate_programme() -> str:
    return _("Which assistance would you like to rate?")


def rate_score() -> str:
    return _("How satisfied are you with the assistance you received?")


def rate_reasons() -> str:
    return _("What went wrong? Choose everything that applies, then press «Continue».")


def rate_comment() -> str:
    return _(
        "Would you like to add a comment? Write it in one message, or press «Skip». "
        "Please do not write your name."
    )


def comment_too_long(limit: int) -> str:
    return ngettext(
        "This comment is too long: it can have up to {limit} character. Please shorten "
        "it and send it again, or press «Skip».",
        "This comment is too long: it can have up to {limit} characters. Please shorten "
        "it and send it again, or press «Skip».",
        limit,
    ).format(limit=limit)


def rating_failed() -> str:
    return _("Sorry, we could not save your answer just now. Please try again in a minute.")


def rate_thanks() -> str:
    return _("Thank you! Your answer helps us improve our assistance.")


def handling_question(date: str, topic: str | None) -> str:
    return _(
        "Your report of {date} has been closed. How satisfied are you with how it was handled?"
    ).format(date=date) + _topic_line(topic)


def handling_thanks() -> str:
    return _("Thank you for your answer!")


def update_notice() -> str:
    """What a reporter who chose replies in their chat reads when their report changed
    without a reply (closed for lack of an answer): nothing of the case itself."""
    return _("There is an update on your report. Open it with your code.")


def _topic_line(topic: str | None) -> str:
    """The report's topic under its date; none for a sensitive report (its date only: a
    glance at the phone must not tell what it was about)."""
    return "\n" + _("Topic: {value}").format(value=esc(topic)) if topic else ""


def reply_delivered(text: str, date: str, topic: str | None) -> list[str]:
    return with_user_text(
        _("💬 <b>An answer to your report of {date}:</b>").format(date=date)
        + _topic_line(topic)
        + "\n",
        text,
        "\n" + _("You can see all answers with «Check my report» and your receipt code."),
    )


# Feedback points: a poster's QR code or link (/start fp_<code>) -------------------------


def point_intro(name: str, *, survey: bool) -> str:
    """The first words after a poster's link, above the first question: where, and
    that it is anonymous."""
    if survey:
        text = _(
            "👋 Hello! A few short questions about «{place}». Your answers are anonymous: "
            "they are kept without your name or Telegram account."
        )
    else:
        text = _(
            "👋 Hello! Tell us how it went at «{place}». Your answer is anonymous: it is "
            "kept without your name or Telegram account."
        )
    return text.format(place=esc(name))


def point_unavailable(reason: str) -> str:
    """Why a poster's link did not open its questions: no blame, and the rest works."""
    if reason == "not_yet":
        text = _("Feedback at this place has not opened yet.")
    elif reason == "expired":
        text = _("Feedback at this place has ended. Thank you for wanting to tell us!")
    else:
        text = _("This feedback link does not work: it may be incomplete.")
    return "ℹ️ " + text + " " + _("Everything else here works as usual.")


def survey_question(notes: Iterable[str], label: str, hint: str | None) -> str:
    """One survey question as a screen: the notes that come before it, the question in
    bold, and how to answer when the buttons do not say it."""
    lines = [esc(note) for note in notes]
    lines.append(f"<b>{esc(label)}</b>")
    if hint:
        lines[-1] += "\n" + hint
    return "\n\n".join(lines)


def survey_scale_hint(low: int, high: int) -> str:
    return _("Choose a number from {low} (lowest) to {high} (highest).").format(low=low, high=high)


def survey_text_hint() -> str:
    return _(
        "Write your answer in one message, or press «Skip». Please do not write your name "
        "or phone number."
    )


def survey_answer_too_long(limit: int) -> str:
    return ngettext(
        "This answer is too long: it can have up to {limit} character. Please shorten it "
        "and send it again, or press «Skip».",
        "This answer is too long: it can have up to {limit} characters. Please shorten it "
        "and send it again, or press «Skip».",
        limit,
    ).format(limit=limit)


def survey_thanks(notes: Iterable[str]) -> str:
    """The last screen of a survey: the notes after the last question, the thanks, and
    the menu (its buttons come with it)."""
    lines = [esc(note) for note in notes]
    lines.append(
        _(
            "Thank you! Your answers help us improve our assistance. If you want to tell us "
            "more, or something went wrong, choose below."
        )
    )
    lines.append(menu_prompt())
    return "\n\n".join(lines)


def point_rating_thanks() -> str:
    return rate_thanks() + "\n\n" + menu_prompt()


def b_yes() -> str:
    return pgettext("survey answer", "Yes")


def b_no() -> str:
    return pgettext("survey answer", "No")


# Bad input -------------------------------------------------------------------------------


def use_buttons() -> str:
    return _("Please choose one of the options with the buttons.")


def button_expired() -> str:
    return _("This button is no longer active.")


def not_understood() -> str:
    return _("I did not understand that. Please choose from the menu.")


def unsupported_message() -> str:
    return _(
        "I do not accept this kind of message. I understand text, photos, documents and "
        "voice messages."
    )


def no_locations(step: str | None) -> str:
    """A location refused in words that fit the step it was sent at."""
    if step == "oblast":
        return _(
            "To keep you safe, I do not accept locations. Please choose the oblast with the "
            "buttons, or describe the place in words."
        )
    if step == "description":
        return _(
            "To keep you safe, I do not accept locations. You can describe the place in words."
        )
    return _("To keep you safe, I do not accept locations.")


def no_contacts(step: str | None) -> str:
    """A contact card refused in words that fit the step it was sent at."""
    if step == "contact":
        return _(
            "To protect your privacy, I do not accept contact cards. If you want us to reach "
            "you by phone or e-mail, choose «📞 Phone or e-mail» and type it."
        )
    if step == "contact_typed":
        return _(
            "To protect your privacy, I do not accept contact cards. Please type the phone "
            "number or e-mail address as a message."
        )
    if step == "before_contact":
        return _(
            "To protect your privacy, I do not accept contact cards. If you want us to reach "
            "you, you can choose this at the end of the report."
        )
    return _("To protect your privacy, I do not accept contact cards.")


def no_videos() -> str:
    return _(
        "I cannot accept videos: they may show where and when they were filmed. Please "
        "send photos or describe it in words."
    )


def edited_message() -> str:
    return _(
        "Changes to a message already sent are not taken into account. Please send the "
        "correction as a new message."
    )


def something_went_wrong() -> str:
    return _(
        "Sorry, something went wrong on our side. Your draft is not lost: please try "
        "again in a minute."
    )


# Buttons ---------------------------------------------------------------------------------


def not_sure() -> str:
    return _("Not sure / other")


def b_done() -> str:
    return _("✅ Done")


def b_back() -> str:
    return _("« Back")


def b_menu() -> str:
    return _("🏠 Main menu")


def b_cancel() -> str:
    return _("✖️ Cancel")


def b_skip() -> str:
    return _("Skip »")


def b_continue() -> str:
    return _("Continue »")


# Staff linking their own Telegram for alerts (never a reporter's flow) -------------------


def staff_link_answer(outcome: str) -> str:
    """The answer to ``/start staff_<code>``, the link made on a console account page."""
    if outcome == "linked":
        return _(
            "This chat is now linked to your Holos staff account: your alerts will come "
            "here. You can unlink it on your account page in the console."
        )
    if outcome == "used":
        return _(
            "This link has been used already. Make a new one on your account page in the "
            "Holos console."
        )
    if outcome == "expired":
        return _(
            "This link is more than 10 minutes old. Make a new one on your account page in "
            "the Holos console."
        )
    return _("This link is not valid. Make a new one on your account page in the Holos console.")
