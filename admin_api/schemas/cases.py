"""Cases as staff see them: a worklist row, a case summary, the full case, and changes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from admin_api.schemas.common import MAX_ID, RequestModel, Storable
from storage.enums import ContactMode, Language, Priority, ReplyDelivery, Status
from storage.lifecycle import SlaClock, allowed_transitions
from storage.models import Case
from storage.services.cases import (
    MAX_NOTE_CHARS,
    MAX_REPLY_CHARS,
    MAX_TAGS,
    AdditionView,
    AttachmentView,
    CaseDetail,
    NoteView,
    ReplyView,
)
from storage.sla import CaseSla, case_sla

# Staff references look like HL-2026-000123; anything else cannot be one.
REF_PATTERN = r"^[A-Z]{2}-[0-9]{4}-[0-9]{6,9}$"
# What a stored tag looks like (storage lower-cases tags before checking them).
TAG_PATTERN = r"^[\w:-]{1,40}$"

TagIn = Annotated[str, StringConstraints(min_length=1, max_length=40), Storable]


# Output --------------------------------------------------------------------------------


class SlaClockOut(BaseModel):
    due_at: datetime
    met_at: datetime | None
    state: str = Field(description="met, met_late, pending or overdue")

    @classmethod
    def of(cls, clock: SlaClock) -> SlaClockOut:
        return cls(due_at=clock.due_at, met_at=clock.met_at, state=clock.state)


class SlaOut(BaseModel):
    acknowledge: SlaClockOut
    resolve: SlaClockOut
    next_due_at: datetime
    overdue: bool

    @classmethod
    def of(cls, sla: CaseSla) -> SlaOut:
        return cls(
            acknowledge=SlaClockOut.of(sla.acknowledge),
            resolve=SlaClockOut.of(sla.resolve),
            next_due_at=sla.next_due_at,
            overdue=sla.overdue,
        )


class CaseItem(BaseModel):
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

    @classmethod
    def fields_of(cls, case: Case, now: datetime) -> dict[str, object]:
        return {
            "ref": case.ref,
            "category": case.category,
            "sensitive": case.sensitive,
            "priority": case.priority,
            "status": case.status,
            "oblast": case.oblast,
            "programme": case.programme,
            "language": case.language,
            "created_at": case.created_at,
            "updated_at": case.updated_at,
            "acknowledge_due_at": case.acknowledge_due_at,
            "resolve_due_at": case.resolve_due_at,
            "overdue": case_sla(case, now).overdue,
            "assignee_id": case.assignee_id,
            "tags": sorted(t.tag for t in case.tags),
            "version": case.version,
        }

    @classmethod
    def of(cls, case: Case, now: datetime) -> Self:
        return cls.model_validate(cls.fields_of(case, now))


class CasePage(BaseModel):
    items: list[CaseItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")
    total: int = Field(description="Cases matching the filters that you may see.")


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

    @classmethod
    def fields_of(cls, case: Case, now: datetime) -> dict[str, object]:
        return {
            **CaseItem.fields_of(case, now),
            "channel": case.channel,
            "contact_mode": case.contact_mode,
            "public_updated_at": case.public_updated_at,
            "acknowledged_at": case.acknowledged_at,
            "referred_at": case.referred_at,
            "resolved_at": case.resolved_at,
            "closed_at": case.closed_at,
            "content_purged_at": case.content_purged_at,
            "sla": SlaOut.of(case_sla(case, now)),
            "allowed_statuses": sorted(s.value for s in allowed_transitions(Status(case.status))),
        }


class AdditionOut(BaseModel):
    id: int
    created_at: datetime
    text: str | None

    @classmethod
    def of(cls, view: AdditionView) -> AdditionOut:
        return cls(id=view.id, created_at=view.created_at, text=view.text)


class AttachmentOut(BaseModel):
    id: int
    kind: str
    mime_type: str
    size_bytes: int
    filename: str | None
    addition_id: int | None
    created_at: datetime

    @classmethod
    def of(cls, view: AttachmentView) -> AttachmentOut:
        return cls(
            id=view.id,
            kind=view.kind,
            mime_type=view.mime_type,
            size_bytes=view.size_bytes,
            filename=view.filename,
            addition_id=view.addition_id,
            created_at=view.created_at,
        )


class NoteOut(BaseModel):
    id: int
    author_id: int | None
    created_at: datetime
    text: str | None

    @classmethod
    def of(cls, view: NoteView) -> NoteOut:
        return cls(id=view.id, author_id=view.author_id, created_at=view.created_at, text=view.text)


class ReplyOut(BaseModel):
    id: int
    author_id: int | None
    created_at: datetime
    texts: dict[Language, str]
    delivery: ReplyDelivery

    @classmethod
    def of(cls, view: ReplyView) -> ReplyOut:
        return cls(
            id=view.id,
            author_id=view.author_id,
            created_at=view.created_at,
            texts={Language(k): v for k, v in view.bodies.items()},
            delivery=ReplyDelivery(view.delivery),
        )


class CaseDetailOut(CaseSummary):
    """The whole case: what the reporter wrote, and what staff did."""

    narrative: str | None
    contact: str | None = Field(description="A phone or e-mail the reporter chose to leave.")
    reply_in_chat: bool = Field(description="Replies are also delivered to the reporter's chat.")
    additions: list[AdditionOut]
    attachments: list[AttachmentOut]
    notes: list[NoteOut]
    replies: list[ReplyOut]

    @classmethod
    def from_detail(cls, detail: CaseDetail, now: datetime) -> CaseDetailOut:
        fields = CaseSummary.fields_of(detail.case, now)
        sla = case_sla(detail.case, now)
        # The service computed these at read time; show exactly what it decided.
        fields["sla"] = SlaOut(
            acknowledge=SlaClockOut.of(detail.acknowledge_sla),
            resolve=SlaClockOut.of(detail.resolve_sla),
            next_due_at=sla.next_due_at,
            overdue=sla.overdue,
        )
        fields["allowed_statuses"] = detail.allowed_statuses
        return cls.model_validate(
            {
                **fields,
                "narrative": detail.narrative,
                "contact": detail.contact,
                "reply_in_chat": detail.reply_in_chat,
                "additions": [AdditionOut.of(a) for a in detail.additions],
                "attachments": [AttachmentOut.of(a) for a in detail.attachments],
                "notes": [NoteOut.of(n) for n in detail.notes],
                "replies": [ReplyOut.of(r) for r in detail.replies],
            }
        )


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
