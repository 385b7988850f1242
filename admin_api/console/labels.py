"""Names of the domain's codes as staff read them. ``_`` and ``pgettext`` here only mark
a text for extraction (``make messages``, :mod:`storage.i18n`); pages translate it with
the viewer's language (``Texts.gettext`` takes either)."""

from __future__ import annotations

from storage import names
from storage.i18n import InContext, _, pgettext

# A case's status (справа is feminine in Ukrainian: «Нова»); the reporter's side names the
# status of a report (звернення) in the bot's own context.
STATUS = names.STATUS
# The worklist's tabs name groups of cases (plural: «Нові», «Закриті»).
TAB = {
    "open": pgettext("worklist tab", "Open"),
    "new": pgettext("worklist tab", "New"),
    "acknowledged": pgettext("worklist tab", "Acknowledged"),
    "in_progress": pgettext("worklist tab", "In progress"),
    "referred": pgettext("worklist tab", "Referred"),
    "waiting": pgettext("worklist tab", "Waiting"),
    "resolved": pgettext("worklist tab", "Resolved"),
    "closed": pgettext("worklist tab", "Closed"),
}
# What the button that moves a case to a status says.
STATUS_ACTION = {
    "acknowledged": _("Acknowledge"),
    "in_progress": _("Start work"),
    "referred": _("Mark as referred"),
    "waiting": _("Wait for the reporter"),
    "resolved": _("Mark as resolved"),
    "closed": _("Close"),
}
REOPEN = _("Reopen")

# What became of a case, recorded when it is closed.
OUTCOME = names.OUTCOME
# Whether the person agreed to be referred.
CONSENT = {
    "given": _("Consent given"),
    "refused": _("Consent refused"),
    "not_asked": _("Could not be asked"),
}

PRIORITY = names.PRIORITY

CATEGORY = names.CATEGORY

LANGUAGE = names.LANGUAGE

# Where a report came in (storage.enums.Channel).
CHANNEL = names.CHANNEL

# How the person whose report staff log wants to hear back (storage.enums.FollowUpMode).
FOLLOW_UP = {
    "code": _("A code to read out or write down for them"),
    "contact": _("A phone number or e-mail they give"),
    "none": _("No follow-up"),
}

ROLE = {
    "operator": _("Operator"),
    "focal_point": _("Focal point"),
    "analyst": _("Analyst"),
    "admin": _("Administrator"),
}

DELIVERY = {
    "not_applicable": _("Read through the receipt code only"),
    "pending": _("Queued for the chat"),
    "delivered": _("Sent to the chat"),
    "undeliverable": _("Undeliverable to the chat"),
}

SLA = names.SLA

ACTION = {
    "case.created": _("Report received"),
    "case.claimed": _("Claim code exchanged for the person's own receipt code"),
    "case.updated": _("Case changed"),
    "case.referred": _("Referred to a partner"),
    "case.marked_duplicate": _("Marked as a duplicate"),
    "case.child_referral_waived": _(
        "A focal point wrote why there is no child-protection referral"
    ),
    "case.addition_redirected": _("The reporter's addition went to the case kept"),
    "partner.created": _("Partner added"),
    "partner.updated": _("Partner changed"),
    "case.read": _("Sensitive case opened"),
    "case.reclassified": _("Category changed"),
    "case.recused": _("A focal point stepped back from the case"),
    "case.excluded": _("A focal point was excluded from the case"),
    "case.reporter_added": _("The reporter added information"),
    "case.handling_rated": _("The reporter rated the handling"),
    "note.added": _("Internal note added"),
    "reply.added": _("Reply to the reporter"),
    "reply.delivered": _("Reply delivered to the chat"),
    "reply.undeliverable": _("Reply could not be delivered"),
    "attachment.read": _("Sensitive file opened"),
    "attachment.rebuilt": _("File made anew for safe opening"),
    "auth.signed_in": _("Signed in"),
    "auth.signed_out": _("Signed out"),
    "user.created": _("Staff account created"),
    "user.updated": _("Staff account changed"),
    "user.totp_enrolled": _("Two-factor sign-in set up"),
    "user.totp_reset": _("Two-factor sign-in reset"),
    "user.recovery_code_used": _("Recovery code used"),
    "reply_template.created": _("Reply template added"),
    "reply_template.updated": _("Reply template changed"),
    "reply_template.deleted": _("Reply template deleted"),
}

# What makes a worklist row "new" for its reader (storage.enums.ActivityKind).
ACTIVITY = {
    "reporter_added": _("the reporter added information"),
    "reporter_replied": _("the reporter replied"),
    "delivery_failed": _("a reply was not delivered"),
    "assigned": _("assigned to you"),
}

FIELD: dict[str, str | InContext] = {
    "category": _("Category"),
    "sensitive": _("Sealed"),
    "reason": _("Reason"),
    "status": _("Status"),
    "priority": _("Priority"),
    "assignee_id": _("Assignee"),
    "tags": _("Tags"),
    "delivery": _("Delivery"),
    "role": _("Role"),
    "is_active": _("Active"),
    "password_changed": _("Password changed"),
    "display_name": _("Name"),
    "outcome": _("Outcome"),
    "child_involved": _("A child is involved"),
    "reply_full_text": _("Replies in the reporter's chat word for word"),
    "child_waiver_note": _("Reason for no child-protection referral"),
    "partner": _("Partner"),
    "consent": _("Consent"),
    "duplicate_of": _("Duplicate of"),
    "duplicate": _("Duplicate"),
    "via_duplicate": _("Sent to the duplicate"),
    "waited_days": _("Days waited"),
    "name": _("Name"),
    "child_protection": _("Child protection"),
    "active": _("Active"),
    "template_language": _("Language"),
    "length": _("Length of the text"),
}

SORT = {
    "due": _("Due soonest"),
    "priority": _("Priority"),
    "-created": _("Newest"),
    "created": _("Oldest"),
    "-updated": _("Recently changed"),
}

# Domain error codes, as a sentence for staff.
# Filters every person has without saving them (admin_api.console.routes.worklist).
BUILT_IN_FILTER = {
    "my_overdue": _("My overdue"),
    "unassigned_new": _("Unassigned new"),
}

ERROR = {
    "authentication_failed": _("Wrong username or password, or the account is disabled."),
    "rate_limited": _("Too many attempts. Wait a little and try again."),
    "weak_password:contains_username": _("A password must not contain the username or the name."),
    "weak_password": _(
        "This password is too short or too easy to guess. Choose a longer one, "
        "such as a few unrelated words."
    ),
    "invalid_username": _(
        "A username has 3 to 64 letters, digits, dots, dashes, underscores or @."
    ),
    "duplicate_username": _("This username is taken."),
    "illegal_transition": _("The case cannot move to that status from where it is now."),
    "assignee_cannot_see_case": _("That person cannot see this case."),
    "invalid_tag": _("A tag has up to 40 letters, digits, dashes or colons."),
    "empty_text": _("Write something first."),
    "empty_narrative": _("Write down what the person told you: the account cannot be empty."),
    "narrative_too_long": _("The account is too long."),
    "too_many_attachments": _("Too many files for one report."),
    "invalid_contact": _("This does not look like a phone number or an e-mail address."),
    "text_too_long": _("The text is too long."),
    "case_closed_for_additions": _(
        "This case's content has been deleted; it takes no more replies."
    ),
    "permission_denied": _("Your role does not allow this."),
    "invalid_cursor": _("That page link is out of date; the list starts again from the top."),
    "no_search_words": _("Type at least one word, or a case reference, to search."),
    "invalid_filter_name": _("Give the filter a name of up to 60 characters."),
    "too_many_saved_filters": _("You have 20 saved filters; delete one first."),
    "no_case_with_reference": _("No case you can open has this reference."),
    "invalid_input": _("Something in the form is not valid."),
    "same_password": _("The new password is the same as the current one."),
    "passwords_differ": _("The two new passwords are not the same."),
    "focal_point_command_line_only": _(
        "Focal points and administrators are granted from the command line."
    ),
    "admin_command_line_only": _(
        "Focal points and administrators are granted from the command line."
    ),
    "password_command_line_only": _(
        "The password of a focal point or an administrator is set from the command line "
        "on the server."
    ),
    "same_category": _("The case is already in this category."),
    "reason_required": _(
        "Write why the case leaves the sealed channel: every operator will be able to read it."
    ),
    "unknown_category": _("Choose a category from the list."),
    "forbidden": _("Your role does not allow this."),
    "last_focal_point": _(
        "No other focal point could see this case then. Someone must always be able to."
    ),
    "not_a_focal_point": _("Only an active focal point can be excluded from a case."),
    "wrong_code": _("This code is wrong or was used already. Type the code the app shows now."),
    "outcome_required": _("Choose the outcome: a sealed case is closed only with one."),
    "outcome_only_when_closed": _(
        "An outcome is chosen when the case is closed; a duplicate is marked on its own."
    ),
    "child_referral_missing": _(
        "A child is involved: record a referral to a child-protection service first, "
        "or a focal point writes why there is none."
    ),
    "unknown_partner": _("Choose a partner from the list."),
    "case_not_found": _("There is no case with that reference that you can see."),
    "duplicate_partner": _("A partner of that name is already in the list."),
    "partner_not_found": _("That partner is not in the list."),
    "not_a_duplicate": _(
        "This case cannot be marked as a duplicate of that one: not itself, not a case "
        "that is a duplicate, not when closed, and only within the same channel "
        "(sealed or standard)."
    ),
    "duplicate_template": _("A template with this name exists in this language: change that one."),
    "template_not_found": _("There is no such template (deleted meanwhile?)."),
    "unknown_programme": _("Choose a programme from the list."),
    "unknown_oblast": _("Choose an oblast from the list."),
    "invalid_feedback_point:name": _("Give the feedback point a name of up to 120 characters."),
    "invalid_feedback_point:site": _("The site has at most 120 characters."),
    "invalid_feedback_point:dates": _(
        "Give the first day, and the last day if there is one, as dates."
    ),
    "invalid_feedback_point:active_until": _("The last day is before the first."),
    "invalid_feedback_point:served": _(
        "The number of people served is a whole number above zero, or left empty."
    ),
    "feedback_point_not_found": _("There is no feedback point with this code."),
}
