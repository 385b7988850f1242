"""The closed vocabularies of the domain."""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    UK = "uk"
    RU = "ru"
    EN = "en"


class Status(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    REFERRED = "referred"
    # Waiting for the reporter: the SLA clock stands still (storage.sla), and a case left
    # waiting too long is closed with Outcome.NO_RESPONSE (storage.services.outcomes).
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Outcome(StrEnum):
    """What became of a case, recorded when it is closed (a fixed list, for M&E)."""

    RESOLVED = "resolved"
    PARTLY_RESOLVED = "partly_resolved"
    NOT_SUBSTANTIATED = "not_substantiated"
    REFERRED = "referred"
    NO_RESPONSE = "no_response"
    DUPLICATE = "duplicate"
    OUT_OF_SCOPE = "out_of_scope"


class Consent(StrEnum):
    """Whether the person agreed to be referred to a partner."""

    GIVEN = "given"
    REFUSED = "refused"
    NOT_ASKED = "not_asked"  # could not be asked


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Role(StrEnum):
    OPERATOR = "operator"
    FOCAL_POINT = "focal_point"
    ANALYST = "analyst"
    ADMIN = "admin"


class Channel(StrEnum):
    """Where a report came in. Telegram and the web form are the reporter's own; the
    others are logged by staff on the console's "New case" page (STAFF_CHANNELS)."""

    TELEGRAM = "telegram"
    HOTLINE = "hotline"
    IN_PERSON = "in_person"
    LETTER = "letter"  # a letter or a note from a feedback box
    EMAIL = "email"
    PARTNER = "partner"  # referred by a partner organisation
    OTHER = "other"
    WEB = "web"


# What staff may pick on "New case": the channels people reach staff through.
STAFF_CHANNELS: tuple[Channel, ...] = (
    Channel.HOTLINE,
    Channel.IN_PERSON,
    Channel.LETTER,
    Channel.EMAIL,
    Channel.PARTNER,
    Channel.OTHER,
)


class FollowUpMode(StrEnum):
    """How a person whose report staff logged wants to hear back."""

    # A code read out or written down for them: a receipt code, or in a sealed
    # category a one-time claim code they exchange for a receipt code of their own.
    CODE = "code"
    CONTACT = "contact"  # a phone or e-mail, stored sealed
    NONE = "none"


class ContactMode(StrEnum):
    """How a reporter may be reached (docs/privacy-rules.md): anonymous is the default."""

    ANONYMOUS = "anonymous"
    CHAT = "chat"
    TYPED = "typed"


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"
    VOICE = "voice"


class OutboxKind(StrEnum):
    REPLY = "reply"
    HANDLING_SURVEY = "handling_survey"
    # "There is an update on your report": no content, read in full by receipt code.
    NOTICE = "notice"


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    UNDELIVERABLE = "undeliverable"


class AlertChannel(StrEnum):
    """Where a staff alert goes."""

    EMAIL = "email"
    TELEGRAM = "telegram"


class AlertEvent(StrEnum):
    """What a staff alert is about. None of them carries what a report says."""

    SEALED_CASE = "sealed_case"  # a new (or reclassified) case in the sealed channel
    OVERDUE = "overdue"  # past its acknowledgement due time
    REPORTER_ADDED = "reporter_added"  # the reporter added information
    DELIVERY_FAILED = "delivery_failed"  # a reply could not reach the reporter's chat
    DIGEST = "digest"  # once a day: how many cases are due today
    ESCALATION = "escalation"  # a sealed case nobody acknowledged in time (outside address)


# What a staff member may choose on their account page (escalation goes to an address
# of the organisation, not to a person's choice).
STAFF_ALERT_EVENTS: tuple[AlertEvent, ...] = (
    AlertEvent.SEALED_CASE,
    AlertEvent.OVERDUE,
    AlertEvent.REPORTER_ADDED,
    AlertEvent.DELIVERY_FAILED,
    AlertEvent.DIGEST,
)


class ReplyDelivery(StrEnum):
    """What became of a public reply, as staff see it."""

    NOT_APPLICABLE = "not_applicable"  # anonymous reporter: seen only through the receipt code
    PENDING = "pending"
    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"


class RatingKind(StrEnum):
    ASSISTANCE = "assistance"
    HANDLING = "handling"


class ActorKind(StrEnum):
    STAFF = "staff"
    REPORTER = "reporter"
    SYSTEM = "system"


class WhatWentWrong(StrEnum):
    """Reasons offered for a score of 1–2."""

    WAITING_TIME = "waiting_time"
    RESPECT = "respect"
    INFORMATION = "information"
    QUALITY = "quality"
    QUANTITY = "quantity"
    OTHER = "other"


class AuditAction(StrEnum):
    """What an audit event records; the value is what the trail stores."""

    ATTACHMENT_READ = "attachment.read"
    # A file stored before issue 18, made anew by `holos files rebuild`.
    ATTACHMENT_REBUILT = "attachment.rebuilt"
    AUTH_SIGNED_IN = "auth.signed_in"
    AUTH_SIGNED_OUT = "auth.signed_out"
    CASE_CREATED = "case.created"
    # A one-time claim code exchanged for the person's own receipt code.
    CASE_CLAIMED = "case.claimed"
    CASE_HANDLING_RATED = "case.handling_rated"
    CASE_READ = "case.read"
    # Moved to another category, into, within or out of the sealed channel.
    CASE_RECLASSIFIED = "case.reclassified"
    # A focal point stepped back from a case, or was excluded from it by another.
    CASE_RECUSED = "case.recused"
    CASE_EXCLUDED = "case.excluded"
    CASES_SEARCHED_SENSITIVE = "cases.searched_sensitive"
    CASE_REPORTER_ADDED = "case.reporter_added"
    CASE_UPDATED = "case.updated"
    CASE_REFERRED = "case.referred"
    CASE_MARKED_DUPLICATE = "case.marked_duplicate"
    CASE_CHILD_REFERRAL_WAIVED = "case.child_referral_waived"
    # A reporter's addition to a duplicate, filed on the case kept.
    CASE_ADDITION_REDIRECTED = "case.addition_redirected"
    CASE_PUBLIC_SUMMARY_WRITTEN = "case.public_summary_written"
    CASE_PUBLIC_SUMMARY_APPROVED = "case.public_summary_approved"
    CASE_PUBLIC_SUMMARY_WITHDRAWN = "case.public_summary_withdrawn"
    EXPORT_CREATED = "export.created"
    FEEDBACK_POINT_CREATED = "feedback_point.created"
    FEEDBACK_POINT_UPDATED = "feedback_point.updated"
    FEEDBACK_POINT_SURVEY_SET = "feedback_point.survey_set"
    NOTE_ADDED = "note.added"
    PARTNER_CREATED = "partner.created"
    PARTNER_UPDATED = "partner.updated"
    RATING_CREATED = "rating.created"
    SURVEY_RESPONSE_CREATED = "survey_response.created"
    REPLY_ADDED = "reply.added"
    REPLY_DELIVERED = "reply.delivered"
    REPLY_TEMPLATE_CREATED = "reply_template.created"
    REPLY_TEMPLATE_DELETED = "reply_template.deleted"
    REPLY_TEMPLATE_UPDATED = "reply_template.updated"
    REPLY_UNDELIVERABLE = "reply.undeliverable"
    RETENTION_CHAT_LINK_DELETED = "retention.chat_link_deleted"
    RETENTION_CONTENT_DELETED = "retention.content_deleted"
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_TOTP_ENROLLED = "user.totp_enrolled"
    USER_TOTP_RESET = "user.totp_reset"
    USER_RECOVERY_CODE_USED = "user.recovery_code_used"
    USER_ALERTS_UPDATED = "user.alerts_updated"
    USER_ALERT_ADDRESS_BOUNCED = "user.alert_address_bounced"
    USER_TELEGRAM_LINKED = "user.telegram_linked"
    USER_TELEGRAM_UNLINKED = "user.telegram_unlinked"


class ActivityKind(StrEnum):
    """What makes a case "new" again in a staff member's worklist (storage.models.CaseActivity)."""

    REPORTER_ADDED = "reporter_added"
    REPORTER_REPLIED = "reporter_replied"  # a reporter's answer to a reply, joined to the case
    DELIVERY_FAILED = "delivery_failed"  # a reply could not reach the reporter's chat
    ASSIGNED = "assigned"  # assigned to this staff member by someone else


class PointUnavailableReason(StrEnum):
    """Why a feedback point's link does not open its flow (the bot and the web page say
    so, then offer the usual menu)."""

    UNKNOWN = "unknown"  # no point has this code
    NOT_YET = "not_yet"  # it opens later
    EXPIRED = "expired"  # it has closed


class SurveyAnswerProblem(StrEnum):
    """What is wrong with an answer to a feedback point's survey."""

    UNKNOWN_QUESTION = "unknown_question"  # no such question, or a note
    REQUIRED = "required"  # a required question asked and not answered
    NOT_A_CHOICE = "not_a_choice"  # not one of the question's choices
    NOT_YES_NO = "not_yes_no"
    OUT_OF_RANGE = "out_of_range"  # a scale answer outside its bounds, or not a number
    NO_SURVEY = "no_survey"  # the point has no survey


class Sort(StrEnum):
    """Worklist orders (``sort``); a leading ``-`` means newest first."""

    CREATED = "created"
    CREATED_DESC = "-created"
    UPDATED = "updated"
    UPDATED_DESC = "-updated"
    DUE = "due"
    PRIORITY = "priority"


OPEN_STATUSES: frozenset[Status] = frozenset(
    {Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REFERRED, Status.WAITING}
)
# Open and on the clock: a case waiting for the reporter is open but never overdue.
CLOCK_RUNNING: frozenset[Status] = OPEN_STATUSES - {Status.WAITING}
