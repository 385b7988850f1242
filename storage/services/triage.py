"""Triage: what staff do with a case (roles and lifecycle: docs/staff-and-cases.md).

Read it (a sensitive case does not exist for a role that may not see it; reading one is
audited), change status, priority, assignee and tags under optimistic concurrency, add
internal notes and public replies, read its trail and its files. The console's case page
comes whole from :meth:`TriageService.page`: one look at the case, one check of who may
see it. What the bot does with a case is in :mod:`storage.services.intake`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from storage.access import Actor, role_may_see
from storage.core import Core
from storage.enums import (
    ActivityKind,
    AuditAction,
    Consent,
    Language,
    OutboxKind,
    Outcome,
    Priority,
    ReplyDelivery,
    Role,
    Status,
)
from storage.errors import (
    AssigneeCannotSeeCase,
    AttachmentNotFound,
    CaseClosedForAdditions,
    CaseNotFound,
    ChildReferralMissing,
    EmptyText,
    InvalidInput,
    InvalidTag,
    OutcomeOnlyWhenClosed,
    OutcomeRequired,
    PermissionDenied,
    StaleVersion,
    TextTooLong,
)
from storage.lifecycle import allowed_transitions, check_transition
from storage.models import Attachment, AuditEvent, Case, CaseTag, Note, PublicSummary, Reply
from storage.repositories.audit import AuditRepository
from storage.repositories.case_page import CaseHead, CasePageRepository
from storage.repositories.cases import CaseRepository
from storage.repositories.exclusions import ExclusionRepository
from storage.repositories.referrals import (
    DuplicateRepository,
    PartnerRepository,
    ReferralRepository,
)
from storage.repositories.staff import StaffRepository
from storage.sealed import Context, Sealer
from storage.services import activity
from storage.services.attachments import AttachmentService, served_name, served_type
from storage.services.audit import AuditLog
from storage.services.console import StaffDirectory
from storage.services.outbox import OutboxService
from storage.sla import CaseSla, case_sla, resume
from storage.text import clean

MAX_NOTE_CHARS = 10_000
# A reply is delivered inside a Telegram message (4096 characters) with a short frame.
MAX_REPLY_CHARS = 3500
MAX_TAGS = 20
_TAG = re.compile(r"^[\w\-:]{1,40}$")


def _require_case_work(actor: Actor) -> None:
    if not actor.can_see_cases:
        raise PermissionDenied("Your role does not work with cases.")


def check_text(text: str, *, what: str, limit: int) -> str:
    stripped = clean(text).strip()
    if not stripped:
        raise EmptyText(what)
    if len(stripped) > limit:
        raise TextTooLong(what, len(stripped), limit)
    return stripped


# Inputs and views ---------------------------------------------------------------------


@dataclass(frozen=True)
class CaseChanges:
    """A staff PATCH. ``assignee_id`` is only applied when ``set_assignee`` is true."""

    status: Status | None = None
    priority: Priority | None = None
    set_assignee: bool = False
    assignee_id: int | None = None
    tags: Sequence[str] | None = None
    # Recorded when the case is closed (required for a sealed one), or corrected on a
    # closed case; never "duplicate" here (that is marking a duplicate).
    outcome: Outcome | None = None
    child_involved: bool | None = None
    # A sealed case's replies in the reporter's chat word for word (the reporter asked).
    reply_full_text: bool | None = None


# Outcomes staff choose when closing; "duplicate" comes only with marking a duplicate.
CLOSING_OUTCOMES = tuple(o for o in Outcome if o is not Outcome.DUPLICATE)


@dataclass(frozen=True)
class AdditionView:
    id: str  # the public id (storage.refs), as every view's
    created_at: datetime
    text: str | None


@dataclass(frozen=True)
class AttachmentView:
    id: str
    kind: str
    mime_type: str
    size_bytes: int
    # From the detected type and the file's place in the case ("document-3.pdf"): the
    # reporter's own file name is never kept.
    name: str
    served_type: str  # the Content-Type of a download
    addition_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class NoteView:
    id: str
    author_id: int | None
    created_at: datetime
    text: str | None


@dataclass(frozen=True)
class ReplyView:
    id: str
    author_id: int | None
    created_at: datetime
    texts: dict[str, str]
    delivery: str


@dataclass(frozen=True)
class CaseView:
    """A case with what follows from it at one moment: its SLA and where it may go next.

    Its attributes are the case's, plus ``sla``, ``overdue`` and ``allowed_statuses``:
    what the API renders, computed here once with one ``now``.
    """

    case: Case
    sla: CaseSla
    allowed_statuses: list[Status]

    @classmethod
    def at(cls, case: Case, now: datetime) -> CaseView:
        return cls(
            case=case,
            sla=case_sla(case, now),
            allowed_statuses=sorted(allowed_transitions(case.status)),
        )

    @property
    def overdue(self) -> bool:
        return self.sla.overdue

    def __getattr__(self, name: str) -> Any:
        # Everything else is the case's own: a view reads as the case plus its SLA.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.case, name)


@dataclass(frozen=True)
class ReferralView:
    id: str
    partner_id: int
    partner_name: str
    child_protection: bool
    consent: Consent
    note: str | None
    author_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class CaseOutcome:
    """A case's referrals and links, as its page and the API show them."""

    referrals: list[ReferralView]
    referral_target: str | None  # the partner it was last referred to
    duplicate_of: str | None  # the reference of the case kept
    duplicates: list[str]  # the references of its duplicates


@dataclass(frozen=True)
class CaseDetail(CaseView):
    """The whole case as one staff member sees it, SLA computed at the moment of reading."""

    narrative: str | None
    contact: str | None
    reply_in_chat: bool
    additions: list[AdditionView]
    attachments: list[AttachmentView]
    notes: list[NoteView]
    replies: list[ReplyView]
    referrals: list[ReferralView]
    referral_target: str | None  # the partner it was last referred to
    duplicate_of: str | None  # the reference of the case kept
    duplicates: list[str]  # the references of its duplicates


def may_have_public_summary(case: Case) -> bool:
    """Only a closed, standard case is ever published ("you said, we did"): a sensitive
    case never, not even its outcome (the rules: :mod:`storage.services.transparency`)."""
    return not case.sensitive and case.status == Status.CLOSED


@dataclass(frozen=True)
class PublicSummaryState:
    """A case's "you said, we did" block as one reader sees it."""

    publishable: bool  # the case may have one (:func:`may_have_public_summary`)
    summary: PublicSummary | None = None
    # A focal point other than its writer publishes it: a second person approves.
    may_publish: bool = False

    @classmethod
    def of(cls, case: Case, summary: PublicSummary | None, actor: Actor) -> PublicSummaryState:
        if not may_have_public_summary(case):
            return cls(publishable=False)
        return cls(
            publishable=True,
            summary=summary,
            may_publish=summary is not None
            and summary.approved_at is None
            and actor.role is Role.FOCAL_POINT
            and summary.written_by != actor.user_id,
        )


@dataclass(frozen=True)
class CasePage:
    """Everything the console's case page shows, from one look at the case."""

    detail: CaseDetail
    # The case's audit trail, oldest first, this look's own record included.
    timeline: list[AuditEvent]
    names: dict[int, str]  # every colleague the page names, by id
    assignees: list[tuple[int, str]]  # whom the case may be assigned to
    public_summary: PublicSummaryState
    # Focal points kept away from the case (recused or excluded).
    kept_away: set[int]
    # For a focal point: the other focal points who still see the case (whom they may
    # exclude from it).
    colleagues: list[tuple[int, str]]

    @property
    def case(self) -> Case:
        return self.detail.case


# The service -------------------------------------------------------------------------


class TriageService:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.session = session
        self.core = core
        self.cases = CaseRepository(session)
        self.staff = StaffRepository(session)
        self.audit = AuditLog(session, core.clock)
        self.attachments = AttachmentService(core)
        self.sealer = Sealer(core.crypto)

    async def get_visible(self, ref: str, actor: Actor, *, audit_read: bool = True) -> Case:
        """The case, or :class:`CaseNotFound` when it does not exist *for this actor*."""
        _require_case_work(actor)
        # Hidden and missing are one query and one answer: nothing to time or compare.
        case = await self.cases.get_visible(
            ref, may_see_sensitive=actor.can_see_sensitive, viewer_id=actor.user_id
        )
        return self._seen(case, ref, actor, audit_read=audit_read)

    def _seen(self, case: Case | None, ref: str, actor: Actor, *, audit_read: bool) -> Case:
        if case is None:
            raise CaseNotFound(ref)
        if audit_read and case.sensitive:
            self.audit.record(actor, AuditAction.CASE_READ, case=case)
        return case

    async def _look(
        self, ref: str, actor: Actor, *, public_summary: bool = False, mark_seen: bool = False
    ) -> tuple[CaseHead, AuditEvent | None]:
        """The case with its contact, chat link and which lists hold anything, in one
        statement, and the audit record of this look when the case is sensitive."""
        _require_case_work(actor)
        head = await CasePageRepository(self.session).head(
            ref,
            may_see_sensitive=actor.can_see_sensitive,
            public_summary=public_summary,
            viewer_id=actor.user_id,
        )
        if head is None:
            raise CaseNotFound(ref)
        look = None
        if head.case.sensitive:
            look = self.audit.record(actor, AuditAction.CASE_READ, case=head.case)
        if mark_seen and head.latest_activity > head.seen_activity:
            await activity.mark_seen(
                self.session, actor, head.case.id, head.latest_activity, self.core.clock.now()
            )
        return head, look

    async def detail(self, ref: str, actor: Actor, *, mark_seen: bool = False) -> CaseDetail:
        """``mark_seen``: this is the reader opening the case (the worklist's markers)."""
        head, _look = await self._look(ref, actor, mark_seen=mark_seen)
        return await self._detail(head)

    async def page(self, ref: str, actor: Actor, *, mark_seen: bool = False) -> CasePage:
        """The console's case page: the case with its lists, its timeline, the names of
        the colleagues it shows, whom it may be assigned to and its public summary."""
        head, look = await self._look(ref, actor, public_summary=True, mark_seen=mark_seen)
        detail = await self._detail(head)
        case = detail.case
        timeline = await AuditRepository(self.session).for_case(case.id)
        # In a read scope this look's record is written after the page (Database.
        # read_scope); the page shows it all the same.
        if look is not None and look not in timeline:
            timeline.append(look)
        summary = head.public_summary
        directory = StaffDirectory(self.session)
        # Only focal points act on exclusions; for others the one query is saved (the
        # assignment itself is checked against them all the same).
        kept_away = (
            await ExclusionRepository(self.session).excluded_staff(case.id)
            if actor.can_see_sensitive
            else set()
        )
        names = await directory.names(
            [
                case.assignee_id,
                *(n.author_id for n in detail.notes),
                *(r.author_id for r in detail.replies),
                *(e.actor_id for e in timeline if e.actor_kind == "staff"),
                *((summary.written_by, summary.approved_by) if summary else ()),
            ]
        )
        # An assignee named in the trail who is no longer on staff still gets a label.
        for event in timeline:
            for side in (event.before or {}, event.after or {}):
                if isinstance(side.get("assignee_id"), int):
                    names.setdefault(side["assignee_id"], f"#{side['assignee_id']}")
        return CasePage(
            detail=detail,
            timeline=timeline,
            names=names,
            assignees=[
                (user_id, name)
                for user_id, name in await directory.assignees(actor, sensitive=case.sensitive)
                if user_id not in kept_away
            ],
            kept_away=kept_away,
            colleagues=await directory.focal_points(actor, besides={actor.user_id, *kept_away}),
            public_summary=PublicSummaryState.of(case, summary, actor),
        )

    async def _detail(self, head: CaseHead) -> CaseDetail:
        """The case as staff see it; then only the lists that hold something (most
        cases have no notes or replies)."""
        case = head.case
        view = CaseView.at(case, self.core.clock.now())
        attachments = await self.cases.attachments(case.id) if head.has_attachments else []
        additions = await self.cases.additions(case.id) if head.has_additions else []
        notes = await self.cases.notes(case.id) if head.has_notes else []
        replies = await self.cases.replies(case.id) if head.has_replies else []
        addition_ids = {a.id: a.public_id for a in additions}
        links = await self.outcome(case, has_duplicates=head.has_duplicates)
        return CaseDetail(
            case=case,
            sla=view.sla,
            allowed_statuses=view.allowed_statuses,
            narrative=self.narrative(case),
            contact=self.sealer.open(head.contact.contact_enc, Context.CONTACT)
            if head.contact
            else None,
            reply_in_chat=head.reply_in_chat,
            additions=[
                AdditionView(
                    a.public_id,
                    a.created_at,
                    self.sealer.read(a.body, a.body_enc, Context.ADDITION),
                )
                for a in additions
            ],
            attachments=[
                self._attachment_view(a, n, addition_ids)
                for n, a in enumerate(attachments, start=1)
            ],
            notes=[
                NoteView(
                    n.public_id,
                    n.author_id,
                    n.created_at,
                    self.sealer.read(n.body, n.body_enc, Context.NOTE),
                )
                for n in notes
            ],
            replies=[
                ReplyView(
                    r.public_id, r.author_id, r.created_at, self.sealer.reply_bodies(r), r.delivery
                )
                for r in replies
            ],
            referrals=links.referrals,
            referral_target=links.referral_target,
            duplicate_of=links.duplicate_of,
            duplicates=links.duplicates,
        )

    async def outcome(self, case: Case, *, has_duplicates: bool = True) -> CaseOutcome:
        """The case's referrals, the case it duplicates and its duplicates (each list
        read only when the case says it holds something, but its duplicates)."""
        partners_repo = PartnerRepository(self.session)
        duplicates_repo = DuplicateRepository(self.session)
        rows = (
            await ReferralRepository(self.session).for_case(case.id)
            if case.referral_target_id
            else []
        )
        partners = {p.id: p for p in await partners_repo.all()} if rows else {}
        referrals = [
            ReferralView(
                id=r.public_id,
                partner_id=r.partner_id,
                partner_name=partners[r.partner_id].name,
                child_protection=partners[r.partner_id].child_protection,
                consent=r.consent,
                note=self.sealer.read(r.note, r.note_enc, Context.NOTE),
                author_id=r.author_id,
                created_at=r.created_at,
            )
            for r in rows
        ]
        target = partners.get(case.referral_target_id or 0)
        return CaseOutcome(
            referrals=referrals,
            referral_target=target.name if target is not None else None,
            duplicate_of=await duplicates_repo.ref_of(case.duplicate_of_id)
            if case.duplicate_of_id is not None
            else None,
            duplicates=await duplicates_repo.duplicates_of(case.id) if has_duplicates else [],
        )

    def narrative(self, case: Case) -> str | None:
        return self.sealer.read(case.narrative, case.narrative_enc, Context.NARRATIVE)

    def _attachment_view(
        self, attachment: Attachment, position: int, addition_ids: dict[int, str] | None = None
    ) -> AttachmentView:
        addition = attachment.addition_id
        return AttachmentView(
            id=attachment.public_id,
            kind=attachment.kind,
            mime_type=attachment.mime_type,
            size_bytes=attachment.size_bytes,
            name=served_name(
                attachment.kind, attachment.mime_type, position, rebuilt=attachment.rebuilt
            ),
            served_type=served_type(
                attachment.mime_type, kind=attachment.kind, rebuilt=attachment.rebuilt
            ),
            addition_id=(addition_ids or {}).get(addition) if addition is not None else None,
            created_at=attachment.created_at,
        )

    async def open_attachment(
        self, ref: str, attachment_id: str, actor: Actor
    ) -> tuple[AttachmentView, bytes]:
        case = await self.get_visible(ref, actor, audit_read=False)
        attachment = await self.cases.attachment(case.id, attachment_id)
        if attachment is None:
            raise AttachmentNotFound()
        if case.sensitive:
            self.audit.record(
                actor,
                AuditAction.ATTACHMENT_READ,
                case=case,
                target=f"attachment:{attachment.public_id}",
            )
        position = await self.cases.attachment_position(attachment)
        return (
            self._attachment_view(attachment, position),
            await self.attachments.read(attachment),
        )

    async def events(self, ref: str, actor: Actor, *, audit_read: bool = True) -> list[AuditEvent]:
        """The case's trail; ``audit_read=False`` when the caller's look is already recorded."""
        case = await self.get_visible(ref, actor, audit_read=audit_read)
        # No flush: an API GET writes this read's own record after its reads (see
        # Database.read_scope), so the trail shows it from the next look on.
        return await AuditRepository(self.session).for_case(case.id)

    async def update(
        self, ref: str, actor: Actor, *, expected_version: int | None, changes: CaseChanges
    ) -> Case:
        """Apply a staff change under optimistic concurrency; one audit event for it all.

        ``expected_version=None`` (HTTP ``If-Match: *``) accepts whatever version is read."""
        case = await self.get_visible(ref, actor, audit_read=False)
        return await self.change(case, actor, expected_version=expected_version, changes=changes)

    async def change(
        self, case: Case, actor: Actor, *, expected_version: int | None, changes: CaseChanges
    ) -> Case:
        """:meth:`update` of a case already read through :meth:`get_visible` by ``actor``."""
        read_version = case.version
        if expected_version is not None and case.version != expected_version:
            raise StaleVersion(expected_version, case.version)
        # Validate everything before touching the case: a refused change changes nothing.
        new_status = changes.status if changes.status and changes.status != case.status else None
        if new_status is not None:
            check_transition(case.status, new_status)
        new_priority = (
            changes.priority if changes.priority and changes.priority != case.priority else None
        )
        assign = changes.set_assignee and changes.assignee_id != case.assignee_id
        if assign and changes.assignee_id is not None:
            await self._check_assignee(changes.assignee_id, case)
        current_tags = sorted(t.tag for t in case.tags)
        new_tags = normalize_tags(changes.tags) if changes.tags is not None else current_tags
        child = (
            changes.child_involved
            if changes.child_involved is not None and changes.child_involved != case.child_involved
            else None
        )
        closing = new_status is Status.CLOSED
        new_outcome = await self._check_outcome(case, changes, closing=closing, child=child)

        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        now = self.core.clock.now()
        if child is not None:
            before["child_involved"], after["child_involved"] = case.child_involved, child
            case.child_involved = child
        if new_status is not None:
            before["status"], after["status"] = case.status, new_status
            if case.outcome is not None and new_status is not Status.CLOSED:
                # Reopened: what became of it is decided again when it closes again.
                before["outcome"], after["outcome"] = case.outcome, None
            self.apply_status(case, new_status, now)
        if new_outcome is not None and new_outcome != case.outcome:
            before["outcome"], after["outcome"] = case.outcome, new_outcome
            case.outcome = new_outcome
        if new_priority is not None:
            before["priority"], after["priority"] = case.priority, new_priority
            case.priority = new_priority
        if assign:
            before["assignee_id"], after["assignee_id"] = case.assignee_id, changes.assignee_id
            case.assignee_id = changes.assignee_id
            if changes.assignee_id is not None and changes.assignee_id != actor.user_id:
                activity.record_activity(
                    self.session,
                    case,
                    ActivityKind.ASSIGNED,
                    now,
                    for_user=changes.assignee_id,
                )
        if changes.reply_full_text is not None and changes.reply_full_text != case.reply_full_text:
            before["reply_full_text"] = case.reply_full_text
            after["reply_full_text"] = changes.reply_full_text
            case.reply_full_text = changes.reply_full_text
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
        self.audit.record(actor, AuditAction.CASE_UPDATED, case=case, before=before, after=after)
        try:
            await self.cases.flush()
        except StaleDataError:
            # Someone else committed between our read and our write.
            raise StaleVersion(
                read_version if expected_version is None else expected_version
            ) from None
        if new_status is Status.CLOSED:
            await OutboxService(self.session, self.core).enqueue_handling_survey(case)
        elif new_status is not None:
            await OutboxService(self.session, self.core).enqueue_status_notice(case, new_status)
        return case

    async def _check_outcome(
        self, case: Case, changes: CaseChanges, *, closing: bool, child: bool | None
    ) -> Outcome | None:
        """The outcome this change records, checked before anything is touched."""
        outcome = changes.outcome
        if outcome is Outcome.DUPLICATE:
            raise OutcomeOnlyWhenClosed(
                "outcome: mark the case as a duplicate of the case kept instead."
            )
        if outcome is not None and not closing and case.status is not Status.CLOSED:
            raise OutcomeOnlyWhenClosed(
                "outcome: an outcome is recorded when the case is closed (status closed)."
            )
        if closing and outcome is None and case.sensitive:
            raise OutcomeRequired()
        child_involved = case.child_involved if child is None else child
        if (
            closing
            and child_involved
            and case.child_waiver_note is None
            and not await ReferralRepository(self.session).to_child_protection(case.id)
        ):
            raise ChildReferralMissing()
        return outcome

    def apply_status(self, case: Case, target: Status, now: datetime) -> None:
        """Move the case to ``target`` with the times that go with it (checked by the
        caller): a referral and marking a duplicate move it too."""
        if case.status is Status.WAITING:
            resume(case, now)
        elif target is Status.WAITING:
            case.waiting_since = now
        case.status = target
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
            # Reopened: it is no longer resolved or closed, nor what became of it.
            case.resolved_at = None
            case.closed_at = None
            case.outcome = None

    async def _check_assignee(self, user_id: int, case: Case) -> None:
        user = await self.staff.get(user_id)
        if (
            user is None
            or not user.is_active
            or not role_may_see(user.role, sensitive=case.sensitive)
            or user_id in await ExclusionRepository(self.session).excluded_staff(case.id)
        ):
            raise AssigneeCannotSeeCase()

    async def add_note(self, ref: str, actor: Actor, text: str) -> Note:
        case = await self.get_visible(ref, actor, audit_read=False)
        body = check_text(text, what="note", limit=MAX_NOTE_CHARS)
        now = self.core.clock.now()
        plain, sealed = self.sealer.split(body, Context.NOTE, sensitive=case.sensitive)
        note = Note(
            case_id=case.id, author_id=actor.user_id, created_at=now, body=plain, body_enc=sealed
        )
        self.cases.add(note)
        await self.cases.flush()
        self.audit.record(actor, AuditAction.NOTE_ADDED, case=case, target=f"note:{note.public_id}")
        return note

    async def add_reply(self, ref: str, actor: Actor, bodies: dict[Language, str]) -> Reply:
        """A public reply; for a reporter who opted in, also a message in their chat."""
        case = await self.get_visible(ref, actor, audit_read=False)
        if case.content_purged_at is not None:
            raise CaseClosedForAdditions()
        clean = {
            Language(lang).value: check_text(text, what="reply", limit=MAX_REPLY_CHARS)
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
            delivery=ReplyDelivery.PENDING if link else ReplyDelivery.NOT_APPLICABLE,
        )
        self.cases.add(reply)
        await self.cases.flush()
        case.public_updated_at = now
        case.updated_at = now
        if link is not None:
            await OutboxService(self.session, self.core).enqueue(case, OutboxKind.REPLY, reply.id)
        self.audit.record(
            actor,
            AuditAction.REPLY_ADDED,
            case=case,
            target=f"reply:{reply.public_id}",
            after={"languages": sorted(clean), "delivery": reply.delivery},
        )
        await self.cases.flush()
        return reply


def normalize_tags(tags: Sequence[str]) -> list[str]:
    clean = sorted({t.strip().lower() for t in tags if t.strip()})
    for tag in clean:
        if not _TAG.match(tag):
            raise InvalidTag(tag)
    if len(clean) > MAX_TAGS:
        raise InvalidInput(f"At most {MAX_TAGS} tags per case.")
    return clean
