"""What staff call the domain's codes, as English msgids (:mod:`storage.i18n` marks them;
the edge translates them in its reader's language). The console's labels and the
exports read the same maps, so a category is called the same on a page and in a file.

A code missing here (a category or programme a deployment added) is shown as itself.
"""

from __future__ import annotations

from storage.i18n import InContext, _, pgettext

# A case's status (справа is feminine in Ukrainian: «Нова»).
STATUS: dict[str, str | InContext] = {
    "new": pgettext("case status", "New"),
    "acknowledged": pgettext("case status", "Acknowledged"),
    "in_progress": pgettext("case status", "In progress"),
    "referred": pgettext("case status", "Referred"),
    "waiting": pgettext("case status", "Waiting for the reporter"),
    "resolved": pgettext("case status", "Resolved"),
    "closed": pgettext("case status", "Closed"),
}

PRIORITY: dict[str, str | InContext] = {
    "urgent": _("Urgent"),
    "high": _("High"),
    "normal": _("Normal"),
    "low": _("Low"),
}

CATEGORY: dict[str, str | InContext] = {
    "assistance_quality": _("Quality or quantity of assistance"),
    "selection_process": _("Selection and registration"),
    "staff_conduct": _("Behaviour of staff or partners"),
    "information_request": _("Information request"),
    "assistance_request": _("Assistance request"),
    "suggestion": _("Suggestion or thanks"),
    "fraud_corruption": _("Fraud or corruption"),
    "sexual_exploitation": _("Sexual exploitation and abuse, or harassment"),
    "trafficking": _("Trafficking or labour exploitation"),
}

LANGUAGE: dict[str, str | InContext] = {
    "uk": _("Ukrainian"),
    "ru": _("Russian"),
    "en": _("English"),
}

# How a case or a rating reached us; "web" is the web form's.
CHANNEL: dict[str, str | InContext] = {
    "telegram": _("Telegram bot"),
    "hotline": _("Hotline call"),
    "in_person": _("In person"),
    "letter": _("Letter or feedback box"),
    "email": _("E-mail"),
    "partner": _("Partner referral"),
    "other": _("Other channel"),
    "web": _("Web form"),
}

# What became of a case, recorded when it is closed.
OUTCOME: dict[str, str | InContext] = {
    "resolved": pgettext("outcome", "Resolved"),
    "partly_resolved": pgettext("outcome", "Partly resolved"),
    "not_substantiated": pgettext("outcome", "Not substantiated"),
    "referred": pgettext("outcome", "Referred"),
    "no_response": pgettext("outcome", "No response from the reporter"),
    "duplicate": pgettext("outcome", "Duplicate"),
    "out_of_scope": pgettext("outcome", "Out of scope"),
}

CONTACT_MODE: dict[str, str | InContext] = {
    "anonymous": pgettext("contact mode", "Anonymous"),
    "chat": pgettext("contact mode", "Through the chat"),
    "typed": pgettext("contact mode", "Contact details given"),
}

RATING_KIND: dict[str, str | InContext] = {
    "assistance": pgettext("rating kind", "Assistance"),
    "handling": pgettext("rating kind", "Handling of a complaint"),
}

# The same words as the bot's buttons for a score of 1–2.
REASON: dict[str, str | InContext] = {
    "waiting_time": _("Waiting time"),
    "respect": _("How I was treated"),
    "information": _("Not enough information"),
    "quality": _("Quality of assistance"),
    "quantity": _("Quantity of assistance"),
    "other": _("Something else"),
}

SLA: dict[str, str | InContext] = {
    "met": _("met"),
    "met_late": _("met late"),
    "pending": _("pending"),
    "overdue": _("overdue"),
}
