"""Typed domain errors: each has a stable ``code`` and a plain English message.

The API turns them into JSON (``code`` + ``detail``); the bot maps ``code`` to a
translated sentence. Messages never carry secrets or case content.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar

from storage.enums import PointUnavailableReason, Sort, SurveyAnswerProblem


class DomainError(Exception):
    code: str = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "not_found"


class CaseNotFound(NotFound):
    """Also raised for a sensitive case the caller may not see: it does not exist for them."""

    code = "case_not_found"

    def __init__(self, ref: str) -> None:
        super().__init__(f"No case {ref}.")
        self.ref = ref


class AttachmentNotFound(NotFound):
    code = "attachment_not_found"

    def __init__(self) -> None:
        super().__init__("No such attachment on this case.")


class UserNotFound(NotFound):
    code = "user_not_found"

    def __init__(self) -> None:
        super().__init__("No such staff account.")


class TemplateNotFound(NotFound):
    code = "template_not_found"

    def __init__(self) -> None:
        super().__init__("No such reply template.")


class FeedbackPointNotFound(NotFound):
    code = "feedback_point_not_found"

    def __init__(self, code: str) -> None:
        super().__init__(f"No feedback point {code!r}.")
        self.point_code = code


class FeedbackPointUnavailable(NotFound):
    """A feedback point's link that does not open its flow: no such point, not open
    yet, or closed (for the person who followed it, none is there). ``reason`` says
    which, for the bot and the web page to explain."""

    code = "feedback_point_unavailable"

    def __init__(self, reason: PointUnavailableReason) -> None:
        super().__init__(f"This feedback point is not open ({reason.value}).")
        self.reason = reason


class InvalidInput(DomainError):
    code = "invalid_input"


class InvalidFeedbackPoint(InvalidInput):
    """A feedback point's field that cannot be stored (``field`` names it)."""

    code = "invalid_feedback_point"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.reason = field  # what the console's message is chosen by


class InvalidSurveyAnswer(InvalidInput):
    """An answer the point's survey does not allow: ``question`` is its name (None when
    the point has no survey), ``problem`` what is wrong."""

    code = "invalid_survey_answer"

    def __init__(self, question: str | None, problem: SurveyAnswerProblem) -> None:
        where = f"Question {question!r}" if question else "The survey"
        super().__init__(f"{where}: {problem.value.replace('_', ' ')}.")
        self.question = question
        self.problem = problem


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"

    def __init__(self) -> None:
        super().__init__("The pagination cursor is not valid for this query; start again.")


class NoSearchWords(InvalidInput):
    """A search query with nothing to search by: no word (punctuation, operators only)
    and no case reference."""

    code = "no_search_words"

    def __init__(self) -> None:
        super().__init__("Type at least one word, or a case reference, to search.")


class InvalidFilterName(InvalidInput):
    code = "invalid_filter_name"

    def __init__(self, limit: int) -> None:
        super().__init__(f"A saved filter needs a name of up to {limit} characters.")


class TooManySavedFilters(InvalidInput):
    code = "too_many_saved_filters"

    def __init__(self, limit: int) -> None:
        super().__init__(f"At most {limit} saved filters; delete one first.")


class InvalidSort(InvalidInput):
    code = "invalid_sort"

    def __init__(self, sort: str) -> None:
        super().__init__(f"Unknown sort {sort!r}; use one of: {', '.join(Sort)}.")


class UnknownCategory(InvalidInput):
    code = "unknown_category"

    def __init__(self, value: str) -> None:
        super().__init__(f"Unknown category {value!r}.")


class UnknownProgramme(InvalidInput):
    code = "unknown_programme"

    def __init__(self, value: str) -> None:
        super().__init__(f"Unknown programme {value!r}.")


class UnknownOblast(InvalidInput):
    code = "unknown_oblast"

    def __init__(self, value: str) -> None:
        super().__init__(f"Unknown oblast {value!r}.")


class InvalidReceiptCode(InvalidInput):
    """A receipt code that cannot be one: wrong length or not digits. Never echoes the input."""

    code = "invalid_receipt_code"

    def __init__(self, reason: str) -> None:
        super().__init__(f"A receipt code is 16 digits; {reason}.")
        self.reason = reason


class EmptyNarrative(InvalidInput):
    code = "empty_narrative"

    def __init__(self) -> None:
        super().__init__("The description is empty.")


class NarrativeTooLong(InvalidInput):
    code = "narrative_too_long"

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"The description has {length} characters; the limit is {limit}.")
        self.length = length
        self.limit = limit


class TooManyAttachments(InvalidInput):
    code = "too_many_attachments"

    def __init__(self, limit: int) -> None:
        super().__init__(f"At most {limit} files can be attached to one report.")
        self.limit = limit


class AttachmentTooLarge(InvalidInput):
    code = "attachment_too_large"

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"The file has {size} bytes; the limit is {limit}.")
        self.size = size
        self.limit = limit


class UnsupportedAttachment(InvalidInput):
    code = "unsupported_attachment"

    def __init__(self, mime_type: str, reason: str = "unsupported_type") -> None:
        super().__init__(f"Files of type {mime_type!r} are not accepted ({reason}).")
        self.mime_type = mime_type
        # A storage.media.Refusal value: why, for the bot to explain in the person's language.
        self.reason = reason


class InvalidScore(InvalidInput):
    code = "invalid_score"

    def __init__(self, score: object) -> None:
        super().__init__(f"A score is a whole number from 1 to 5, not {score!r}.")


class InvalidContact(InvalidInput):
    code = "invalid_contact"

    def __init__(self) -> None:
        super().__init__("A contact is a phone number or an e-mail address.")


class InvalidTag(InvalidInput):
    code = "invalid_tag"

    def __init__(self, tag: str) -> None:
        super().__init__(
            f"Tag {tag!r} is not allowed: use 1-40 letters, digits, '-', '_' or ':' characters."
        )


class InvalidRole(InvalidInput):
    code = "invalid_role"

    def __init__(self, value: str) -> None:
        super().__init__(f"Unknown role {value!r}.")


class InvalidUsername(InvalidInput):
    code = "invalid_username"

    def __init__(self) -> None:
        super().__init__("A username has 3-64 characters: letters, digits, '.', '_', '-' or '@'.")


class WeakPassword(InvalidInput):
    code = "weak_password"
    _EXPLAINED: ClassVar[dict[str, str]] = {
        "too_long": "A password can have at most 256 characters.",
        "contains_username": "A password must not contain the username or the name.",
        "too_guessable": (
            "This password is too easy to guess (a common word, name, date or keyboard "
            "pattern): use a longer passphrase of unrelated words."
        ),
    }

    def __init__(self, minimum: int, reason: str = "too_short") -> None:
        super().__init__(
            self._EXPLAINED.get(reason, f"A password needs at least {minimum} characters.")
        )
        self.reason = reason


class EmptyText(InvalidInput):
    code = "empty_text"

    def __init__(self, what: str) -> None:
        super().__init__(f"The {what} is empty.")


class TextTooLong(InvalidInput):
    code = "text_too_long"

    def __init__(self, what: str, length: int, limit: int) -> None:
        super().__init__(f"The {what} has {length} characters; the limit is {limit}.")
        self.limit = limit


class SameCategory(InvalidInput):
    code = "same_category"

    def __init__(self) -> None:
        super().__init__("The case is already in this category.")


class ReasonRequired(InvalidInput):
    """Moving a case out of the sealed channel makes it readable by every operator."""

    code = "reason_required"

    def __init__(self) -> None:
        super().__init__("Moving a case out of the sealed channel needs a written reason.")


class Conflict(DomainError):
    code = "conflict"


class ReceiptTaken(Conflict):
    """The receipt code drawn for a draft already belongs to a case: the draft's own,
    stored by a Send whose end was lost (the process stopped between the case's commit
    and the draft's)."""

    code = "receipt_taken"


class IllegalTransition(Conflict):
    code = "illegal_transition"

    def __init__(self, current: str, target: str, allowed: Iterable[str]) -> None:
        allowed_list = sorted(allowed)
        allowed_text = ", ".join(allowed_list) if allowed_list else "none"
        super().__init__(
            f"A case cannot go from {current} to {target}; from {current} it can go to: "
            f"{allowed_text}."
        )
        self.current = current
        self.target = target
        self.allowed = allowed_list


class StaleVersion(DomainError):
    code = "stale_version"

    def __init__(self, expected: int, actual: int | None = None) -> None:
        current = f" it is now at version {actual}" if actual is not None else " it has changed"
        super().__init__(
            f"The case changed since version {expected};{current}. Reload it and try again."
        )
        self.expected = expected
        self.actual = actual


class OutcomeRequired(InvalidInput):
    code = "outcome_required"

    def __init__(self) -> None:
        super().__init__(
            "Closing a sealed case needs its outcome: one of "
            "resolved, partly_resolved, not_substantiated, referred, no_response, "
            "out_of_scope."
        )


class OutcomeOnlyWhenClosed(InvalidInput):
    code = "outcome_only_when_closed"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)


class ChildReferralMissing(Conflict):
    code = "child_referral_missing"

    def __init__(self) -> None:
        super().__init__(
            "A child is involved: record a referral to a child-protection service first, "
            "or a focal point writes why there is none."
        )


class UnknownPartner(InvalidInput):
    code = "unknown_partner"

    def __init__(self) -> None:
        super().__init__("No such partner in the list, or it is retired.")


class DuplicatePartner(Conflict):
    code = "duplicate_partner"

    def __init__(self) -> None:
        super().__init__("A partner of that name is already in the list.")


class PartnerNotFound(NotFound):
    code = "partner_not_found"

    def __init__(self) -> None:
        super().__init__("No such partner.")


class NotADuplicate(Conflict):
    """A case that cannot be marked a duplicate of that one."""

    code = "not_a_duplicate"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)


class DuplicateUsername(Conflict):
    code = "duplicate_username"

    def __init__(self, username: str) -> None:
        super().__init__(f"A staff account named {username!r} already exists.")


class DuplicateTemplate(Conflict):
    """A template of that name in that language exists already: edit it instead."""

    code = "duplicate_template"

    def __init__(self) -> None:
        super().__init__("A reply template with this name exists in this language.")


class AssigneeCannotSeeCase(Conflict):
    code = "assignee_cannot_see_case"

    def __init__(self) -> None:
        super().__init__(
            "This person cannot be assigned: their role cannot see this case, "
            "or their account is disabled."
        )


class CaseClosedForAdditions(Conflict):
    code = "case_closed"

    def __init__(self) -> None:
        super().__init__("This case is closed and its content was removed; nothing can be added.")


class AlreadyRated(Conflict):
    code = "already_rated"

    def __init__(self) -> None:
        super().__init__("The handling of this case has already been rated.")


class ClaimAlreadyUsed(Conflict):
    """A one-time claim code that was exchanged already: never a second receipt code."""

    code = "claim_already_used"

    def __init__(self) -> None:
        super().__init__("This claim code was used already.")


class LastFocalPoint(Conflict):
    """Nobody is left alone with an allegation, and nobody may leave one with nobody."""

    code = "last_focal_point"

    def __init__(self) -> None:
        super().__init__(
            "No other active focal point could see this case: it cannot be left with nobody."
        )


class NotAFocalPoint(InvalidInput):
    code = "not_a_focal_point"

    def __init__(self) -> None:
        super().__init__("Only an active focal point can be excluded from a case.")


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many attempts; try again in {retry_after} seconds.")
        self.retry_after = retry_after


class QuotaReached(DomainError):
    """A person's daily quota (reports, or attachment bytes) is used up until ``resets_at``."""

    code = "quota_reached"

    def __init__(self, quota: str, resets_at: datetime) -> None:
        super().__init__(f"Daily quota reached: {quota}.")
        self.quota = quota
        self.resets_at = resets_at


class AuthenticationFailed(DomainError):
    code = "authentication_failed"

    def __init__(self) -> None:
        super().__init__("Wrong username or password, or the account is disabled.")


class PermissionDenied(DomainError):
    code = "forbidden"

    def __init__(self, message: str = "Your role does not allow this.") -> None:
        super().__init__(message)


class SecondFactorRequired(AuthenticationFailed):
    """The password was right; the account signs in with a two-factor code too."""

    code = "otp_required"

    def __init__(self) -> None:
        DomainError.__init__(
            self,
            "This account needs a two-factor code: send the current 6-digit code from the "
            "authenticator app in the 'otp' field.",
        )


class SecondFactorEnrolmentRequired(PermissionDenied):
    """The role requires two-factor sign-in and the account has not set it up."""

    code = "two_factor_enrolment_required"

    def __init__(self) -> None:
        super().__init__(
            "This role requires two-factor sign-in, which this account has not set up yet. "
            "Sign in to the staff console once to set it up, or ask an administrator to run "
            "'holos user reset-2fa'."
        )


class FocalPointFromCommandLineOnly(PermissionDenied):
    """Focal points see sensitive cases; only the operator of the server appoints them."""

    code = "focal_point_command_line_only"

    def __init__(self) -> None:
        super().__init__(
            "Focal points are appointed only from the command line on the server "
            "('holos user create --role focal_point' or 'holos user set-role')."
        )


class AdminFromCommandLineOnly(PermissionDenied):
    """Administrators manage every account; only the operator of the server makes one."""

    code = "admin_command_line_only"

    def __init__(self) -> None:
        super().__init__(
            "Administrators are appointed only from the command line on the server "
            "('holos user create --role admin' or 'holos user set-role')."
        )


class PasswordFromCommandLineOnly(PermissionDenied):
    """Whoever sets the password of a focal point or an admin could sign in as them (and,
    before their two-factor sign-in is set up, enrol their own authenticator)."""

    code = "password_command_line_only"

    def __init__(self) -> None:
        super().__init__(
            "The password of a focal point or an administrator is set only from the "
            "command line on the server ('holos user set-password NAME'), or by its owner."
        )


class TwoFactorResetFromCommandLineOnly(PermissionDenied):
    """A reset lets the next sign-in enrol a new authenticator with the password alone."""

    code = "two_factor_reset_command_line_only"

    def __init__(self) -> None:
        super().__init__(
            "Two-factor sign-in of a focal point or an administrator is reset only from the "
            "command line on the server ('holos user reset-2fa NAME'), or with a recovery code."
        )


class WrongSecondFactor(InvalidInput):
    """A code that is wrong, stale or already used (a recovery code: unknown or spent)."""

    code = "wrong_code"

    def __init__(self) -> None:
        super().__init__("The code is wrong or has already been used.")
