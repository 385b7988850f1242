"""Moving a case into, within and out of the sealed channel (issue 21 §1), on both engines."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import AuditAction, Language, Priority, Status
from storage.errors import (
    CaseNotFound,
    PermissionDenied,
    ReasonRequired,
    SameCategory,
    StaleVersion,
    UnknownCategory,
)
from storage.models import AuditEvent, Case, CaseAddition, CaseSearchToken, PublicSummary
from storage.repositories.filters import CaseFilter
from storage.services.intake import IntakeService
from storage.services.reclassify import Reclassification, Reclassified, forget_plain_copies
from storage.services.transparency import TransparencyService
from storage.services.triage import CaseChanges, TriageService
from storage.services.worklist import Worklist
from tests.storage.helpers import (
    TO_CLOSED,
    Reporters,
    content_snapshot,
    dump_rows,
    dump_text,
    make_staff,
    submit,
    walk_case,
)

WORD = "quokkaharvestmoon"
ADDED = "zephyrlanternfish"
NOTED = "marmaladeorbit"
REPLIED = "velvetcompass"


async def misfiled(core: Core, operator: Actor) -> tuple[str, str]:
    """A child's report filed as staff behaviour, with an addition, a note and a reply;
    its reference and receipt code."""
    made = await submit(
        core,
        category="staff_conduct",
        narrative=f"The distributor asks my 15-year-old sister for {WORD} in exchange for food;"
        " він просив мою сестру прийти ввечері",
    )
    async with core.database.transaction() as session:
        triage = TriageService(session, core)
        case = await triage.get_visible(made.ref, operator)
        await IntakeService(session, core).add_reporter_info(case.id, text=f"Again {ADDED}")
        await triage.add_note(made.ref, operator, f"Called about {NOTED}")
        await triage.add_reply(made.ref, operator, {Language.UK: f"Дякуємо, {REPLIED}"})
    return made.ref, made.receipt_code


async def move(
    core: Core,
    ref: str,
    actor: Actor,
    category: str,
    *,
    version: int | None = None,
    note: str | None = None,
    reason: str | None = None,
) -> Reclassified:
    async with core.database.transaction() as session:
        if version is None:
            version = (await TriageService(session, core).get_visible(ref, actor)).version
        return await Reclassification(session, core).move(
            ref, actor, expected_version=version, category=category, note=note, reason=reason
        )


async def case_row(core: Core, ref: str) -> Case:
    async with core.database.transaction() as session:
        case = await session.scalar(select(Case).where(Case.ref == ref))
        assert case is not None
        return case


async def listed(core: Core, actor: Actor, query: str | None = None) -> tuple[list[str], int]:
    async with core.database.transaction() as session:
        page = await Worklist(session, core).rows(actor, CaseFilter(), query=query)
        return [row["ref"] for row in page.items], page.total


async def test_an_operator_seals_a_misfiled_report(core: Core, clock: FrozenClock) -> None:
    operator = await make_staff(core, "olena", "operator")
    focal = await make_staff(core, "focal", "focal_point")
    ref, receipt = await misfiled(core, operator)
    other = await submit(core, narrative="Черга на видачу була довгою")
    async with core.database.transaction() as session:
        case = await TriageService(session, core).get_visible(ref, operator)
        await TriageService(session, core).update(
            ref,
            operator,
            expected_version=case.version,
            changes=CaseChanges(set_assignee=True, assignee_id=operator.user_id),
        )
    assert (await listed(core, operator, WORD))[0] == [ref]
    clock.advance(timedelta(hours=30))

    moved = await move(core, ref, operator, "sexual_exploitation", note="Looks like SEA")
    assert moved.sealed and not moved.unsealed and not moved.still_visible
    assert await forget_plain_copies(core)

    # For the operator it no longer exists: not by reference, not listed, not counted,
    # not found by its words.
    async with core.database.read_only() as session:
        with pytest.raises(CaseNotFound):
            await TriageService(session, core).get_visible(ref, operator)
    assert await listed(core, operator) == ([other.ref], 1)
    assert await listed(core, operator, WORD) == ([], 0)
    assert await listed(core, operator, ADDED) == ([], 0)

    # Sealed exactly as if filed that way.
    case = await case_row(core, ref)
    assert case.sensitive and case.category == "sexual_exploitation"
    assert case.priority is Priority.URGENT
    assert case.acknowledge_due_at == case.created_at + timedelta(hours=24)
    assert case.resolve_due_at == case.created_at + timedelta(hours=72)
    assert case.narrative is None and case.narrative_enc is not None
    assert case.assignee_id is None  # an operator cannot hold it
    dump = dump_text(await dump_rows(core))
    for word in (WORD, ADDED, NOTED, REPLIED, "Looks like SEA"):
        assert word not in dump, word
    # Nor their lemmas, which search keeps beside plain text ("сестра" from "сестру").
    async with core.database.transaction() as session:
        lemmas = [
            await session.scalar(select(Case.lemmas).where(Case.id == case.id)),
            *(
                await session.scalars(
                    select(CaseAddition.lemmas).where(CaseAddition.case_id == case.id)
                )
            ).all(),
        ]
    assert not any(lemmas), lemmas

    # The focal point reads all of it, finds it through the blind index.
    async with core.database.transaction() as session:
        detail = await TriageService(session, core).detail(ref, focal)
    assert WORD in (detail.narrative or "")
    assert [a.text for a in detail.additions] == [f"Again {ADDED}"]
    assert [n.text for n in detail.notes] == [f"Called about {NOTED}", "Looks like SEA"]
    assert [r.texts for r in detail.replies] == [{"uk": f"Дякуємо, {REPLIED}"}]
    assert (await listed(core, focal, WORD))[0] == [ref]
    assert (await listed(core, focal, ADDED))[0] == [ref]

    # Audited with who and when, and the trail is a sealed one.
    async with core.database.transaction() as session:
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == AuditAction.CASE_RECLASSIFIED)
        )
    assert event is not None and event.sensitive
    assert (event.actor_id, event.actor_name, event.at) == (operator.user_id, "olena", clock.now())
    assert event.before is not None and event.after is not None
    assert event.before["category"] == "staff_conduct" and event.after["category"] == (
        "sexual_exploitation"
    )
    assert event.before["assignee_id"] == operator.user_id and event.after["assignee_id"] is None

    # The reporter's code still opens it, and nothing tells them it moved.
    async with core.database.transaction() as session:
        intake = IntakeService(session, core)
        found = await intake.lookup_receipt(receipt, misses=Reporters(core).misses("r"))
        assert found is not None and found.ref == ref
        view = await intake.reporter_view(found, language=Language.UK)
    assert [r.text for r in view.replies] == [f"Дякуємо, {REPLIED}"]
    assert view.category == "staff_conduct"  # what they chose, not where it went


async def test_the_plain_text_leaves_the_database_files(core: Core) -> None:
    """SQLite: not a byte of the old text in the file or the log; PostgreSQL: the content
    tables are vacuumed (what dead rows may keep until then: README)."""
    operator = await make_staff(core, "olena", "operator")
    ref, _ = await misfiled(core, operator)
    kept = await submit(core, narrative="An open zanzibarcase")
    if core.database.dialect == "sqlite":
        database = make_url(core.settings.database_url).database
        assert database
        files = list(Path(database).parent.glob("holos.db*"))

        def raw() -> bytes:
            return b"".join(p.read_bytes() for p in files if p.is_file())

        assert WORD.encode() in raw()
        await move(core, ref, operator, "sexual_exploitation")
        assert await forget_plain_copies(core)
        await core.database.engine.dispose()
        for word in (WORD, ADDED, NOTED, REPLIED):
            assert word.encode() not in raw(), word
        assert b"zanzibarcase" in raw()
    else:
        last_vacuum = text("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = :t")
        async with core.database.engine.connect() as conn:
            before = {t: await conn.scalar(last_vacuum, {"t": t}) for t in ("cases", "replies")}
        await move(core, ref, operator, "sexual_exploitation")
        await forget_plain_copies(core)
        async with core.database.engine.connect() as conn:
            for table, then in before.items():
                now = await conn.scalar(last_vacuum, {"t": table})
                assert now is not None and now != then, table
    # Standard search still works on what is left.
    assert (await listed(core, operator, "zanzibarcase"))[0] == [kept.ref]


async def test_a_stale_reclassification_changes_nothing(core: Core) -> None:
    operator = await make_staff(core, "olena", "operator")
    other = await make_staff(core, "petro", "operator")
    made = await submit(core, category="staff_conduct")
    async with core.database.transaction() as session:
        version = (await TriageService(session, core).get_visible(made.ref, operator)).version
    # A colleague changes the case meanwhile.
    async with core.database.transaction() as session:
        await TriageService(session, core).update(
            made.ref,
            other,
            expected_version=version,
            changes=CaseChanges(status=Status.ACKNOWLEDGED),
        )
    before = await content_snapshot(core)
    with pytest.raises(StaleVersion):
        await move(core, made.ref, operator, "sexual_exploitation", version=version)
    assert await content_snapshot(core) == before


async def test_what_an_operator_may_not_do(core: Core) -> None:
    operator = await make_staff(core, "olena", "operator")
    made = await submit(core, category="staff_conduct")
    before = await content_snapshot(core)
    with pytest.raises(PermissionDenied):
        await move(core, made.ref, operator, "assistance_quality")
    with pytest.raises(SameCategory):
        await move(core, made.ref, operator, "staff_conduct")
    with pytest.raises(UnknownCategory):
        await move(core, made.ref, operator, "no_such_category")
    assert await content_snapshot(core) == before
    # A sealed case does not exist for an operator, so it cannot be moved back by one.
    sealed = await submit(core, category="fraud_corruption")
    with pytest.raises(CaseNotFound):
        await move(core, sealed.ref, operator, "staff_conduct", version=1, reason="wrong")


async def test_a_focal_point_moves_within_and_out_with_a_reason(core: Core) -> None:
    operator = await make_staff(core, "olena", "operator")
    focal = await make_staff(core, "focal", "focal_point")
    ref, _ = await misfiled(core, operator)
    await move(core, ref, operator, "sexual_exploitation")
    # Within the sealed channel.
    within = await move(core, ref, focal, "trafficking")
    assert not within.sealed and not within.unsealed and within.still_visible
    assert (await case_row(core, ref)).category == "trafficking"
    # Out needs a written reason; without one nothing changes.
    before = await content_snapshot(core)
    with pytest.raises(ReasonRequired):
        await move(core, ref, focal, "assistance_request", reason="   ")
    assert await content_snapshot(core) == before
    out = await move(
        core, ref, focal, "assistance_request", reason="An aid request, no allegation in it"
    )
    assert out.unsealed
    case = await case_row(core, ref)
    assert not case.sensitive and case.priority is Priority.NORMAL
    assert case.narrative is not None and WORD in case.narrative and case.narrative_enc is None
    async with core.database.transaction() as session:
        tokens = await session.scalar(
            select(CaseSearchToken.token).where(CaseSearchToken.case_id == case.id).limit(1)
        )
        events = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == AuditAction.CASE_RECLASSIFIED)
            )
        ).all()
    assert tokens is None
    assert events[-1].after is not None
    assert events[-1].after["reason"] == "An aid request, no allegation in it"
    assert events[-1].actor_id == focal.user_id
    # Operators see it again, with everything plain and searchable.
    assert (await listed(core, operator, NOTED))[0] == []  # notes are not searched
    assert (await listed(core, operator, ADDED))[0] == [ref]
    async with core.database.transaction() as session:
        detail = await TriageService(session, core).detail(ref, operator)
    assert [r.texts for r in detail.replies] == [{"uk": f"Дякуємо, {REPLIED}"}]
    # A focal point may also change a category within the standard channel.
    assert not (await move(core, ref, focal, "information_request")).sealed


async def test_sealing_withdraws_a_public_summary(core: Core) -> None:
    operator = await make_staff(core, "olena", "operator")
    writer = await make_staff(core, "writer", "focal_point")
    approver = await make_staff(core, "approver", "focal_point")
    made = await submit(core, category="staff_conduct")
    await walk_case(core, made.ref, operator, *TO_CLOSED)
    async with core.database.transaction() as session:
        service = TransparencyService(session, core)
        await service.write(made.ref, writer, {Language.EN: "Staff were retrained."})
        await service.approve(made.ref, approver)
    await move(core, made.ref, operator, "sexual_exploitation")
    async with core.database.read_only() as session:
        assert await session.get(PublicSummary, (await case_row(core, made.ref)).id) is None
        actions = (await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))).all()
    assert AuditAction.CASE_PUBLIC_SUMMARY_WITHDRAWN in actions
