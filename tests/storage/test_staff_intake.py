"""Reports staff log ("New case"): the channel, the code read out, the one-time claim code
of a sealed case, a contact, no follow-up, and a form posted twice; on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.access import Actor
from storage.core import Core
from storage.enums import AuditAction, Channel, ContactMode, FollowUpMode, Language
from storage.errors import (
    CaseNotFound,
    ClaimAlreadyUsed,
    EmptyNarrative,
    InvalidInput,
    PermissionDenied,
    RateLimited,
)
from storage.models import AuditEvent, Case, ContactDetail
from storage.services.intake import IntakeService, LoggedCase, StaffLoggedReport
from storage.services.triage import TriageService
from tests.storage.helpers import Reporters, make_staff, report


def logged(
    *,
    follow_up: FollowUpMode = FollowUpMode.CODE,
    key: str | None = None,
    contact: str | None = None,
    **overrides: Any,
) -> StaffLoggedReport:
    overrides.setdefault("channel", Channel.HOTLINE)
    return StaffLoggedReport(
        report=report(**overrides),
        follow_up=follow_up,
        intake_key=key or secrets.token_urlsafe(16),
        contact=contact,
    )


async def log(core: Core, actor: Actor, item: StaffLoggedReport) -> LoggedCase:
    async with core.database.transaction() as session:
        return await IntakeService(session, core).log_case(actor, item)


async def case_row(core: Core, ref: str) -> Case:
    async with core.database.transaction() as session:
        case = await session.scalar(select(Case).where(Case.ref == ref))
        assert case is not None
        return case


async def test_a_hotline_call_gets_a_receipt_code_that_opens_the_case(core: Core) -> None:
    operator = await make_staff(core, "olena", "operator")
    done = await log(core, operator, logged(language=Language.UK))
    assert done.code is not None and not done.claim and not done.sensitive
    case = await case_row(core, done.ref)
    assert case.channel is Channel.HOTLINE
    assert case.claim_hash is None and case.contact_mode is ContactMode.ANONYMOUS
    async with core.database.transaction() as session:
        match = await IntakeService(session, core).lookup_code(
            done.code, misses=Reporters(core).misses("caller")
        )
    assert match is not None and match.case.ref == done.ref and match.receipt_code is None


async def test_who_logged_it_is_in_the_audit_trail_only(core: Core) -> None:
    operator = await make_staff(core, "olena", "operator")
    done = await log(core, operator, logged(channel=Channel.LETTER))
    async with core.database.transaction() as session:
        event = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.case_ref == done.ref, AuditEvent.action == AuditAction.CASE_CREATED
            )
        )
    assert event is not None
    assert (event.actor_id, event.actor_name) == (operator.user_id, "olena")
    assert event.after is not None
    assert event.after["channel"] == "letter" and event.after["follow_up"] == "code"
    columns = {c.name for c in Case.__table__.columns}
    assert not {"logged_by", "author_id", "created_by"} & columns


async def test_a_sealed_case_gets_a_claim_code_exchanged_once(core: Core) -> None:
    operator = await make_staff(core, "olena", "operator")
    done = await log(
        core, operator, logged(category="sexual_exploitation", channel=Channel.IN_PERSON)
    )
    assert done.sensitive and done.claim and done.code is not None
    people = Reporters(core)
    # The claim code is not a receipt code: the plain receipt lookup does not open it.
    async with core.database.transaction() as session:
        assert (
            await IntakeService(session, core).lookup_receipt(
                done.code, misses=people.misses("someone")
            )
            is None
        )
    async with core.database.transaction() as session:
        match = await IntakeService(session, core).lookup_code(
            done.code, misses=people.misses("person")
        )
        assert match is not None and match.receipt_code is not None
        own = match.receipt_code
    assert own != done.code
    case = await case_row(core, done.ref)
    assert case.claimed_at is not None
    # The person's own code opens the case from now on; the claim code never again.
    async with core.database.transaction() as session:
        again = await IntakeService(session, core).lookup_code(own, misses=people.misses("person"))
    assert again is not None and again.case.ref == done.ref and again.receipt_code is None
    async with core.database.transaction() as session:
        with pytest.raises(ClaimAlreadyUsed):
            await IntakeService(session, core).lookup_code(
                done.code, misses=people.misses("operator")
            )
    async with core.database.transaction() as session:
        actions = list(
            await session.scalars(select(AuditEvent.action).where(AuditEvent.case_ref == done.ref))
        )
    assert AuditAction.CASE_CLAIMED in actions


async def test_the_logging_operator_cannot_open_a_sealed_case(core: Core) -> None:
    operator = await make_staff(core, "olena", "operator")
    focal = await make_staff(core, "focal", "focal_point")
    done = await log(core, operator, logged(category="sexual_exploitation", narrative="Розповідь"))
    async with core.database.transaction() as session:
        with pytest.raises(CaseNotFound):
            await TriageService(session, core).page(done.ref, operator)
    async with core.database.transaction() as session:
        page = await TriageService(session, core).page(done.ref, focal)
    assert page.case.sensitive and page.case.narrative is None


async def test_a_wrong_claim_code_counts_like_a_wrong_receipt_code(core: Core) -> None:
    operator = await make_staff(core, "olena", "operator")
    done = await log(core, operator, logged(category="sexual_exploitation"))
    assert done.code is not None
    people = Reporters(core)
    limit = core.settings.receipt_failures_per_hour
    wrong = str((int(done.code) + 1) % 10**16).zfill(16)
    for _ in range(limit):
        async with core.database.transaction() as session:
            assert (
                await IntakeService(session, core).lookup_code(wrong, misses=people.misses("p"))
                is None
            )
    assert await people.misses("p").used() == limit
    async with core.database.transaction() as session:
        with pytest.raises(RateLimited):
            await IntakeService(session, core).lookup_code(done.code, misses=people.misses("p"))


async def test_a_contact_is_sealed_and_no_code_is_shown(core: Core) -> None:
    operator = await make_staff(core, "olena", "operator")
    done = await log(
        core, operator, logged(follow_up=FollowUpMode.CONTACT, contact="+380 67 123 45 67")
    )
    assert done.code is None
    case = await case_row(core, done.ref)
    assert case.contact_mode is ContactMode.TYPED
    async with core.database.transaction() as session:
        detail = await session.get(ContactDetail, case.id)
    assert detail is not None and b"380" not in detail.contact_enc


async def test_no_follow_up_stores_no_contact_and_shows_no_code(core: Core) -> None:
    operator = await make_staff(core, "olena", "operator")
    done = await log(core, operator, logged(follow_up=FollowUpMode.NONE))
    assert done.code is None and not done.claim
    case = await case_row(core, done.ref)
    assert case.contact_mode is ContactMode.ANONYMOUS and case.claim_hash is None


async def test_a_form_posted_twice_makes_one_case(core: Core) -> None:
    operator = await make_staff(core, "olena", "operator")
    item = logged()
    first = await log(core, operator, item)
    second = await log(core, operator, item)
    assert second.repeated and second.ref == first.ref and second.code is None
    async with core.database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Case)) == 1


async def test_an_empty_account_is_refused(core: Core) -> None:
    operator = await make_staff(core, "olena", "operator")
    with pytest.raises(EmptyNarrative):
        await log(core, operator, logged(narrative="  \n "))
    async with core.database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Case)) == 0


@pytest.mark.parametrize("channel", [Channel.TELEGRAM, Channel.WEB])
async def test_staff_log_only_the_channels_people_reach_them_by(
    core: Core, channel: Channel
) -> None:
    operator = await make_staff(core, "olena", "operator")
    with pytest.raises(InvalidInput):
        await log(core, operator, logged(channel=channel))


@pytest.mark.parametrize("key", ["", "short", "has spaces in it!!", "x" * 65])
async def test_a_form_without_a_proper_key_is_refused(core: Core, key: str) -> None:
    operator = await make_staff(core, "olena", "operator")
    item = logged()
    with pytest.raises(InvalidInput):
        await log(
            core,
            operator,
            StaffLoggedReport(report=item.report, follow_up=item.follow_up, intake_key=key),
        )


@pytest.mark.parametrize("role", ["analyst", "admin"])
async def test_only_operators_and_focal_points_log_cases(core: Core, role: str) -> None:
    someone = await make_staff(core, "someone", role)
    with pytest.raises(PermissionDenied):
        await log(core, someone, logged())


async def test_a_form_posted_twice_at_once_makes_one_case(core: Core) -> None:
    operator = await make_staff(core, "olena", "operator")
    item = logged()
    first, second = await asyncio.gather(log(core, operator, item), log(core, operator, item))
    assert first.ref == second.ref
    assert sorted([first.repeated, second.repeated]) == [False, True]
    async with core.database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Case)) == 1
