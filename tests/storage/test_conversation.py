from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import Language
from storage.models import ConversationState, LanguagePreference
from storage.repositories.conversation import ConversationRepository
from storage.services.conversation import ConversationStore


async def test_state_and_data_round_trip_encrypted(core: Core) -> None:
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        await store.set_state("k", "Report:description")
        await store.set_data("k", {"parts": ["Мене змусили заплатити"], "n": 1})
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        assert await store.get_state("k") == "Report:description"
        assert await store.get_data("k") == {"parts": ["Мене змусили заплатити"], "n": 1}
        row = await session.scalar(select(ConversationState))
    assert row is not None and row.data_enc is not None
    assert "змусили".encode() not in row.data_enc


async def test_idle_drafts_expire_and_activity_extends_them(core: Core, clock: FrozenClock) -> None:
    async with core.database.transaction() as session:
        await ConversationStore(session, core).set_data("k", {"a": 1})
    clock.advance(timedelta(hours=23))
    async with core.database.transaction() as session:
        await ConversationStore(session, core).set_state("k", "S")  # activity
    clock.advance(timedelta(hours=23))
    async with core.database.transaction() as session:
        assert await ConversationStore(session, core).get_data("k") == {"a": 1}
    clock.advance(timedelta(hours=1, seconds=1))
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        assert await store.get_data("k") == {}
        assert await store.get_state("k") is None


async def test_clearing_leaves_no_row(core: Core) -> None:
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        await store.set_data("k", {"a": 1})
        await store.set_state("k", "S")
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        await store.set_state("k", None)
        await store.set_data("k", {})
    async with core.database.transaction() as session:
        assert (await session.scalars(select(ConversationState))).all() == []


async def test_the_chosen_language_outlives_the_draft_for_90_days_idle(
    core: Core, clock: FrozenClock
) -> None:
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        await store.set_state("k", "Report:description")
        await store.set_data("k", {"locale": "ru", "parts": ["Черновик"]})
    clock.advance(timedelta(days=2))  # the draft has expired, the language has not
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        assert await store.get_state("k") is None
        assert await store.get_data("k") == {"locale": "ru"}
        await store.set_data("k", {"locale": "ru"})  # activity extends it
    clock.advance(timedelta(days=89))
    async with core.database.transaction() as session:
        assert await ConversationStore(session, core).get_data("k") == {"locale": "ru"}
    # Its expiry is kept to the day (no time of day in it): it goes at the end of the
    # 90th day, not to the second.
    clock.advance(timedelta(days=1))
    async with core.database.transaction() as session:
        assert await ConversationStore(session, core).get_data("k") == {"locale": "ru"}
    clock.advance(timedelta(days=1))
    async with core.database.transaction() as session:
        assert await ConversationStore(session, core).get_data("k") == {}
        rows = (await session.scalars(select(LanguagePreference))).all()
    # Kept under the conversation's pseudonymous key, never beside any content.
    assert [(row.key, row.language) for row in rows] == [("k", "ru")]


async def test_a_new_choice_replaces_the_old_one_and_purging_removes_expired(
    core: Core, clock: FrozenClock
) -> None:
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        await store.set_data("k", {"locale": "uk"})
        await store.set_data("k", {"locale": "en"})
        await store.set_data("other", {"locale": "not-a-language"})
    async with core.database.transaction() as session:
        assert await ConversationStore(session, core).language("k") == Language.EN
        assert await ConversationStore(session, core).language("other") is None
    clock.advance(timedelta(days=91))
    async with core.database.transaction() as session:
        await ConversationRepository(session).delete_expired(clock.now())
    async with core.database.transaction() as session:
        assert (await session.scalars(select(LanguagePreference))).all() == []
