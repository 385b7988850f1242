"""Words the bot and the web form both say, written once: what a report's intro tells
(the sealed-channel intro of each sensitive category, the short general one of the
others) and which referral lines fit a category.

Plain English msgids with no markup, marked for extraction (``storage.i18n._``): each
face translates them in its reader's language and formats them itself, the bot with
Telegram's ``<b>`` and escaping, the web form through Jinja's autoescape.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.enums import Language
from storage.errors import UnknownCategory
from storage.i18n import _
from storage.settings import Settings

# Sensitive categories where the person may blame themselves for what was done to them.
NOT_YOUR_FAULT = frozenset({"sexual_exploitation", "trafficking"})

# The first line of the safe-referral intro of each sensitive category.
SENSITIVE_INTROS = {
    "fraud_corruption": _("You are reporting fraud or corruption."),
    "sexual_exploitation": _("You are reporting sexual exploitation and abuse, or harassment."),
    "trafficking": _("You are reporting human trafficking or labour exploitation."),
}

# Who handles a sensitive report, in the words an editor settled (issue 20 §4): it
# promises no more than the sealed channel keeps.
WHO_HANDLES_IT = _(
    "👥 A small, specially trained team of the mission handles this report and "
    "shares only what another organisation needs to act on it. Hotline operators "
    "will not see it."
)
NOT_AFFECTED = _("Reporting will not affect the assistance you receive.")
NOT_YOUR_FAULT_LINE = _("What happened is not your fault.")
SHARE_ONLY = _(
    "Share only what you are comfortable sharing. You do not need to give your "
    "name or any details about yourself."
)
# Above the referral lines.
HELP_NOW = _("If you need help now, call (free of charge):")
# After a referral line whose service keeps what callers say confidential.
CONFIDENTIAL = _("(confidential)")


def sensitive_intro(category: str) -> list[str]:
    """The intro of a sensitive category, sentence by sentence (msgids), its heading
    first; the referral lines come after (:func:`referrals`)."""
    try:
        heading = SENSITIVE_INTROS[category]
    except KeyError:
        raise UnknownCategory(category) from None
    lines = [heading, WHO_HANDLES_IT, NOT_AFFECTED]
    if category in NOT_YOUR_FAULT:
        lines.append(NOT_YOUR_FAULT_LINE)
    lines.append(SHARE_ONLY)
    return lines


def general_intro() -> list[str]:
    """What the web form says before the questions of a standard category (msgids)."""
    return [NOT_AFFECTED, SHARE_ONLY]


@dataclass(frozen=True)
class Referral:
    """A referral line as a reader sees it: the number, the service's name in the
    reader's language, and whether the service keeps calls confidential."""

    phone: str
    name: str
    confidential: bool


def referrals(category: str, settings: Settings, language: str) -> list[Referral]:
    """The configured lines that fit ``category`` (a line with no categories fits every
    sensitive one), in their configured order, named in ``language`` (else English).
    Only those that are confidential say so: 112 is not."""
    found = []
    for contact in settings.referral_contacts:
        if contact.categories and category not in contact.categories:
            continue
        name = contact.names.get(Language(language)) or contact.names.get(Language.EN) or ""
        found.append(Referral(contact.phone, name, contact.confidential))
    return found
