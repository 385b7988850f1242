"""The case: intake, the reporter's follow-up, and the staff lifecycle (SPEC §2–§5)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from storage.access import Actor, role_may_see
from storage.contacts import normalize_contact
from storage.core import Core
from storage.crypto import (
    format_receipt_code,
    generate_receipt_code,
    normalize_receipt_code,
)
from storage.enums import (
    OPEN_STATUSES,
    Channel,
    ContactMode,
    Language,
    OutboxKind,
    Priority,
    ReplyDelivery,
    Status,
)
from storage.errors import (
    AssigneeCannotSeeCase,
    AttachmentNotFound,
    CaseClosedForAdditions,
    CaseNotFound,
    EmptyNarrative,
    EmptyText,
    InvalidInput,
    InvalidTag,
    NarrativeTooLong,
    PermissionDenied,
    StaleVersion,
    TextTooLong,
    TooManyAttachments,
)
from storage.lifecycle import SlaClock, allowed_transitions, check_transition
from storage.models import (
    Attachment,
    AuditEvent,
    Case,
    CaseAddition,
    CaseTag,
    ContactDetail,
    Note,
    Reply,
    ReporterLink,
)
from storage.repositories.audit import AuditRepository
from storage.repositories.cases import CaseRepository
from storage.repositories.staff import StaffRepository
from storage.sealed import Context, Sealer, reply_text
from storage.services.attachments import AttachmentService, StagedAttachment
from storage.services.audit import AuditLog
from storage.services.outbox import OutboxService
from storage.services.throttle import Throttle
from storage.text import clean

MAX_NOTE_CHARS = 10_000
# A reply is delivered inside a Telegram message (4096 characters) with a short frame.
MAX_REPLY_CHARS = 3500
MAX_ADDITION_CHARS = 4000
MAX_TAGS = 20
_TAG = re.compile(r"^[\w\-:]{1,40}$")
RECEIPT_WINDOW_HOURS = 1


def check_narrative(text: str, *, limit: int, has_files: bool) -> str:
    """The description, stripped; refuse it when empty (and no files) or over the limit."""
    stripped = clean(text).strip()
    if not stripped and not has_files:
        raise EmptyNarrative()
    if len(stripped) > limit:
        raise NarrativeTooLong(len(stripped), limit)
    return stripped


def _check_text(text: str, *, what: str, limit: int) -> str:
    stripped = clean(text).strip()
    if not stripped:
        raise EmptyText(what)
    if len(stripped) > limit:
        raise TextTooLong(what, len(stripped), limit)
    return stripped


# Inputs and views ---------------------------------------------------------------------


@dataclass(frozen=True)
class ContactChoice:
    mode: ContactMode = ContactMode.ANONYMOUS
    chat_id: int | None = None  # ContactMode.CHAT: where replies go; stored encrypted
    typed: str | None = None  # ContactMode.TYPED: a phone or e-mail; stored encrypted


@dataclass(frozen=True)
class ReportSubmission:
    category: str
    language: Language
    oblast: str
    narrative: str
    programme: str | None = None
    attachments: Sequence[StagedAttachment] = ()
    contact: ContactChoice = field(default_factory=ContactChoice)
    channel: Channel = Channel.TELEGRAM


@dataclass(frozen=True)
class SubmittedCase:
    ref: str
    receipt_code: str  # shown to the reporter once; never stored
    sensitive: bool

    @property
    def receipt_code_display(self) -> str:
        return format_receipt_code(self.receipt_code)


@dataclass(frozen=True)
class ReporterReply:
    created_at: datetime
    text: str


@dataclass(frozen=True)
class ReporterView:
    """What a reporter sees through the receipt code: nothing staff-internal."""

    case_id: int
    category: str
    status: Status
    created_at: datetime
    last_update_at: datetime
    replies: list[ReporterReply]
    accepts_additions: bool
    handling_rated: bool


@dataclass(frozen=True)
class CaseChanges:
    """A staff PATCH. ``assignee_id`` is only applied when ``set_assignee`` is true."""

    status: Status | None = None
    priority: Priority | None = None
    set_assignee: bool = False
    assignee_id: int | None = None
    tags: Sequence[str] | None = None


@dataclass(frozen=True)
class AdditionView:
    id: int
    created_at: datetime
    text: str | None


@dataclass(frozen=True)
class AttachmentView:
    id: int
    kind: str
    mime_type: str
    size_bytes: int
    filename: str | None
    addition_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class NoteView:
    id: int
    author_id: int | None
    created_at: datetime
    text: str | None


@dataclass(frozen=True)
class ReplyView:
    id: int
    author_id: int | None
    created_at: datetime
    bodies: dict[str, str]
    delivery: str


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    narrative: str | None
    contact: str | None
    reply_in_chat: bool
    additions: list[AdditionView]
    attachments: list[AttachmentView]
    notes: list[NoteView]
    replies: list[ReplyView]
    acknowledge_sla: SlaClock
    resolve_sla: SlaClock
    allowed_statuses: list[str]


# The service -------------------------------------------------------------------------


class CaseService:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.session = session
        self.core = core
        self.cases = CaseRepository(session)
        self.staff = StaffRepository(session)
        self.audit = AuditLog(session, core.clock)
        self.attachments = AttachmentService(core)
        self.throttle = Throttle(session, core.clock)
        self.sealer = Sealer(core.crypto)

    # Intake -------------------------------------------------------------------------

    async def submit(self, report: ReportSubmission) -> SubmittedCase:
        """Store a finished draft as a case; return its staff reference and receipt code."""
        settings = self.core.settings
        category = self.core.catalog.category(report.category)
        oblast = self.core.catalog.oblast(report.oblast).code
        programme = self.core.catalog.programme(report.programme).code if report.programme else None
        language = Language(report.language)
        narrative = check_narrative(
            report.narrative,
            limit=settings.narrative_max_chars,
            has_files=bool(report.attachments),
        )
        if len(report.attachments) > settings.attachments_max_count:
            raise TooManyAttachments(settings.attachments_max_count)
        contact = report.contact
        typed_contact = (
            normalize_contact(contact.typed or "") if contact.mode is ContactMode.TYPED else None
        )
        if contact.mode is ContactMode.CHAT and contact.chat_id is None:
            raise InvalidInput("Replying in the chat needs the chat to reply to.")

        now = self.core.clock.now()
        code, receipt_hash = await self._new_receipt_code()
        number = await self.cases.next_ref_number(now.year)
        narrative_plain, narrative_sealed = self.sealer.split(
            narrative, Context.NARRATIVE, sensitive=category.sensitive
        )
        case = Case(
            ref=f"HL-{now.year}-{number:06d}",
            receipt_hash=receipt_hash,
            category=category.code,
            sensitive=category.sensitive,
            priority=category.priority.value,
            status=Status.NEW.value,
            oblast=oblast,
            programme=programme,
            language=language.value,
            channel=report.channel.value,
            contact_mode=contact.mode.value,
            narrative=narrative_plain,
            narrative_enc=narrative_sealed,
            created_at=now,
            updated_at=now,
            public_updated_at=now,
            acknowledge_due_at=now + category.acknowledge_within,
            resolve_due_at=now + category.resolve_within,
        )
        self.cases.add(case)
        await self.cases.flush()
        for staged in report.attachments:
            self.cases.add(self.attachments.to_row(staged, case_id=case.id, addition_id=None))
        if contact.mode is ContactMode.CHAT and contact.chat_id is not None:
            self.cases.add(
                ReporterLink(
                    case_id=case.id,
                    chat_enc=self.sealer.seal(str(contact.chat_id), Context.CHAT),
                    created_at=now,
                )
            )
        if typed_contact:
            self.cases.add(
                ContactDetail(
                    case_id=case.id,
                    contact_enc=self.sealer.seal(typed_contact, Context.CONTACT),
                    created_at=now,
                )
            )
        self.audit.record(
            Actor.reporter(),
            "case.created",
            case=case,
            after={
                "category": case.category,
                "sensitive": case.sensitive,
                "priority": case.priority,
                "status": case.status,
                "oblast": case.oblast,
                "programme": case.programme,
                "language": case.language,
                "contact_mode": case.contact_mode,
                "attachments": len(report.attachments),
            },
        )
        await self.cases.flush()
        return SubmittedCase(ref=case.ref, receipt_code=code, sensitive=case.sensitive)

    async def _new_receipt_code(self) -> tuple[str, str]:
        # 53 bits make a collision very unlikely, but two reporters sharing a code would
        # see each other's case: check, and draw again (the unique index backs this up).
        for _ in range(5):
            code = generate_receipt_code()
            receipt_hash = self.core.crypto.receipt_hash(code)
            if not await self.cases.receipt_hash_exists(receipt_hash):
                return code, receipt_hash
        raise RuntimeError("could not draw an unused receipt code")

    # The reporter's follow-up -------------------------------------------------------

    async def lookup_receipt(self, raw_code: str, *, pseudonym: str) -> Case | None:
        """Find a case by receipt code, rate-limited per pseudonym and globally.

        Raises :class:`InvalidReceiptCode` for something that cannot be a code and
        :class:`RateLimited` after too many misses. A miss returns ``None`` and is
        counted; the caller's transaction must commit for the count to hold.
        """
        code = normalize_receipt_code(raw_code)
        settings = self.core.settings
        window = _hours(RECEIPT_WINDOW_HOURS)
        own_key = f"receipt:{pseudonym}"
        await self.throttle.check(own_key, limit=settings.receipt_failures_per_hour, window=window)
        await self.throttle.check(
            "receipt:global", limit=settings.receipt_global_failures_per_hour, window=window
        )
        candidates = self.core.crypto.receipt_hash_candidates(code)
        case = await self.cases.get_by_receipt_hashes(candidates)
        if case is None:
            await self.throttle.hit(own_key, window=window)
            await self.throttle.hit("receipt:global", window=window)
            return None
        if case.receipt_hash != candidates[0]:
            # Found under an earlier key: re-hash under the current one while we hold the code.
            case.receipt_hash = candidates[0]
        return case

    async def reporter_view(self, case: Case, *, language: Language) -> ReporterView:
        replies = []
        for reply in await self.cases.replies(case.id):
            text = reply_text(self.sealer.reply_bodies(reply), language, case.language)
            replies.append(ReporterReply(created_at=reply.created_at, text=text))
        return ReporterView(
            case_id=case.id,
            category=case.category,
            status=Status(case.status),
            created_at=case.created_at,
            last_update_at=case.public_updated_at,
            replies=replies,
            accepts_additions=case.content_purged_at is None,
            handling_rated=case.handling_score is not None,
        )

    async def add_reporter_info(
        self, case_id: int, *, text: str, attachments: Sequence[StagedAttachment] = ()
    ) -> CaseAddition:
        case = await self._get(case_id)
        if case.content_purged_at is not None:
            raise CaseClosedForAdditions()
        body = clean(text).strip()
        if not body and not attachments:
            raise EmptyText("addition")
        if len(body) > MAX_ADDITION_CHARS:
            raise TextTooLong("addition", len(body), MAX_ADDITION_CHARS)
        existing = len(await self.cases.attachments(case.id))
        if existing + len(attachments) > self.core.settings.attachments_max_count * 2:
            raise TooManyAttachments(self.core.settings.attachments_max_count * 2)
        now = self.core.clock.now()
        plain, sealed = self.sealer.split(body, Context.ADDITION, sensitive=case.sensitive)
        addition = CaseAddition(case_id=case.id, created_at=now, body=plain, body_enc=sealed)
        self.cases.add(addition)
        await self.cases.flush()
        for staged in attachments:
            self.cases.add(
                self.attachments.to_row(staged, case_id=case.id, addition_id=addition.id)
            )
        case.reporter_updated_at = now
        case.updated_at = now
        self.audit.record(
            Actor.reporter(),
            "case.reporter_added",
            case=case,
            after={"addition_id": addition.id, "attachments": len(attachments)},
        )
        await self.cases.flush()
        return addition

    async def _get(self, case_id: int) -> Case:
        case = await self.cases.get(case_id)
        if case is None:
            raise CaseNotFound(str(case_id))
        return case

    # Staff ----------------------------------------------------------------------------

    async def get_visible(self, ref: str, actor: Actor, *, audit_read: bool = True) -> Case:
        """The case, or :class:`CaseNotFound` when it does not exist *for this actor*."""
        if not actor.can_see_cases:
            raise PermissionDenied("Your role does not work with cases.")
        case = await self.cases.get_by_ref(ref)
        if case is None or not actor.may_see(sensitive=case.sensitive):
            raise CaseNotFound(ref)
        if audit_read and case.sensitive:
            self.audit.record(actor, "case.read", case=case)
        return case

    async def detail(self, ref: str, actor: Actor) -> CaseDetail:
        case = await self.get_visible(ref, actor)
        now = self.core.clock.now()
        contact_row = await self.cases.contact_detail(case.id)
        link = await self.cases.reporter_link(case.id)
        attachments = await self.cases.attachments(case.id)
        return CaseDetail(
            case=case,
            narrative=self.narrative(case),
            contact=self.sealer.open(contact_row.contact_enc, Context.CONTACT)
            if contact_row
            else None,
            reply_in_chat=link is not None,
            additions=[
                AdditionView(
                    a.id, a.created_at, self.sealer.read(a.body, a.body_enc, Context.ADDITION)
                )
                for a in await self.cases.additions(case.id)
            ],
            attachments=[self._attachment_view(a) for a in attachments],
            notes=[
                NoteView(
                    n.id,
                    n.author_id,
                    n.created_at,
                    self.sealer.read(n.body, n.body_enc, Context.NOTE),
                )
                for n in await self.cases.notes(case.id)
            ],
            replies=[
                ReplyView(r.id, r.author_id, r.created_at, self.sealer.reply_bodies(r), r.delivery)
                for r in await self.cases.replies(case.id)
            ],
            acknowledge_sla=SlaClock.of(case.acknowledge_due_at, case.acknowledged_at, now),
            resolve_sla=SlaClock.of(case.resolve_due_at, case.resolved_at or case.closed_at, now),
            allowed_statuses=sorted(s.value for s in allowed_transitions(Status(case.status))),
        )

    def narrative(self, case: Case) -> str | None:
        return self.sealer.read(case.narrative, case.narrative_enc, Context.NARRATIVE)

    def _attachment_view(self, attachment: Attachment) -> AttachmentView:
        return AttachmentView(
            id=attachment.id,
            kind=attachment.kind,
            mime_type=attachment.mime_type,
            size_bytes=attachment.size_bytes,
            filename=self.attachments.filename(attachment),
            addition_id=attachment.addition_id,
            created_at=attachment.created_at,
        )

    async def open_attachment(
        self, ref: str, attachment_id: int, actor: Actor
    ) -> tuple[AttachmentView, bytes]:
        case = await self.get_visible(ref, actor, audit_read=False)
        attachment = await self.cases.attachment(case.id, attachment_id)
        if attachment is None:
            raise AttachmentNotFound()
        if case.sensitive:
            self.audit.record(
                actor, "attachment.read", case=case, target=f"attachment:{attachment.id}"
            )
        return self._attachment_view(attachment), await self.attachments.read(attachment)

    async def events(self, ref: str, actor: Actor) -> list[AuditEvent]:
        case = await self.get_visible(ref, actor)
        await self.cases.flush()
        return await AuditRepository(self.session).for_case(case.id)

    async def update(
        self, ref: str, actor: Actor, *, expected_version: int, changes: CaseChanges
    ) -> Case:
        """Apply a staff change under optimistic concurrency; one audit event for it all."""
        case = await self.get_visible(ref, actor, audit_read=False)
        if case.version != expected_version:
            raise StaleVersion(expected_version, case.version)
        # Validate everything before touching the case: a refused change changes nothing.
        new_status = (
            changes.status if changes.status and changes.status.value != case.status else None
        )
        if new_status is not None:
            check_transition(Status(case.status), new_status)
        new_priority = (
            changes.priority
            if changes.priority and changes.priority.value != case.priority
            else None
        )
        assign = changes.set_assignee and changes.assignee_id != case.assignee_id
        if assign and changes.assignee_id is not None:
            await self._check_assignee(changes.assignee_id, case)
        current_tags = sorted(t.tag for t in case.tags)
        new_tags = _normalize_tags(changes.tags) if changes.tags is not None else current_tags

        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        now = self.core.clock.now()
        if new_status is not None:
            before["status"], after["status"] = case.status, new_status.value
            self._apply_status(case, new_status, now)
        if new_priority is not None:
            before["priority"], after["priority"] = case.priority, new_priority.value
            case.priority = new_priority.value
        if assign:
            before["assignee_id"], after["assignee_id"] = case.assignee_id, changes.assignee_id
            case.assignee_id = changes.assignee_id
        if new_tags != current_tags:
            before["tags"], after["tags"] = current_tags, new_tags
            kept = [t for t in case.tags if t.tag in new_tags]
            added = [CaseTag(tag=t) for t in new_tags if t not in current_tags]
            case.tags = kept + added
        if not after:
            return case

        case.updated_at = now
        # Always write the row, so the version moves even when only tags changed (they
        # live in their own table) or the clock has not moved since the last change.
        flag_modified(case, "updated_at")
        self.audit.record(actor, "case.updated", case=case, before=before, after=after)
        try:
            await self.cases.flush()
        except StaleDataError:
            # Someone else committed between our read and our write.
            raise StaleVersion(expected_version) from None
        if new_status is Status.CLOSED:
            await OutboxService(self.session, self.core).enqueue_handling_survey(case)
        return case

    def _apply_status(self, case: Case, target: Status, now: datetime) -> None:
        case.status = target.value
        case.public_updated_at = now
        if target is Status.ACKNOWLEDGED and case.acknowledged_at is None:
            case.acknowledged_at = now
        elif target is Status.REFERRED:
            case.referred_at = now
        elif target is Status.RESOLVED:
            case.resolved_at = now
        elif target is Status.CLOSED:
            case.closed_at = now
            if case.resolved_at is None:
                case.resolved_at = now
        elif target is Status.IN_PROGRESS and case.acknowledged_at is None:
            case.acknowledged_at = now
        if target is Status.IN_PROGRESS:
            # Reopened: it is no longer resolved or closed.
            case.resolved_at = None
            case.closed_at = None

    async def _check_assignee(self, user_id: int, case: Case) -> None:
        user = await self.staff.get(user_id)
        if (
            user is None
            or not user.is_active
            or not role_may_see(user.role, sensitive=case.sensitive)
        ):
            raise AssigneeCannotSeeCase()

    async def add_note(self, ref: str, actor: Actor, text: str) -> Note:
        case = await self.get_visible(ref, actor, audit_read=False)
        body = _check_text(text, what="note", limit=MAX_NOTE_CHARS)
        now = self.core.clock.now()
        plain, sealed = self.sealer.split(body, Context.NOTE, sensitive=case.sensitive)
        note = Note(
            case_id=case.id, author_id=actor.user_id, created_at=now, body=plain, body_enc=sealed
        )
        self.cases.add(note)
        await self.cases.flush()
        self.audit.record(actor, "note.added", case=case, target=f"note:{note.id}")
        return note

    async def add_reply(self, ref: str, actor: Actor, bodies: dict[Language, str]) -> Reply:
        """A public reply; for a reporter who opted in, also a message in their chat."""
        case = await self.get_visible(ref, actor, audit_read=False)
        if case.content_purged_at is not None:
            raise CaseClosedForAdditions()
        clean = {
            Language(lang).value: _check_text(text, what="reply", limit=MAX_REPLY_CHARS)
            for lang, text in bodies.items()
        }
        if not clean:
            raise EmptyText("reply")
        now = self.core.clock.now()
        link = await self.cases.reporter_link(case.id)
        plain, sealed = self.sealer.seal_reply_bodies(clean, sensitive=case.sensitive)
        reply = Reply(
            case_id=case.id,
            author_id=actor.user_id,
            created_at=now,
            bodies=plain,
            bodies_enc=sealed,
            delivery=(ReplyDelivery.PENDING if link else ReplyDelivery.NOT_APPLICABLE).value,
        )
        self.cases.add(reply)
        await self.cases.flush()
        case.public_updated_at = now
        case.updated_at = now
        if link is not None:
            await OutboxService(self.session, self.core).enqueue(case, OutboxKind.REPLY, reply.id)
        self.audit.record(
            actor,
            "reply.added",
            case=case,
            target=f"reply:{reply.id}",
            after={"languages": sorted(clean), "delivery": reply.delivery},
        )
        await self.cases.flush()
        return reply

    async def record_handling_score(self, case_id: int, score: int) -> None:
        """Keep the reporter's rating of how their closed case was handled on the case."""
        case = await self._get(case_id)
        case.handling_score = score
        self.audit.record(Actor.reporter(), "case.handling_rated", case=case)


def _normalize_tags(tags: Sequence[str]) -> list[str]:
    clean = sorted({t.strip().lower() for t in tags if t.strip()})
    for tag in clean:
        if not _TAG.match(tag):
            raise InvalidTag(tag)
    if len(clean) > MAX_TAGS:
        raise InvalidInput(f"At most {MAX_TAGS} tags per case.")
    return clean


def _hours(n: float) -> timedelta:
    return timedelta(hours=n)


def is_open(case: Case) -> bool:
    return Status(case.status) in OPEN_STATUSES
