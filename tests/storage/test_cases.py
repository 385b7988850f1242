"""Case intake, the reporter's follow-up and the staff lifecycle, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import ContactMode, Language, OutboxKind, Priority, Status
from storage.errors import (
    AssigneeCannotSeeCase,
    CaseNotFound,
    DomainError,
    EmptyNarrative,
    IllegalTransition,
    InvalidContact,
    InvalidReceiptCode,
    InvalidTag,
    NarrativeTooLong,
    PermissionDenied,
    RateLimited,
    ReceiptTaken,
    StaleVersion,
    UnknownCategory,
    UnknownOblast,
    UnknownProgramme,
)
from storage.lifecycle import TRANSITIONS
from storage.models import AuditEvent, Case, OutboxMessage
from storage.refs import canonical_ref
from storage.repositories.cases import CaseRepository
from storage.services.intake import ContactChoice, IntakeService
from storage.services.throttle import ReceiptGuard
from storage.services.triage import CaseChanges, TriageService
from tests.storage.helpers import Reporters, content_snapshot, make_staff, report, submit
from tgemu import samples


async def get_case(core: Core, ref: str) -> Case:
    async with core.database.transaction() as session:
        case = await session.scalar(select(Case).where(Case.ref == ref))
        assert case is not None
        return case


async def patch(core: Core, ref: str, actor: Actor, version: int, **changes: object) -> Case:
    async with core.database.transaction() as session:
        return await TriageService(session, core).update(
            ref, actor, expected_version=version, changes=CaseChanges(**changes)
        )


# Intake --------------------------------------------------------------------------------


async def test_submitting_a_standard_report(core: Core, clock: FrozenClock) -> None:
    submitted = await submit(core)
    assert re.fullmatch(
        r"HL-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]", submitted.ref
    )
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", submitted.receipt_code_display)
    case = await get_case(core, submitted.ref)
    assert case.status == "new" and case.priority == "normal" and not case.sensitive
    assert case.narrative == "Видали менше продуктів, ніж у списку."
    assert case.narrative_enc is None
    assert case.acknowledge_due_at == clock.now() + timedelta(hours=72)
    assert case.resolve_due_at == clock.now() + timedelta(days=30)
    assert case.language == "uk" and case.oblast == "UA-63" and case.programme == "food"
    assert case.receipt_hash != submitted.receipt_code
    async with core.database.transaction() as session:
        events = (await session.scalars(select(AuditEvent))).all()
    assert [(e.action, e.actor_kind, e.case_id) for e in events] == [
        ("case.created", "reporter", case.id)
    ]
    assert "narrative" not in (events[0].after or {})


async def test_references_are_random_and_checked(core: Core, clock: FrozenClock) -> None:
    """References tell nothing about how many cases exist: random, with a check character;
    looked up in any case, without hyphens, with O/I/L typed for 0/1."""
    made = [await submit(core) for _ in range(6)]
    refs = [m.ref for m in made]
    assert len(set(refs)) == 6
    for ref in refs:
        assert canonical_ref(ref) == ref
    # Random, not a counter: consecutive cases share no leading group. One clash of the
    # first four characters among six draws has a chance of 1 in 70 000 (it happened on
    # 7 Dec); two, below one in a billion. A counter would share its leading group with
    # every neighbour.
    assert len({r[:7] for r in refs}) >= 5
    ref = refs[0]
    async with core.database.transaction() as session:
        repo = CaseRepository(session)
        for typed in (ref.lower(), ref.replace("-", ""), f"  {ref.replace('-', ' ')} "):
            found = await repo.get_by_ref(typed)
            assert found is not None and found.ref == ref, typed
        wrong_check = ref[:-1] + ("0" if ref[-1] != "0" else "1")
        assert await repo.get_by_ref(wrong_check) is None
        assert await repo.get_by_ref("HL-2026-000001") is None


async def test_old_sequential_references_stay_valid(core: Core) -> None:
    made = await submit(core)
    async with core.database.transaction() as session:
        case = await session.scalar(select(Case).where(Case.ref == made.ref))
        assert case is not None
        case.ref = "HL-2025-000123"  # as stored before references became random
    async with core.database.transaction() as session:
        repo = CaseRepository(session)
        for typed in ("HL-2025-000123", "hl-2025-000123", "HL2025000123"):
            found = await repo.get_by_ref(typed)
            assert found is not None and found.ref == "HL-2025-000123", typed
    assert canonical_ref("HL-2025-00012") is None


@pytest.mark.parametrize(
    ("category", "priority", "ack_hours", "resolve_hours"),
    [
        ("fraud_corruption", "urgent", 24, 72),
        ("sexual_exploitation", "urgent", 24, 72),
        ("trafficking", "urgent", 24, 72),
        ("staff_conduct", "high", 72, 720),
        ("information_request", "low", 72, 168),
        ("suggestion", "low", 168, 720),
    ],
)
async def test_category_sets_sensitivity_priority_and_sla(
    core: Core, clock: FrozenClock, category: str, priority: str, ack_hours: int, resolve_hours: int
) -> None:
    submitted = await submit(core, category=category)
    case = await get_case(core, submitted.ref)
    assert case.priority == priority
    assert case.sensitive is (category in core.catalog.sensitive_codes)
    assert case.acknowledge_due_at - clock.now() == timedelta(hours=ack_hours)
    assert case.resolve_due_at - clock.now() == timedelta(hours=resolve_hours)


async def test_sensitive_narrative_is_stored_encrypted_only(core: Core) -> None:
    submitted = await submit(core, category="sexual_exploitation", narrative="Він вимагав.")
    case = await get_case(core, submitted.ref)
    assert case.narrative is None and case.narrative_enc is not None
    assert b"\xd0\x92\xd1\x96\xd0\xbd" not in case.narrative_enc  # "Він" in UTF-8
    async with core.database.transaction() as session:
        assert TriageService(session, core).narrative(case) == "Він вимагав."


@pytest.mark.parametrize(
    ("overrides", "error", "code"),
    [
        ({"category": "weather"}, UnknownCategory, "unknown_category"),
        ({"programme": "space"}, UnknownProgramme, "unknown_programme"),
        ({"oblast": "UA-99"}, UnknownOblast, "unknown_oblast"),
        ({"narrative": "   "}, EmptyNarrative, "empty_narrative"),
        ({"narrative": "я" * 6001}, NarrativeTooLong, "narrative_too_long"),
        (
            {"contact": ContactChoice(ContactMode.TYPED, typed="call me maybe")},
            InvalidContact,
            "invalid_contact",
        ),
    ],
)
async def test_bad_reports_are_refused_and_nothing_is_stored(
    core: Core, overrides: dict[str, object], error: type[DomainError], code: str
) -> None:
    await submit(core)  # something already there, which must stay as it is
    before = await content_snapshot(core)
    with pytest.raises(error) as caught:
        await submit(core, **overrides)
    assert caught.value.code == code and caught.value.message
    assert await content_snapshot(core) == before


async def test_a_report_can_be_files_only(core: Core) -> None:
    from storage.enums import AttachmentKind
    from storage.services.attachments import AttachmentService

    staged = await AttachmentService(core).stage(
        kind=AttachmentKind.DOCUMENT, mime_type="application/pdf", data=samples.pdf("test")
    )
    submitted = await submit(core, narrative="", attachments=[staged])
    case = await get_case(core, submitted.ref)
    assert case.narrative is None


# Receipt codes -------------------------------------------------------------------------


async def test_lookup_by_receipt_code_as_people_type_it(core: Core) -> None:
    people = Reporters(core)
    submitted = await submit(core)
    typed = submitted.receipt_code_display.replace(" ", "-")
    async with core.database.transaction() as session:
        found = await IntakeService(session, core).lookup_receipt(typed, misses=people.misses("p1"))
    assert found is not None and found.ref == submitted.ref


async def test_a_code_drawn_before_sending_is_the_case_s_and_taken_once(core: Core) -> None:
    """The bot draws the code while the draft is open and shows it; the case takes
    exactly that code, and a second submission with it (a «Send» whose draft outlived
    the case's commit) is refused instead of making a second case."""
    people = Reporters(core)
    async with core.database.transaction() as session:
        drawn = await IntakeService(session, core).draw_unused_receipt()
    again = await IntakeService.receipt_for(core.crypto, drawn.code)
    assert again == drawn
    async with core.database.transaction() as session:
        intake = IntakeService(session, core)
        assert not await intake.receipt_taken(again)
        submitted = await intake.submit(report(), receipt=again, exact=True)
    assert submitted.receipt_code == drawn.code
    async with core.database.transaction() as session:
        intake = IntakeService(session, core)
        assert await intake.receipt_taken(again)
        with pytest.raises(ReceiptTaken):
            await intake.submit(report(), receipt=again, exact=True)
    async with core.database.transaction() as session:
        found = await IntakeService(session, core).lookup_receipt(
            submitted.receipt_code_display, misses=people.misses("p1")
        )
        count = await session.scalar(select(func.count()).select_from(Case))
    assert found is not None and found.ref == submitted.ref and count == 1


async def test_a_wrong_code_finds_nothing_and_is_counted(core: Core) -> None:
    people = Reporters(core)
    await submit(core)
    async with core.database.transaction() as session:
        assert (
            await IntakeService(session, core).lookup_receipt("0" * 16, misses=people.misses("p1"))
            is None
        )
    assert await people.misses("p1").used() == 1


async def test_malformed_code_is_refused_not_counted(core: Core) -> None:
    people = Reporters(core)
    for _ in range(10):
        async with core.database.transaction() as session:
            with pytest.raises(InvalidReceiptCode):
                await IntakeService(session, core).lookup_receipt(
                    "12ab", misses=people.misses("p1")
                )
    assert await people.misses("p1").used() == 0
    submitted = await submit(core)
    async with core.database.transaction() as session:
        found = await IntakeService(session, core).lookup_receipt(
            submitted.receipt_code, misses=people.misses("p1")
        )
    assert found is not None


async def test_five_wrong_codes_an_hour_then_a_wait(core: Core, clock: FrozenClock) -> None:
    people = Reporters(core)
    submitted = await submit(core)
    for i in range(5):
        async with core.database.transaction() as session:
            assert (
                await IntakeService(session, core).lookup_receipt(
                    f"{i:016d}", misses=people.misses("p1")
                )
                is None
            )
        clock.advance(timedelta(minutes=1))
    # Even the right code waits now: otherwise the limit would leak which codes exist.
    async with core.database.transaction() as session:
        with pytest.raises(RateLimited) as caught:
            await IntakeService(session, core).lookup_receipt(
                submitted.receipt_code, misses=people.misses("p1")
            )
    assert 0 < caught.value.retry_after <= 3600
    # Another chat is not affected.
    async with core.database.transaction() as session:
        other = await IntakeService(session, core).lookup_receipt(
            submitted.receipt_code, misses=people.misses("p2")
        )
    assert other is not None
    clock.advance(timedelta(hours=1))
    async with core.database.transaction() as session:
        again = await IntakeService(session, core).lookup_receipt(
            submitted.receipt_code, misses=people.misses("p1")
        )
    assert again is not None


async def test_the_global_count_delays_new_pseudonyms_and_never_refuses_a_match(
    core: Core,
) -> None:
    people = Reporters(core)
    core.settings.receipt_global_failures_per_hour = 3
    submitted = await submit(core)
    for i in range(3):
        async with core.database.transaction() as session:
            await IntakeService(session, core).lookup_receipt(
                f"{i:016d}", misses=people.misses(f"p{i}")
            )
    async with core.database.transaction() as session:
        guard = ReceiptGuard(session, core.clock, global_cap=3, delay=5.0)
        # Under pressure a fresh pseudonym pays a delay; one that already missed paid it.
        assert await guard.delay_for(people.misses("fresh")) == 5.0
        assert await guard.delay_for(people.misses("p0")) == 0.0
    async with core.database.transaction() as session:
        found = await IntakeService(session, core).lookup_receipt(
            submitted.receipt_code, misses=people.misses("fresh")
        )
    assert found is not None  # the global count never refuses a code that matches
    async with core.database.transaction() as session:
        # A wrong code past the global count is a miss, not a refusal for everyone.
        assert (
            await IntakeService(session, core).lookup_receipt("9" * 16, misses=people.misses("new"))
            is None
        )


# The reporter's view -------------------------------------------------------------------


async def test_reporter_sees_status_and_replies_in_their_language(
    core: Core, clock: FrozenClock
) -> None:
    people = Reporters(core)
    operator = await make_staff(core, "olena", "operator")
    submitted = await submit(core, language=Language.RU)
    case = await get_case(core, submitted.ref)
    clock.advance(timedelta(hours=2))
    await patch(core, submitted.ref, operator, case.version, status=Status.ACKNOWLEDGED)
    clock.advance(timedelta(hours=1))
    async with core.database.transaction() as session:
        await TriageService(session, core).add_reply(
            submitted.ref,
            operator,
            {Language.EN: "We are checking.", Language.RU: "Мы проверяем."},
        )
    async with core.database.transaction() as session:
        service = IntakeService(session, core)
        found = await service.lookup_receipt(submitted.receipt_code, misses=people.misses("p"))
        assert found is not None
        view_ru = await service.reporter_view(found, language=Language.RU)
        view_uk = await service.reporter_view(found, language=Language.UK)
    assert view_ru.status is Status.ACKNOWLEDGED
    assert view_ru.last_update_at == clock.now()
    assert [r.text for r in view_ru.replies] == ["Мы проверяем."]
    # No Ukrainian text: fall back to the language the report was made in.
    assert [r.text for r in view_uk.replies] == ["Мы проверяем."]


async def test_reporter_adds_information_to_their_case(core: Core, clock: FrozenClock) -> None:
    submitted = await submit(core, category="fraud_corruption")
    case = await get_case(core, submitted.ref)
    clock.advance(timedelta(days=1))
    async with core.database.transaction() as session:
        addition = await IntakeService(session, core).add_reporter_info(
            case.id, text="Ще одна деталь: це було в середу."
        )
    assert addition.body is None and addition.body_enc is not None
    focal = await make_staff(core, "focal", "focal_point")
    async with core.database.transaction() as session:
        detail = await TriageService(session, core).detail(submitted.ref, focal)
    assert [a.text for a in detail.additions] == ["Ще одна деталь: це було в середу."]
    assert detail.case.reporter_updated_at == clock.now()


# Lifecycle -----------------------------------------------------------------------------


ALL_PAIRS = [(a, b) for a in Status for b in Status if a is not b]


def path_to(status: Status) -> list[Status]:
    paths = {
        Status.NEW: [],
        Status.ACKNOWLEDGED: [Status.ACKNOWLEDGED],
        Status.IN_PROGRESS: [Status.ACKNOWLEDGED, Status.IN_PROGRESS],
        Status.REFERRED: [Status.ACKNOWLEDGED, Status.REFERRED],
        Status.WAITING: [Status.ACKNOWLEDGED, Status.WAITING],
        Status.RESOLVED: [Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED],
        Status.CLOSED: [Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED],
    }
    return paths[status]


@pytest.mark.parametrize(("start", "target"), ALL_PAIRS, ids=lambda s: s.value)
async def test_status_machine(core: Core, start: Status, target: Status) -> None:
    operator = await make_staff(core, "oper", "operator")
    submitted = await submit(core)
    case = await get_case(core, submitted.ref)
    for step in path_to(start):
        case = await patch(core, submitted.ref, operator, case.version, status=step)
    before = await content_snapshot(core)
    if target in TRANSITIONS[start]:
        case = await patch(core, submitted.ref, operator, case.version, status=target)
        assert case.status == target.value
    else:
        with pytest.raises(IllegalTransition) as caught:
            await patch(core, submitted.ref, operator, case.version, status=target)
        allowed = sorted(s.value for s in TRANSITIONS[start])
        assert caught.value.allowed == allowed
        assert caught.value.code == "illegal_transition"
        for name in allowed:
            assert name in caught.value.message
        assert await content_snapshot(core) == before


async def test_lifecycle_timestamps_and_reopening(core: Core, clock: FrozenClock) -> None:
    operator = await make_staff(core, "oper", "operator")
    submitted = await submit(core)
    case = await get_case(core, submitted.ref)
    steps = [Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED]
    for step in steps:
        clock.advance(timedelta(hours=1))
        case = await patch(core, submitted.ref, operator, case.version, status=step)
    assert case.acknowledged_at is not None and case.resolved_at is not None
    assert case.closed_at == clock.now()
    case = await patch(core, submitted.ref, operator, case.version, status=Status.IN_PROGRESS)
    assert case.closed_at is None and case.resolved_at is None
    assert case.acknowledged_at is not None


async def test_update_writes_one_audit_event_with_before_and_after(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    other = await make_staff(core, "oper2", "operator")
    submitted = await submit(core)
    case = await get_case(core, submitted.ref)
    case = await patch(
        core,
        submitted.ref,
        operator,
        case.version,
        status=Status.ACKNOWLEDGED,
        priority=Priority.HIGH,
        set_assignee=True,
        assignee_id=other.user_id,
        tags=["Cash", "follow-up", "cash"],
    )
    assert case.version == 2
    assert sorted(t.tag for t in case.tags) == ["cash", "follow-up"]
    async with core.database.transaction() as session:
        events = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "case.updated"))
        ).all()
    assert len(events) == 1
    event = events[0]
    assert event.actor_id == operator.user_id and event.actor_name == "oper"
    assert event.before == {
        "status": "new",
        "priority": "normal",
        "assignee_id": None,
        "tags": [],
    }
    assert event.after == {
        "status": "acknowledged",
        "priority": "high",
        "assignee_id": other.user_id,
        "tags": ["cash", "follow-up"],
    }


async def test_a_change_to_nothing_writes_nothing(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    submitted = await submit(core)
    case = await get_case(core, submitted.ref)
    before = await content_snapshot(core)
    same = await patch(core, submitted.ref, operator, case.version, priority=Priority.NORMAL)
    assert same.version == case.version
    assert await content_snapshot(core) == before


async def test_stale_version_is_refused_and_changes_nothing(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    submitted = await submit(core)
    case = await get_case(core, submitted.ref)
    await patch(core, submitted.ref, operator, case.version, priority=Priority.HIGH)
    before = await content_snapshot(core)
    with pytest.raises(StaleVersion) as caught:
        await patch(core, submitted.ref, operator, case.version, priority=Priority.LOW)
    assert caught.value.code == "stale_version" and caught.value.actual == 2
    assert await content_snapshot(core) == before


async def test_two_concurrent_updates_with_the_same_version_exactly_one_wins(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    submitted = await submit(core)
    case = await get_case(core, submitted.ref)
    start = asyncio.Event()

    async def attempt(priority: Priority) -> str:
        await start.wait()
        try:
            await patch(core, submitted.ref, operator, case.version, priority=priority)
        except StaleVersion:
            return "stale"
        return "won"

    tasks = [
        asyncio.create_task(attempt(Priority.HIGH)),
        asyncio.create_task(attempt(Priority.LOW)),
    ]
    await asyncio.sleep(0)
    start.set()
    outcomes = await asyncio.gather(*tasks)
    assert sorted(outcomes) == ["stale", "won"]
    final = await get_case(core, submitted.ref)
    assert final.version == 2
    async with core.database.transaction() as session:
        count = await session.scalar(
            select(func.count()).where(AuditEvent.action == "case.updated")
        )
    assert count == 1


async def test_assignee_must_be_able_to_see_the_case(core: Core) -> None:
    focal = await make_staff(core, "focal", "focal_point")
    operator = await make_staff(core, "oper", "operator")
    analyst = await make_staff(core, "anna", "analyst")
    submitted = await submit(core, category="trafficking")
    case = await get_case(core, submitted.ref)
    before = await content_snapshot(core)
    for assignee in (operator, analyst):
        with pytest.raises(AssigneeCannotSeeCase):
            await patch(
                core,
                submitted.ref,
                focal,
                case.version,
                set_assignee=True,
                assignee_id=assignee.user_id,
            )
    assert await content_snapshot(core) == before
    case = await patch(
        core, submitted.ref, focal, case.version, set_assignee=True, assignee_id=focal.user_id
    )
    assert case.assignee_id == focal.user_id


async def test_bad_tags_are_refused(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    submitted = await submit(core)
    case = await get_case(core, submitted.ref)
    with pytest.raises(InvalidTag):
        await patch(core, submitted.ref, operator, case.version, tags=["no spaces allowed"])


async def test_sensitive_cases_do_not_exist_for_operators(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    analyst = await make_staff(core, "anna", "analyst")
    focal = await make_staff(core, "focal", "focal_point")
    submitted = await submit(core, category="fraud_corruption")
    async with core.database.transaction() as session:
        service = TriageService(session, core)
        with pytest.raises(CaseNotFound):
            await service.get_visible(submitted.ref, operator)
        with pytest.raises(PermissionDenied):
            await service.get_visible(submitted.ref, analyst)
        assert (await service.get_visible(submitted.ref, focal)).ref == submitted.ref
    async with core.database.transaction() as session:
        reads = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "case.read"))
        ).all()
    assert [(e.actor_id, e.sensitive) for e in reads] == [(focal.user_id, True)]


async def test_notes_on_sensitive_cases_are_encrypted(core: Core) -> None:
    focal = await make_staff(core, "focal", "focal_point")
    submitted = await submit(core, category="fraud_corruption")
    async with core.database.transaction() as session:
        note = await TriageService(session, core).add_note(
            submitted.ref, focal, "Called the partner office."
        )
    assert note.body is None and note.body_enc is not None
    async with core.database.transaction() as session:
        detail = await TriageService(session, core).detail(submitted.ref, focal)
    assert [n.text for n in detail.notes] == ["Called the partner office."]


# Replies and the outbox ----------------------------------------------------------------


async def test_reply_to_an_opted_in_reporter_goes_to_the_outbox(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    opted = await submit(core, contact=ContactChoice(ContactMode.CHAT, chat_id=555))
    anonymous = await submit(core)
    async with core.database.transaction() as session:
        service = TriageService(session, core)
        r1 = await service.add_reply(opted.ref, operator, {Language.UK: "Дякуємо, перевіряємо."})
        r2 = await service.add_reply(anonymous.ref, operator, {Language.UK: "Дякуємо."})
    assert (r1.delivery, r2.delivery) == ("pending", "not_applicable")
    async with core.database.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    assert [(m.kind, m.reply_id, m.state) for m in rows] == [("reply", r1.id, "pending")]


async def test_closing_asks_an_opted_in_reporter_once(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    opted = await submit(core, contact=ContactChoice(ContactMode.CHAT, chat_id=555))
    case = await get_case(core, opted.ref)
    for step in path_to(Status.CLOSED):
        case = await patch(core, opted.ref, operator, case.version, status=step)
    # Reopened and closed again: still asked only once.
    for step in (Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED):
        case = await patch(core, opted.ref, operator, case.version, status=step)
    async with core.database.transaction() as session:
        kinds = (await session.scalars(select(OutboxMessage.kind))).all()
    # Besides one unsent status notice (issue 21), the survey once.
    assert kinds.count(OutboxKind.HANDLING_SURVEY.value) == 1
    assert sorted(set(kinds)) == [OutboxKind.HANDLING_SURVEY.value, OutboxKind.NOTICE.value]


async def test_report_with_chat_contact_needs_a_chat(core: Core) -> None:
    with pytest.raises(DomainError):
        await submit(core, contact=ContactChoice(ContactMode.CHAT, chat_id=None))


async def test_unstorable_characters_are_dropped_on_both_engines(core: Core) -> None:
    submitted = await submit(core, narrative="Текст\x00 з нулем і \ud800 сиротою")
    case = await get_case(core, submitted.ref)
    assert case.narrative == "Текст з нулем і  сиротою"
