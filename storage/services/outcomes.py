"""What became of a case: referrals to partners, duplicates, a child's protection, and
cases left waiting for the reporter (issue 22).

Partners are the organisations and services cases are referred to, kept by
administrators (not the reporter-facing helplines of ``HOLOS_REFERRAL_CONTACTS``). A
referral records to whom, whether the person agreed, and a staff note; the case moves to
``referred`` when it may. A case involving a child closes only after a referral to a
child-protection service or a focal point's written reason (:meth:`waive_child_referral`).
A duplicate is closed with the outcome ``duplicate``, linked to the case kept, and the
figures count the kept case once. A case left waiting for the reporter longer than
``HOLOS_WAITING_CLOSE_DAYS`` is closed with ``no_response`` by the daily housekeeping,
and a reporter who chose replies in their chat gets a notice that says nothing more than
"there is an update".

Every change writes an audit event; nothing here commits.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from storage.access import Actor
from storage.core import Core
from storage.enums import AuditAction, Consent, Outcome, Role, Status
from storage.errors import (
    DuplicatePartner,
    InvalidInput,
    NotADuplicate,
    PartnerNotFound,
    PermissionDenied,
    StaleVersion,
    UnknownPartner,
)
from storage.lifecycle import allowed_transitions
from storage.models import Case, CaseReferral, Note, Partner
from storage.repositories.cases import CaseRepository
from storage.repositories.referrals import (
    DuplicateRepository,
    PartnerRepository,
    ReferralRepository,
)
from storage.sealed import Context, Sealer
from storage.services.audit import AuditLog
from storage.services.outbox import OutboxService
from storage.services.triage import MAX_NOTE_CHARS, ReferralView, TriageService, check_text
from storage.sla import resume
from storage.text import clean

MAX_PARTNER_NAME = 120
MAX_REFERRAL_NOTE = 2000
# Cases closed per housekeeping turn (the rest wait for the next turn).
WAITING_BATCH = 500


def _partner_name(name: str) -> str:
    text = " ".join(clean(name).split())
    if not text:
        raise InvalidInput("name: write the partner's name.")
    if len(text) > MAX_PARTNER_NAME:
        raise InvalidInput(f"name: at most {MAX_PARTNER_NAME} characters.")
    return text


class PartnerService:
    """The list of partners: everyone who works with cases reads it, administrators keep it."""

    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.repo = PartnerRepository(session)
        self.audit = AuditLog(session, core.clock)
        self.clock = core.clock

    async def list(self, *, active_only: bool = False) -> list[Partner]:
        return await self.repo.all(active_only=active_only)

    @staticmethod
    def _require_admin(actor: Actor) -> None:
        if actor.role is not Role.ADMIN:
            raise PermissionDenied("Only administrators keep the list of partners.")

    async def create(self, actor: Actor, *, name: str, child_protection: bool) -> Partner:
        self._require_admin(actor)
        clean_name = _partner_name(name)
        if await self.repo.by_name(clean_name) is not None:
            raise DuplicatePartner()
        now = self.clock.now()
        partner = Partner(
            name=clean_name,
            child_protection=child_protection,
            active=True,
            created_at=now,
            updated_at=now,
        )
        self.repo.add(partner)
        await self.repo.session.flush()
        self.audit.record(
            actor,
            AuditAction.PARTNER_CREATED,
            target=f"partner:{partner.id}",
            after={"name": partner.name, "child_protection": child_protection},
        )
        return partner

    async def update(
        self,
        actor: Actor,
        partner_id: int,
        *,
        name: str | None = None,
        child_protection: bool | None = None,
        active: bool | None = None,
    ) -> Partner:
        """Rename, mark as child protection or not, retire or bring back a partner."""
        self._require_admin(actor)
        partner = await self.repo.get(partner_id)
        if partner is None:
            raise PartnerNotFound()
        before: dict[str, object] = {}
        after: dict[str, object] = {}
        if name is not None:
            new_name = _partner_name(name)
            if new_name != partner.name:
                other = await self.repo.by_name(new_name)
                if other is not None and other.id != partner.id:
                    raise DuplicatePartner()
                before["name"], after["name"] = partner.name, new_name
                partner.name = new_name
        for field, value in (("child_protection", child_protection), ("active", active)):
            if value is not None and value != getattr(partner, field):
                before[field], after[field] = getattr(partner, field), value
                setattr(partner, field, value)
        if after:
            partner.updated_at = self.clock.now()
            self.audit.record(
                actor,
                AuditAction.PARTNER_UPDATED,
                target=f"partner:{partner.id}",
                before=before,
                after=after,
            )
        await self.repo.session.flush()
        return partner


class OutcomeService:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.session = session
        self.core = core
        self.triage = TriageService(session, core)
        self.cases = CaseRepository(session)
        self.partners = PartnerRepository(session)
        self.referrals = ReferralRepository(session)
        self.duplicates = DuplicateRepository(session)
        self.audit = AuditLog(session, core.clock)
        self.sealer = Sealer(core.crypto)

    async def refer(
        self,
        ref: str,
        actor: Actor,
        *,
        partner_id: int,
        consent: Consent,
        note: str | None = None,
    ) -> ReferralView:
        """Record a referral; the case moves to ``referred`` when its status allows."""
        case = await self.triage.get_visible(ref, actor, audit_read=False)
        partner = await self.partners.get(partner_id)
        if partner is None or not partner.active:
            raise UnknownPartner()
        text = None
        if note is not None and clean(note).strip():
            text = check_text(note, what="note", limit=MAX_REFERRAL_NOTE)
        plain, sealed = (
            self.sealer.split(text, Context.NOTE, sensitive=case.sensitive)
            if text
            else (None, None)
        )
        now = self.core.clock.now()
        referral = CaseReferral(
            case_id=case.id,
            partner_id=partner.id,
            consent=consent,
            note=plain,
            note_enc=sealed,
            author_id=actor.user_id,
            created_at=now,
        )
        self.referrals.add(referral)
        before: dict[str, object] = {"referral_target_id": case.referral_target_id}
        after: dict[str, object] = {
            "referral_target_id": partner.id,
            "partner": partner.name,
            "consent": consent,
        }
        case.referral_target_id = partner.id
        if case.status is not Status.REFERRED and Status.REFERRED in allowed_transitions(
            case.status
        ):
            before["status"], after["status"] = case.status, Status.REFERRED
            self.triage.apply_status(case, Status.REFERRED, now)
            await OutboxService(self.session, self.core).enqueue_status_notice(
                case, Status.REFERRED
            )
        case.updated_at = now
        flag_modified(case, "updated_at")
        await self.session.flush()
        self.audit.record(
            actor,
            AuditAction.CASE_REFERRED,
            case=case,
            target=f"referral:{referral.public_id}",
            before=before,
            after=after,
        )
        return ReferralView(
            id=referral.public_id,
            partner_id=partner.id,
            partner_name=partner.name,
            child_protection=partner.child_protection,
            consent=consent,
            note=text,
            author_id=actor.user_id,
            created_at=now,
        )

    async def waive_child_referral(self, ref: str, actor: Actor, reason: str) -> Note:
        """A focal point writes why a case involving a child has no referral to child
        protection; the reason is an internal note, and the case may then close."""
        if actor.role is not Role.FOCAL_POINT:
            raise PermissionDenied("Only a focal point may write why there is no referral.")
        case = await self.triage.get_visible(ref, actor, audit_read=False)
        if not case.child_involved:
            raise InvalidInput("reason: the case is not marked as involving a child.")
        check_text(reason, what="note", limit=MAX_NOTE_CHARS)
        note = await self.triage.add_note(ref, actor, reason)
        before = {"child_waiver_note": case.child_waiver_note}
        case.child_waiver_note = note.public_id
        case.updated_at = self.core.clock.now()
        flag_modified(case, "updated_at")
        self.audit.record(
            actor,
            AuditAction.CASE_CHILD_REFERRAL_WAIVED,
            case=case,
            target=f"note:{note.public_id}",
            before=before,
            after={"child_waiver_note": note.public_id},
        )
        await self.session.flush()
        return note

    async def mark_duplicate(
        self, ref: str, actor: Actor, *, expected_version: int | None, kept_ref: str
    ) -> Case:
        """Close the case as a duplicate of the case kept; both show the link."""
        case = await self.triage.get_visible(ref, actor, audit_read=False)
        read_version = case.version
        if expected_version is not None and case.version != expected_version:
            raise StaleVersion(expected_version, case.version)
        kept = await self.triage.get_visible(kept_ref, actor, audit_read=False)
        if kept.id == case.id:
            raise NotADuplicate("A case cannot be a duplicate of itself.")
        if kept.duplicate_of_id is not None:
            raise NotADuplicate(
                "That case is itself a duplicate; mark this one as a duplicate of the case kept."
            )
        if case.status is Status.CLOSED:
            raise NotADuplicate("The case is closed; reopen it first.")
        if kept.sensitive != case.sensitive:
            # Either way one side's timeline would name a case its readers may not see,
            # and a sealed case's later additions would land in a standard one.
            raise NotADuplicate(
                "A sealed case can be a duplicate only of a sealed case, and a standard "
                "case only of a standard one."
            )
        now = self.core.clock.now()
        before = {
            "status": case.status,
            "outcome": case.outcome,
            "duplicate_of": None,
        }
        self.triage.apply_status(case, Status.CLOSED, now)
        case.outcome = Outcome.DUPLICATE
        case.duplicate_of_id = kept.id
        case.updated_at = now
        flag_modified(case, "updated_at")
        # Its own duplicates follow it to the case kept, so no chain forms.
        for other_ref in await self.duplicates.duplicates_of(case.id):
            other = await self.cases.get_by_ref(other_ref)
            if other is not None:
                other.duplicate_of_id = kept.id
        self.audit.record(
            actor,
            AuditAction.CASE_MARKED_DUPLICATE,
            case=case,
            target=f"case:{kept.ref}",
            before=before,
            after={
                "status": Status.CLOSED,
                "outcome": Outcome.DUPLICATE,
                "duplicate_of": kept.ref,
            },
        )
        self.audit.record(
            actor,
            AuditAction.CASE_MARKED_DUPLICATE,
            case=kept,
            target=f"case:{case.ref}",
            after={"duplicate": case.ref},
        )
        try:
            await self.session.flush()
        except StaleDataError:
            raise StaleVersion(
                read_version if expected_version is None else expected_version
            ) from None
        return case

    async def close_waiting(self) -> int:
        """Close the cases left waiting for the reporter too long, with the outcome "no
        response"; tell a reporter who chose replies in their chat that there is an
        update (no more). A case involving a child without a referral or a reason stays
        open for staff. How many were closed."""
        now = self.core.clock.now()
        cutoff = now - timedelta(days=self.core.settings.waiting_close_days)
        closed = 0
        outbox = OutboxService(self.session, self.core)
        for case in await self.duplicates.waiting_since_before(cutoff, WAITING_BATCH):
            if (
                case.child_involved
                and case.child_waiver_note is None
                and not await self.referrals.to_child_protection(case.id)
            ):
                continue
            waited_since = case.waiting_since
            resume(case, now)
            case.status = Status.CLOSED
            case.closed_at = now
            case.public_updated_at = now
            case.updated_at = now
            if case.resolved_at is None:
                case.resolved_at = now
            case.outcome = Outcome.NO_RESPONSE
            self.audit.record(
                Actor.system(),
                AuditAction.CASE_UPDATED,
                case=case,
                before={"status": Status.WAITING, "outcome": None},
                after={
                    "status": Status.CLOSED,
                    "outcome": Outcome.NO_RESPONSE,
                    "waited_days": (now - waited_since).days if waited_since else None,
                },
            )
            await outbox.enqueue_notice(case)
            closed += 1
        await self.session.flush()
        return closed
