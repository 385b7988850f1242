"""What changed since I last looked (issue 21 §3), on both engines: a reporter's addition
or reply, a reply that could not be delivered and a case assigned to me mark the case
as new for me until I open it; the tabs count those cases; visibility still rules."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import ActivityKind, AuditAction, ContactMode, Language
from storage.models import AuditEvent
from storage.repositories.filters import CaseFilter
from storage.services.activity import NEWS_WINDOW
from storage.services.exclusions import Exclusions
from storage.services.intake import ContactChoice, IntakeService
from storage.services.outbox import OutboxService
from storage.services.triage import CaseChanges, TriageService
from storage.services.worklist import Worklist
from tests.storage.helpers import make_staff, submit


async def news(core: Core, actor: Actor) -> tuple[dict[str, set[str]], dict[str, int]]:
    """What is new to ``actor`` on the cases of their worklist (by reference), and how
    many such cases per status."""
    async with core.database.transaction() as session:
        worklist = Worklist(session, core)
        page = await worklist.page(actor, CaseFilter(), limit=200)
        marks = await worklist.new_activity(actor, [c.id for c in page.items])
        refs = {c.id: c.ref for c in page.items}
        counts = await worklist.new_activity_by_status(actor, CaseFilter())
    return {refs[i]: kinds for i, kinds in marks.items()}, counts


async def add(core: Core, ref: str, text: str, kind: ActivityKind | None = None) -> None:
    async with core.database.transaction() as session:
        case = await TriageService(session, core).get_visible(
            ref, Actor.staff(0, "system", "focal_point"), audit_read=False
        )
        extra = {"kind": kind} if kind else {}
        await IntakeService(session, core).add_reporter_info(case.id, text=text, **extra)


async def open_case(core: Core, ref: str, actor: Actor) -> None:
    """As the console's case page does: a read scope, the opening written after it."""
    async with core.database.read_scope() as session:
        await TriageService(session, core).page(ref, actor, mark_seen=True)


async def test_markers_until_the_case_is_opened(core: Core, clock: FrozenClock) -> None:
    olena = await make_staff(core, "olena", "operator")
    petro = await make_staff(core, "petro", "operator")
    first = await submit(core)
    second = await submit(core)
    assert await news(core, olena) == ({}, {})  # a case with nothing after it is not "new"

    await add(core, first.ref, "Забула сказати: ще й грубили")
    assert await news(core, olena) == ({first.ref: {"reporter_added"}}, {"new": 1})
    assert await news(core, petro) == ({first.ref: {"reporter_added"}}, {"new": 1})

    # Opened in the same minute as the addition (a reporter's time is kept to the
    # minute): it is seen all the same, for Olena only.
    await open_case(core, first.ref, olena)
    assert await news(core, olena) == ({}, {})
    assert (await news(core, petro))[0] == {first.ref: {"reporter_added"}}
    # Opening it again without anything new writes nothing more; something new marks it.
    await open_case(core, first.ref, olena)
    clock.advance(timedelta(seconds=20))
    await add(core, first.ref, "І ще одне", ActivityKind.REPORTER_REPLIED)
    assert (await news(core, olena))[0] == {first.ref: {"reporter_replied"}}

    # Assigned by someone else: new to the assignee only. Taking it oneself is not news.
    async with core.database.transaction() as session:
        await TriageService(session, core).update(
            second.ref,
            petro,
            expected_version=None,
            changes=CaseChanges(set_assignee=True, assignee_id=olena.user_id),
        )
    marks, counts = await news(core, olena)
    assert marks == {first.ref: {"reporter_replied"}, second.ref: {"assigned"}}
    assert counts == {"new": 2}
    assert second.ref not in (await news(core, petro))[0]
    async with core.database.transaction() as session:
        await TriageService(session, core).update(
            second.ref,
            petro,
            expected_version=None,
            changes=CaseChanges(set_assignee=True, assignee_id=petro.user_id),
        )
    assert second.ref not in (await news(core, petro))[0]

    # A month on, what nobody opened is no longer news.
    clock.advance(NEWS_WINDOW + timedelta(minutes=1))
    assert await news(core, olena) == ({}, {})


async def test_a_reply_that_was_not_delivered(core: Core) -> None:
    olena = await make_staff(core, "olena", "operator")
    made = await submit(core, contact=ContactChoice(ContactMode.CHAT, chat_id=1))
    async with core.database.transaction() as session:
        await TriageService(session, core).add_reply(made.ref, olena, {Language.UK: "Так"})
    await open_case(core, made.ref, olena)
    async with core.database.transaction() as session:
        outbox = OutboxService(session, core)
        (claimed,) = await outbox.claim()
        await outbox.mark_undeliverable(claimed.outbox_id, error="blocked")
    assert await news(core, olena) == ({made.ref: {"delivery_failed"}}, {"new": 1})


async def test_sealed_cases_keep_their_rules(core: Core) -> None:
    olena = await make_staff(core, "olena", "operator")
    anna = await make_staff(core, "anna", "focal_point")
    borys = await make_staff(core, "borys", "focal_point")
    sealed = await submit(core, category="sexual_exploitation")
    await add(core, sealed.ref, "Він знову приходив")
    # Not a trace for an operator, not even in a count.
    assert await news(core, olena) == ({}, {})
    assert await news(core, anna) == ({sealed.ref: {"reporter_added"}}, {"new": 1})
    # Opening it marks it seen and is audited as every read of a sealed case is.
    await open_case(core, sealed.ref, anna)
    assert await news(core, anna) == ({}, {})
    async with core.database.transaction() as session:
        reads = (
            await session.scalars(
                select(AuditEvent.actor_id).where(AuditEvent.action == AuditAction.CASE_READ)
            )
        ).all()
    assert reads == [anna.user_id]
    # Kept away from it, a focal point is not told about it either.
    async with core.database.transaction() as session:
        await Exclusions(session, core).keep_away(sealed.ref, anna, borys.user_id)
    assert await news(core, borys) == ({}, {})
