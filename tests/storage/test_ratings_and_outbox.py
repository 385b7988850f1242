from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import ContactMode, Language, OutboxKind, Status
from storage.errors import AlreadyRated, InvalidInput, InvalidScore
from storage.models import AuditEvent
from storage.services.intake import ContactChoice
from storage.services.outbox import OutboxService
from storage.services.ratings import RatingService
from storage.services.triage import TriageService
from tests.storage.helpers import TO_CLOSED, content_snapshot, make_staff, submit, walk_case


async def rate(core: Core, **kwargs: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {"programme": "cash", "score": 4, "language": Language.UK}
    values.update(kwargs)
    async with core.database.transaction() as session:
        return await RatingService(session, core).rate_assistance(**values)  # type: ignore[arg-type]


async def test_a_rating_with_reasons_for_a_low_score(core: Core) -> None:
    rating = await rate(core, score=2, reasons=["respect", "waiting_time"], comment="  Грубо  ")
    assert (rating.score, rating.reasons, rating.comment) == (
        2,
        ["respect", "waiting_time"],
        "Грубо",
    )
    assert rating.kind == "assistance" and rating.case_id is None


async def test_a_ratings_audit_event_keeps_the_hour_as_the_rating_does(
    core: Core, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 3, 2, 9, 47, 13, tzinfo=UTC))
    rating = await rate(core, score=4)
    async with core.database.transaction() as session:
        logged = list(
            await session.scalars(
                select(AuditEvent.at).where(AuditEvent.target == f"rating:{rating.id}")
            )
        )
    assert rating.created_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert logged == [rating.created_at]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"score": 0}, InvalidScore),
        ({"score": 6}, InvalidScore),
        ({"score": True}, InvalidScore),
        ({"score": 5, "reasons": ["respect"]}, InvalidInput),
        ({"score": 1, "reasons": ["weather"]}, ValueError),
        ({"programme": "nope"}, InvalidInput),
        ({"comment": "x" * 2001}, InvalidInput),
    ],
)
async def test_bad_ratings_are_refused(core: Core, kwargs: dict[str, object], error: type) -> None:
    before = await content_snapshot(core)
    with pytest.raises(error):
        await rate(core, **kwargs)
    assert await content_snapshot(core) == before


async def closed_opted_in_case(core: Core) -> tuple[str, int]:
    operator = await make_staff(core, "oper", "operator")
    submitted = await submit(core, contact=ContactChoice(ContactMode.CHAT, chat_id=777))
    await walk_case(core, submitted.ref, operator, *TO_CLOSED)
    async with core.database.transaction() as session:
        deliveries = await OutboxService(session, core).claim()
    # The status notices on the way (one while unsent: issue 21), then the survey.
    assert [(d.kind, d.chat_id, d.text) for d in deliveries] == [
        (OutboxKind.NOTICE, 777, None),
        (OutboxKind.HANDLING_SURVEY, 777, None),
    ]
    return submitted.ref, deliveries[-1].outbox_id


async def test_handling_rating_is_taken_once(core: Core) -> None:
    _ref, outbox_id = await closed_opted_in_case(core)
    async with core.database.transaction() as session:
        rating = await RatingService(session, core).rate_handling(
            outbox_id=outbox_id, score=5, language=Language.UK
        )
    assert rating.kind == "handling"
    with pytest.raises(AlreadyRated):
        async with core.database.transaction() as session:
            await RatingService(session, core).rate_handling(
                outbox_id=outbox_id, score=1, language=Language.UK
            )


async def test_outbox_claims_retries_and_marks(core: Core, clock: FrozenClock) -> None:
    operator = await make_staff(core, "oper", "operator")
    submitted = await submit(
        core, language=Language.EN, contact=ContactChoice(ContactMode.CHAT, chat_id=4242)
    )
    async with core.database.transaction() as session:
        reply = await TriageService(session, core).add_reply(
            submitted.ref,
            operator,
            {Language.EN: "We called the distributor.", Language.UK: "Ми зателефонували."},
        )
    async with core.database.transaction() as session:
        first = await OutboxService(session, core).claim()
    assert [(d.chat_id, d.language, d.text) for d in first] == [
        (4242, "en", "We called the distributor.")
    ]
    # Claimed: not handed out twice while the lease holds.
    async with core.database.transaction() as session:
        assert await OutboxService(session, core).claim() == []
    async with core.database.transaction() as session:
        await OutboxService(session, core).mark_retry(
            first[0].outbox_id, delay=timedelta(seconds=30), error="429"
        )
    async with core.database.transaction() as session:
        assert await OutboxService(session, core).claim() == []
    clock.advance(timedelta(seconds=31))
    async with core.database.transaction() as session:
        again = await OutboxService(session, core).claim()
    assert [d.outbox_id for d in again] == [first[0].outbox_id] and again[0].attempts == 2
    async with core.database.transaction() as session:
        await OutboxService(session, core).mark_sent(again[0].outbox_id)
    async with core.database.transaction() as session:
        detail = await TriageService(session, core).detail(submitted.ref, operator)
        assert await OutboxService(session, core).claim() == []
    assert [r.delivery for r in detail.replies] == ["delivered"]
    assert reply.public_id == detail.replies[0].id


async def test_a_crashed_claim_is_taken_again_after_the_lease(
    core: Core, clock: FrozenClock
) -> None:
    operator = await make_staff(core, "oper", "operator")
    submitted = await submit(core, contact=ContactChoice(ContactMode.CHAT, chat_id=1))
    async with core.database.transaction() as session:
        await TriageService(session, core).add_reply(submitted.ref, operator, {Language.UK: "Так"})
    async with core.database.transaction() as session:
        claimed = await OutboxService(session, core).claim(lease=timedelta(minutes=2))
    clock.advance(timedelta(minutes=3))
    async with core.database.transaction() as session:
        reclaimed = await OutboxService(session, core).claim()
    assert [d.outbox_id for d in reclaimed] == [d.outbox_id for d in claimed]


async def test_undeliverable_is_final(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    submitted = await submit(core, contact=ContactChoice(ContactMode.CHAT, chat_id=1))
    async with core.database.transaction() as session:
        await TriageService(session, core).add_reply(submitted.ref, operator, {Language.UK: "Так"})
    async with core.database.transaction() as session:
        claimed = await OutboxService(session, core).claim()
        await OutboxService(session, core).mark_undeliverable(claimed[0].outbox_id, error="blocked")
    async with core.database.transaction() as session:
        assert await OutboxService(session, core).claim() == []
        detail = await TriageService(session, core).detail(submitted.ref, operator)
    assert detail.replies[0].delivery == "undeliverable"


async def claimed_kinds(core: Core) -> list[OutboxKind]:
    """Claim what is due and mark it sent, as the delivery worker would."""
    async with core.database.transaction() as session:
        outbox = OutboxService(session, core)
        deliveries = await outbox.claim()
        for delivery in deliveries:
            await outbox.mark_sent(delivery.outbox_id)
    return [d.kind for d in deliveries]


async def test_status_changes_send_a_neutral_notice_only_where_the_reporter_chose_chat(
    core: Core,
) -> None:
    operator = await make_staff(core, "oper", "operator")
    focal = await make_staff(core, "focal", "focal_point")
    chat = ContactChoice(ContactMode.CHAT, chat_id=888)
    standard = (await submit(core, contact=chat)).ref
    sealed = (await submit(core, category="sexual_exploitation", contact=chat)).ref
    anonymous = (await submit(core)).ref

    await walk_case(
        core, anonymous, operator, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED
    )
    assert await claimed_kinds(core) == []

    for ref, actor in ((standard, operator), (sealed, focal)):
        await walk_case(core, ref, actor, Status.ACKNOWLEDGED)
        assert await claimed_kinds(core) == [OutboxKind.NOTICE]
        # Not every move is news: in progress and waiting say nothing.
        await walk_case(core, ref, actor, Status.IN_PROGRESS, Status.WAITING, Status.IN_PROGRESS)
        assert await claimed_kinds(core) == []
        for status in (Status.REFERRED, Status.RESOLVED):
            await walk_case(core, ref, actor, status)
            assert await claimed_kinds(core) == [OutboxKind.NOTICE], status
    # A notice carries nothing of the case: no text at all.
    await walk_case(core, standard, operator, Status.IN_PROGRESS, Status.RESOLVED)
    async with core.database.transaction() as session:
        (notice,) = await OutboxService(session, core).claim()
    assert (notice.kind, notice.text) == (OutboxKind.NOTICE, None)
