"""Referrals to partners, outcomes on close, a child's protection, waiting for the
reporter and duplicates (issue 22 §3), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import AuditAction, Consent, ContactMode, OutboxKind, Outcome, Status
from storage.errors import (
    ChildReferralMissing,
    DuplicatePartner,
    InvalidInput,
    NotADuplicate,
    OutcomeOnlyWhenClosed,
    OutcomeRequired,
    PermissionDenied,
    StaleVersion,
    UnknownPartner,
)
from storage.models import AuditEvent, Case, CaseAddition, CaseReferral, OutboxMessage
from storage.repositories.filters import CaseFilter
from storage.services.intake import ContactChoice, IntakeService
from storage.services.outcomes import OutcomeService, PartnerService
from storage.services.retention import RetentionService
from storage.services.triage import CaseChanges, TriageService
from storage.services.worklist import Worklist
from storage.sla import case_sla
from tests.storage.helpers import content_snapshot, make_staff, submit, walk_case

SENSITIVE = "sexual_exploitation"


async def case_of(core: Core, ref: str) -> Case:
    async with core.database.transaction() as session:
        case = await session.scalar(select(Case).where(Case.ref == ref))
        assert case is not None
        return case


async def change(core: Core, ref: str, actor: Actor, **changes: object) -> Case:
    version = (await case_of(core, ref)).version
    async with core.database.transaction() as session:
        return await TriageService(session, core).update(
            ref, actor, expected_version=version, changes=CaseChanges(**changes)
        )


async def partner(core: Core, name: str, *, child_protection: bool = False) -> int:
    admin = await make_staff(core, f"admin-{abs(hash(name)) % 10**9}", "admin")
    async with core.database.transaction() as session:
        made = await PartnerService(session, core).create(
            admin, name=name, child_protection=child_protection
        )
        return made.id


async def refer(
    core: Core,
    ref: str,
    actor: Actor,
    partner_id: int,
    consent: Consent = Consent.GIVEN,
    note: str | None = None,
) -> None:
    async with core.database.transaction() as session:
        await OutcomeService(session, core).refer(
            ref, actor, partner_id=partner_id, consent=consent, note=note
        )


async def actions(core: Core, ref: str) -> list[str]:
    async with core.database.transaction() as session:
        rows = await session.scalars(
            select(AuditEvent.action).where(AuditEvent.case_ref == ref).order_by(AuditEvent.id)
        )
        return list(rows)


# Partners ------------------------------------------------------------------------------


async def test_administrators_keep_the_partner_list(core: Core) -> None:
    admin = await make_staff(core, "admin", "admin")
    operator = await make_staff(core, "oper", "operator")
    async with core.database.transaction() as session:
        service = PartnerService(session, core)
        made = await service.create(
            admin, name="  Служба   у справах дітей ", child_protection=True
        )
    assert made.name == "Служба у справах дітей" and made.active and made.child_protection
    for actor in (operator, await make_staff(core, "focal", "focal_point")):
        with pytest.raises(PermissionDenied):
            async with core.database.transaction() as session:
                await PartnerService(session, core).create(actor, name="X", child_protection=False)
    bad = [
        ("Служба у справах дітей", DuplicatePartner),
        ("   ", InvalidInput),
        ("x" * 121, InvalidInput),
    ]
    for name, error in bad:
        with pytest.raises(error):
            async with core.database.transaction() as session:
                await PartnerService(session, core).create(admin, name=name, child_protection=False)
    async with core.database.transaction() as session:
        service = PartnerService(session, core)
        await service.update(admin, made.id, name="ССД Харків", active=False)
        listed = await service.list()
        offered = await service.list(active_only=True)
        events = list(
            await session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.target == f"partner:{made.id}")
                .order_by(AuditEvent.id)
            )
        )
    assert [(p.name, p.active) for p in listed] == [("ССД Харків", False)]
    assert offered == []
    assert events == [AuditAction.PARTNER_CREATED, AuditAction.PARTNER_UPDATED]


# Referrals -----------------------------------------------------------------------------


async def test_a_referral_records_to_whom_with_consent_and_moves_the_case(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    legal = await partner(core, "Правова допомога")
    ref = (await submit(core)).ref
    await walk_case(core, ref, operator, Status.ACKNOWLEDGED)
    await refer(core, ref, operator, legal, Consent.GIVEN, "Передано юристу")
    case = await case_of(core, ref)
    assert case.status == Status.REFERRED and case.referred_at is not None
    assert case.referral_target_id == legal
    async with core.database.transaction() as session:
        detail = await TriageService(session, core).detail(ref, operator)
    assert detail.referral_target == "Правова допомога"
    [referral] = detail.referrals
    assert (referral.partner_name, referral.consent, referral.note) == (
        "Правова допомога",
        Consent.GIVEN,
        "Передано юристу",
    )
    assert AuditAction.CASE_REFERRED in await actions(core, ref)


async def test_a_sealed_cases_referral_note_is_sealed(core: Core) -> None:
    focal = await make_staff(core, "focal", "focal_point")
    safe = await partner(core, "Safe space")
    ref = (await submit(core, category=SENSITIVE)).ref
    await walk_case(core, ref, focal, Status.ACKNOWLEDGED)
    await refer(core, ref, focal, safe, Consent.NOT_ASKED, "Адреса притулку")
    async with core.database.transaction() as session:
        row = await session.scalar(select(CaseReferral))
        assert row is not None
        assert row.note is None and row.note_enc is not None
        assert b"\xd0\x90\xd0\xb4" not in row.note_enc  # "Ад" in UTF-8
        detail = await TriageService(session, core).detail(ref, focal)
    assert detail.referrals[0].note == "Адреса притулку"


async def test_referrals_to_unknown_or_retired_partners_are_refused(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    admin = await make_staff(core, "admin", "admin")
    retired = await partner(core, "Old NGO")
    async with core.database.transaction() as session:
        await PartnerService(session, core).update(admin, retired, active=False)
    ref = (await submit(core)).ref
    before = await content_snapshot(core)
    for partner_id in (retired, 9999):
        with pytest.raises(UnknownPartner):
            await refer(core, ref, operator, partner_id)
    with pytest.raises(InvalidInput):
        await refer(core, ref, operator, retired + 1000, note="x")
    assert await content_snapshot(core) == before


# Outcomes ------------------------------------------------------------------------------


async def test_closing_a_sealed_case_needs_an_outcome(core: Core) -> None:
    focal = await make_staff(core, "focal", "focal_point")
    ref = (await submit(core, category=SENSITIVE)).ref
    await walk_case(core, ref, focal, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED)
    before = await content_snapshot(core)
    with pytest.raises(OutcomeRequired):
        await change(core, ref, focal, status=Status.CLOSED)
    assert await content_snapshot(core) == before
    case = await change(core, ref, focal, status=Status.CLOSED, outcome=Outcome.NOT_SUBSTANTIATED)
    assert case.status == Status.CLOSED and case.outcome == Outcome.NOT_SUBSTANTIATED
    # Corrected on the closed case, then cleared by reopening.
    case = await change(core, ref, focal, outcome=Outcome.PARTLY_RESOLVED)
    assert case.outcome == Outcome.PARTLY_RESOLVED
    case = await change(core, ref, focal, status=Status.IN_PROGRESS)
    assert case.outcome is None
    async with core.database.transaction() as session:
        trail = await TriageService(session, core).events(ref, focal, audit_read=False)
    changes = [e.after for e in trail if e.action == AuditAction.CASE_UPDATED]
    assert {"status": "closed", "outcome": "not_substantiated"} in changes
    assert {"status": "in_progress", "outcome": None} in changes


async def test_a_standard_case_closes_with_or_without_an_outcome(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    plain, with_outcome = (await submit(core)).ref, (await submit(core)).ref
    for ref in (plain, with_outcome):
        await walk_case(
            core, ref, operator, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED
        )
    assert (await change(core, plain, operator, status=Status.CLOSED)).outcome is None
    closed = await change(
        core, with_outcome, operator, status=Status.CLOSED, outcome=Outcome.RESOLVED
    )
    assert closed.outcome == Outcome.RESOLVED


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(Status.CLOSED, Outcome.DUPLICATE), (None, Outcome.RESOLVED)],
    ids=["duplicate-by-patch", "outcome-on-open-case"],
)
async def test_outcomes_are_refused_where_they_do_not_belong(
    core: Core, status: Status | None, outcome: Outcome
) -> None:
    operator = await make_staff(core, "oper", "operator")
    ref = (await submit(core)).ref
    await walk_case(core, ref, operator, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED)
    before = await content_snapshot(core)
    with pytest.raises(OutcomeOnlyWhenClosed):
        await change(core, ref, operator, status=status, outcome=outcome)
    assert await content_snapshot(core) == before


# A child is involved -------------------------------------------------------------------


async def test_a_child_case_closes_only_after_a_child_protection_referral(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    other = await partner(core, "Food bank")
    child_protection = await partner(core, "Служба у справах дітей", child_protection=True)
    ref = (await submit(core)).ref
    await change(core, ref, operator, status=Status.ACKNOWLEDGED, child_involved=True)
    await refer(core, ref, operator, other, Consent.GIVEN)
    await walk_case(core, ref, operator, Status.RESOLVED)
    before = await content_snapshot(core)
    with pytest.raises(ChildReferralMissing):
        await change(core, ref, operator, status=Status.CLOSED, outcome=Outcome.REFERRED)
    assert await content_snapshot(core) == before
    await refer(core, ref, operator, child_protection, Consent.REFUSED)
    case = await change(core, ref, operator, status=Status.CLOSED, outcome=Outcome.REFERRED)
    assert case.status == Status.CLOSED and case.referral_target_id == child_protection


async def test_a_focal_points_reason_lets_a_child_case_close(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    focal = await make_staff(core, "focal", "focal_point")
    ref = (await submit(core)).ref
    await change(core, ref, operator, status=Status.ACKNOWLEDGED, child_involved=True)
    await walk_case(core, ref, operator, Status.IN_PROGRESS, Status.RESOLVED)
    with pytest.raises(PermissionDenied):
        async with core.database.transaction() as session:
            await OutcomeService(session, core).waive_child_referral(ref, operator, "Ні")
    with pytest.raises(InvalidInput):
        async with core.database.transaction() as session:
            await OutcomeService(session, core).waive_child_referral(ref, focal, "   ")
    async with core.database.transaction() as session:
        note = await OutcomeService(session, core).waive_child_referral(
            ref, focal, "Дитина вже під опікою служби; повторне звернення зашкодить."
        )
    case = await change(core, ref, operator, status=Status.CLOSED, outcome=Outcome.RESOLVED)
    assert case.status == Status.CLOSED and case.child_waiver_note == note.public_id
    assert AuditAction.CASE_CHILD_REFERRAL_WAIVED in await actions(core, ref)


async def test_a_reason_is_refused_for_a_case_without_a_child(core: Core) -> None:
    focal = await make_staff(core, "focal", "focal_point")
    ref = (await submit(core)).ref
    with pytest.raises(InvalidInput):
        async with core.database.transaction() as session:
            await OutcomeService(session, core).waive_child_referral(ref, focal, "Чому")


# Waiting for the reporter --------------------------------------------------------------


async def test_waiting_for_the_reporter_stops_the_sla_clock(core: Core, clock: FrozenClock) -> None:
    operator = await make_staff(core, "oper", "operator")
    ref = (await submit(core)).ref
    await walk_case(core, ref, operator, Status.ACKNOWLEDGED, Status.WAITING)
    due = (await case_of(core, ref)).resolve_due_at
    clock.advance(due - clock.now() + timedelta(days=2))  # two days past the deadline
    case = await case_of(core, ref)
    assert not case_sla(case, clock.now()).overdue
    async with core.database.transaction() as session:
        page = await Worklist(session, core).rows(operator, CaseFilter(overdue=True))
    assert page.items == []
    waited = clock.now() - (await case_of(core, ref)).waiting_since  # type: ignore[operator]
    case = await change(core, ref, operator, status=Status.IN_PROGRESS)
    assert case.resolve_due_at == due + waited and case.waiting_since is None
    assert not case_sla(case, clock.now()).overdue


async def test_a_case_left_waiting_closes_with_no_response(core: Core, clock: FrozenClock) -> None:
    operator = await make_staff(core, "oper", "operator")
    chat = (await submit(core, contact=ContactChoice(ContactMode.CHAT, chat_id=777))).ref
    anonymous = (await submit(core)).ref
    sealed = (await submit(core, category=SENSITIVE)).ref
    focal = await make_staff(core, "focal", "focal_point")
    await walk_case(core, chat, operator, Status.ACKNOWLEDGED, Status.WAITING)
    await walk_case(core, anonymous, operator, Status.ACKNOWLEDGED, Status.WAITING)
    await walk_case(core, sealed, focal, Status.ACKNOWLEDGED, Status.WAITING)
    clock.advance(timedelta(days=13, hours=23))
    async with core.database.transaction() as session:
        assert await OutcomeService(session, core).close_waiting() == 0
    clock.advance(timedelta(hours=1))
    async with core.database.transaction() as session:
        assert await OutcomeService(session, core).close_waiting() == 3
    for ref in (chat, anonymous, sealed):
        case = await case_of(core, ref)
        assert (case.status, case.outcome) == (Status.CLOSED, Outcome.NO_RESPONSE)
    async with core.database.transaction() as session:
        notices = list(
            await session.scalars(
                select(OutboxMessage.case_id).where(OutboxMessage.kind == OutboxKind.NOTICE)
            )
        )
    assert notices == [(await case_of(core, chat)).id]


async def test_a_waiting_child_case_without_a_referral_stays_open(
    core: Core, clock: FrozenClock
) -> None:
    operator = await make_staff(core, "oper", "operator")
    ref = (await submit(core)).ref
    await change(core, ref, operator, status=Status.ACKNOWLEDGED, child_involved=True)
    await walk_case(core, ref, operator, Status.WAITING)
    clock.advance(timedelta(days=30))
    async with core.database.transaction() as session:
        assert await OutcomeService(session, core).close_waiting() == 0
    assert (await case_of(core, ref)).status == Status.WAITING


# Duplicates ----------------------------------------------------------------------------


async def mark(core: Core, ref: str, actor: Actor, kept: str, version: int | None = None) -> Case:
    expected = (await case_of(core, ref)).version if version is None else version
    async with core.database.transaction() as session:
        return await OutcomeService(session, core).mark_duplicate(
            ref, actor, expected_version=expected, kept_ref=kept
        )


async def test_a_duplicate_is_closed_linked_and_its_additions_go_to_the_kept_case(
    core: Core,
) -> None:
    operator = await make_staff(core, "oper", "operator")
    kept = (await submit(core)).ref
    duplicate = await submit(core, narrative="Те саме ще раз.")
    case = await mark(core, duplicate.ref, operator, kept)
    assert (case.status, case.outcome) == (Status.CLOSED, Outcome.DUPLICATE)
    async with core.database.transaction() as session:
        triage = TriageService(session, core)
        assert (await triage.detail(duplicate.ref, operator)).duplicate_of == kept
        assert (await triage.detail(kept, operator)).duplicates == [duplicate.ref]
    # The reporter adds to their own (duplicate) case: it lands on the case kept.
    kept_id = (await case_of(core, kept)).id
    async with core.database.transaction() as session:
        intake = IntakeService(session, core)
        addition = await intake.add_reporter_info(case.id, text="Ще одна деталь")
    assert addition.case_id == kept_id
    async with core.database.transaction() as session:
        bodies = list(await session.scalars(select(CaseAddition.case_id)))
    assert bodies == [kept_id]
    assert AuditAction.CASE_ADDITION_REDIRECTED in await actions(core, duplicate.ref)
    assert AuditAction.CASE_MARKED_DUPLICATE in await actions(core, kept)


async def test_duplicates_that_cannot_be_are_refused(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    focal = await make_staff(core, "focal", "focal_point")
    kept = (await submit(core)).ref
    other = (await submit(core)).ref
    sealed = (await submit(core, category=SENSITIVE)).ref
    await mark(core, other, operator, kept)
    third = (await submit(core)).ref
    before = await content_snapshot(core)
    for ref, actor, target in (
        (third, operator, third),  # itself
        (third, operator, other),  # a duplicate itself
        (other, operator, third),  # already closed
        (sealed, focal, kept),  # sealed onto standard
        (third, focal, sealed),  # standard onto sealed
    ):
        with pytest.raises(NotADuplicate):
            await mark(core, ref, actor, target)
    with pytest.raises(StaleVersion):
        await mark(core, third, operator, kept, version=99)
    assert await content_snapshot(core) == before


async def test_retention_empties_referral_notes_and_keeps_the_figures(
    core: Core, clock: FrozenClock
) -> None:
    operator = await make_staff(core, "oper", "operator")
    legal = await partner(core, "Правова допомога")
    ref = (await submit(core)).ref
    await walk_case(core, ref, operator, Status.ACKNOWLEDGED)
    await refer(core, ref, operator, legal, Consent.GIVEN, "Телефон юриста 067…")
    await walk_case(core, ref, operator, Status.RESOLVED, Status.CLOSED)
    clock.advance(timedelta(days=366))
    async with core.database.transaction() as session:
        report = await RetentionService(session, core).purge()
    assert report.details["referral_notes"] == 1
    async with core.database.transaction() as session:
        row = await session.scalar(select(CaseReferral))
        assert row is not None
        assert (row.note, row.note_enc, row.partner_id, row.consent) == (
            None,
            None,
            legal,
            Consent.GIVEN,
        )
    case = await case_of(core, ref)
    assert (case.outcome, case.referral_target_id) == (Outcome.RESOLVED, legal)
