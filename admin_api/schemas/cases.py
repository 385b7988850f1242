"""Cases as staff see them: a worklist row, a case summary, the full case, and changes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from admin_api.schemas.common import MAX_ID, RequestModel, Storable, ViewModel
from storage.enums import ContactMode, Language, Priority, ReplyDelivery, Status
from storage.models import CaseTag
from storage.refs import REF_PATTERN as STORAGE_REF_PATTERN
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


class CasePage(BaseModel):
    items: list[CaseItem]
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


class CaseDetailOut(CaseSummary):
    """The whole case: what the reporter wrote, and what staff did."""

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
