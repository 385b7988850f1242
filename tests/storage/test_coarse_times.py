"""No timing trail (issue 10): what is stored about a reporter's moment is coarse."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import Language
from storage.models import Case, ConversationState, LanguagePreference, ProcessedUpdate
from storage.repositories.updates import ProcessedUpdates
from storage.services.conversation import ConversationKeys, ConversationStore
from storage.services.ratings import RatingService
from tests.storage.helpers import submit

ODD_MOMENT = datetime(2026, 3, 2, 9, 17, 23, 456000, tzinfo=UTC)


async def test_a_draft_keeps_the_hour_and_a_language_choice_the_day(
    core: Core, clock: FrozenClock
) -> None:
    clock.set(ODD_MOMENT)
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        await store.set_state(ConversationKeys("k", "lang-k"), "Report:description")
        await store.set_data(
            ConversationKeys("k", "lang-k"), {"locale": "uk", "parts": ["Чернетка"]}
        )
    async with core.database.transaction() as session:
        (draft,) = (await session.scalars(select(ConversationState))).all()
        (language,) = (await session.scalars(select(LanguagePreference))).all()
    assert draft.updated_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    # 24 hours idle, rounded up to the hour: never shorter than promised.
    assert draft.expires_at == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    assert language.expires_at == datetime(2026, 6, 1, tzinfo=UTC)  # 90 days, to the day
    async with core.database.transaction() as session:
        await ConversationStore(session, core).clear(ConversationKeys("k", "lang-k"))
    async with core.database.transaction() as session:
        assert (await session.scalars(select(ConversationState))).all() == []


async def test_a_case_keeps_the_minute_and_a_rating_the_hour(
    core: Core, clock: FrozenClock
) -> None:
    clock.set(ODD_MOMENT)
    submitted = await submit(core)
    async with core.database.transaction() as session:
        rating = await RatingService(session, core).rate_assistance(
            programme=None, score=4, language=Language.UK
        )
        await ProcessedUpdates(session).record(42, clock.now())
    async with core.database.transaction() as session:
        case = await session.scalar(select(Case).where(Case.ref == submitted.ref))
        update = await session.get(ProcessedUpdate, 42)
    assert case is not None and update is not None
    assert case.created_at == datetime(2026, 3, 2, 9, 17, tzinfo=UTC)
    # The SLA counts from the same minute: due times stay consistent with created_at.
    assert (case.acknowledge_due_at - case.created_at).total_seconds() % 60 == 0
    assert rating.created_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert update.handled_at == datetime(2026, 3, 2, 9, 17, tzinfo=UTC)
