"""Cases as staff see them: a worklist row, a case summary, the full case, and changes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
    model_validator,
)

from admin_api.schemas.common import MAX_ID, RequestModel, Storable, ViewModel
from storage.enums import Consent, ContactMode, Language, Outcome, Priority, ReplyDelivery, Status
from storage.models import CaseTag
from storage.refs import REF_PATTERN as STORAGE_REF_PATTERN
from storage.services.outcomes import MAX_REFERRAL_NOTE
from storage.services.reclassify import MAX_REASON_CHARS
from storage.services.triage import MAX_NOTE_CHARS, MAX_REPLY_CHARS, MAX_TAGS

# Staff references: random ones (HL-7K2M-9QXD-R) and the sequential ones of older cases
# (HL-2026-000123), typed in any case, with or without hyphens (storage.refs reads them).
REF_PATTERN = STORAGE_REF_PATTERN
REF_EXAMPLE = "HL-7K2M-9QXD-R"
# What a stored tag looks like (storage lower-cases tags before checking them).
TAG_PATTERN = r"^[\w:-]{1,40}$"

TagIn = Annotated[str, StringConstraints(min_length=1, max_length=40), Storable]


# Output --------------------------------------------------------------------------------


class SlaClockOut(ViewModel):
    due_at: datetime
    met_at: datetime | None
    state: str = Field(description="met, met_late, pending or overdue")


class SlaOut(ViewModel):
    acknowledge: SlaClockOut
    resolve: SlaClockOut
    next_due_at: datetime
    overdue: bool


class CaseItem(ViewModel):
    """One worklist row: everything needed to triage, and no narrative."""

    ref: str
    category: str
    sensitive: bool
    priority: Priority
    status: Status
    oblast: str
    programme: str | None
    language: Language
    created_at: datetime
    updated_at: datetime
    acknowledge_due_at: datetime
    resolve_due_at: datetime
    overdue: bool
    assignee_id: int | None
    tags: list[str]
    version: int

    @field_validator("tags", mode="before")
    @classmethod
    def _tag_names(cls, tags: list[CaseTag | str]) -> list[str]:
        return sorted(t.tag if isinstance(t, CaseTag) else t for t in tags)


class WorklistItem(CaseItem):
    """A worklist row with what is new on it for you."""

    new_activity: list[str] = Field(
        default_factory=list,
        description="What happened since you last opened the case (GET /cases/{ref}), within "
        "30 days: reporter_added, reporter_replied, delivery_failed, assigned (to you).",
    )


class CasePage(BaseModel):
    items: list[WorklistItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")
    total: int = Field(
        description="Cases matching the filters that you may see, counted up to 10000 "
        "(then `total_capped` is true: show it as 10 000+). Counted on the first page; "
        "later pages repeat that count."
    )
    total_capped: bool = Field(default=False, description="More cases match than `total` says.")
    match: Literal["reference", "text"] | None = Field(
        default=None,
        description="How `q` was read: `reference` (a case reference in any accepted "
        "spelling: the page holds that case, whatever the other filters, or nothing when "
        "there is no such case you may see) or `text` (words); null without `q`.",
    )


class CaseSummary(CaseItem):
    """A case without its content: what a change answers with."""

    channel: str
    contact_mode: ContactMode
    public_updated_at: datetime
    acknowledged_at: datetime | None
    referred_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    content_purged_at: datetime | None
    sla: SlaOut
    allowed_statuses: list[Status]
    outcome: Outcome | None = Field(description="What became of the case, set when it closed.")
    referral_target_id: int | None = Field(
        description="The partner (`GET /api/v1/partners`) it was last referred to."
    )
    child_involved: bool
    reply_full_text: bool = Field(
        description="A sealed case's replies go to the reporter's chat word for word; "
        "when false (the default) the chat gets a neutral notice and the reporter reads "
        "the reply with their code. Standard cases always get the full text."
    )
    child_waiver_note: str | None = Field(
        description="The note in which a focal point wrote why a case involving a child has "
        "no referral to child protection."
    )
    waiting_since: datetime | None = Field(
        description="Waiting for the reporter since then; the SLA clock stands still."
    )


class AdditionOut(ViewModel):
    id: str
    created_at: datetime
    text: str | None


class AttachmentOut(ViewModel):
    id: str
    kind: str
    mime_type: str
    size_bytes: int
    filename: str = Field(
        validation_alias="name",
        description="The name the download is saved under, made from the detected type and "
        "the file's place in the case (`document-3.pdf`). The reporter's own file name is "
        "never kept: it can name them.",
    )
    addition_id: str | None
    created_at: datetime


class NoteOut(ViewModel):
    id: str
    author_id: int | None
    created_at: datetime
    text: str | None


class ReplyOut(ViewModel):
    id: str
    author_id: int | None
    created_at: datetime
    texts: dict[Language, str]
    delivery: ReplyDelivery


class ReferralOut(ViewModel):
    id: str
    partner_id: int
    partner_name: str
    child_protection: bool
    consent: Consent = Field(description="given, refused or not_asked (could not be asked)")
    note: str | None
    author_id: int | None
    created_at: datetime


class CaseDetailOut(CaseSummary):
    """The whole case: what the reporter wrote, and what staff did."""

    referrals: list[ReferralOut]
    referral_target: str | None = Field(description="The name of `referral_target_id`.")
    duplicate_of: str | None = Field(description="The reference of the case kept.")
    duplicates: list[str] = Field(description="The references of this case's duplicates.")

    narrative: str | None
    contact: str | None = Field(description="A phone or e-mail the reporter chose to leave.")
    reply_in_chat: bool = Field(description="Replies are also delivered to the reporter's chat.")
    additions: list[AdditionOut]
    attachments: list[AttachmentOut]
    notes: list[NoteOut]
    replies: list[ReplyOut]


# Input ---------------------------------------------------------------------------------


class CasePatch(RequestModel):
    """Fields left out stay as they are; ``"assignee_id": null`` unassigns."""

    status: Status | None = None
    priority: Priority | None = None
    assignee_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    tags: list[TagIn] | None = Field(
        default=None, max_length=MAX_TAGS, description="The complete new set of tags."
    )
    outcome: Outcome | None = Field(
        default=None,
        description="With `status: closed` (required for a sealed case), or to correct a "
        "closed case's outcome. `duplicate` only through `POST …/duplicate-of`.",
    )
    child_involved: bool | None = Field(
        default=None,
        description="A child is involved: the case then closes only after a referral to a "
        "child-protection partner, or a focal point's reason "
        "(`POST …/child-protection-waiver`).",
    )
    # Strict: "yes" or 1 is a mistake to refuse, not a consent to guess.
    reply_full_text: StrictBool | None = Field(
        default=None,
        description="For a sealed case: send replies to the reporter's chat word for word "
        "(only when the reporter asked for it); false keeps the neutral notice.",
    )


class ReferralIn(RequestModel):
    partner_id: int = Field(ge=1, le=MAX_ID, description="From `GET /api/v1/partners`.")
    consent: Consent = Field(description="given, refused or not_asked (could not be asked)")
    note: Annotated[str, StringConstraints(max_length=MAX_REFERRAL_NOTE), Storable] | None = None


class DuplicateIn(RequestModel):
    of: Annotated[str, StringConstraints(pattern=REF_PATTERN)] = Field(
        description="The reference of the case kept."
    )


class WaiverIn(RequestModel):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=MAX_NOTE_CHARS), Storable]


class NoteIn(RequestModel):
    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_NOTE_CHARS), Storable]


ReplyText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_REPLY_CHARS), Storable]


class ReplyTexts(RequestModel):
    """The reply in one or more of the reporter-facing languages."""

    uk: ReplyText | None = None
    ru: ReplyText | None = None
    en: ReplyText | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> ReplyTexts:
        if not self.as_dict():
            raise ValueError("write the reply in at least one of uk, ru, en")
        return self

    def as_dict(self) -> dict[Language, str]:
        texts = {"uk": self.uk, "ru": self.ru, "en": self.en}
        return {Language(lang): text for lang, text in texts.items() if text is not None}


class ReplyIn(RequestModel):
    texts: ReplyTexts


CategoryCode = Annotated[str, StringConstraints(min_length=1, max_length=40), Storable]


class ReclassifyIn(RequestModel):
    """Move the case to another category. An operator may only choose a sensitive one
    (the sealed channel); a focal point may choose any, and needs ``reason`` to move a
    case out of the sealed channel."""

    category: CategoryCode = Field(description="The new category's code, e.g. sexual_exploitation.")
    note: Annotated[str, StringConstraints(max_length=MAX_NOTE_CHARS), Storable] | None = Field(
        default=None, description="An internal note kept with the case (sealed with it)."
    )
    reason: Annotated[str, StringConstraints(max_length=MAX_REASON_CHARS), Storable] | None = Field(
        default=None,
        description="Why a case leaves the sealed channel; required then, kept in the trail.",
    )


class ReclassifyOut(BaseModel):
    ref: str
    category: str
    sensitive: bool
    version: int | None = Field(
        description="The case's new version, or null when you no longer see the case."
    )
    still_visible: bool = Field(
        description="False when the case moved where your role does not see it (an operator "
        "who sealed it): from now on it answers 404 to you."
    )


class ExclusionIn(RequestModel):
    user_id: int = Field(
        ge=1,
        le=MAX_ID,
        description="The focal point to keep away from the case: your own id to step back.",
    )


class ExclusionOut(BaseModel):
    user_id: int
    kind: str = Field(description="recused (you stepped back) or excluded (by you)")
