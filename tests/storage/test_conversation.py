from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import Language
from storage.models import ConversationState, LanguagePreference
from storage.repositories.conversation import ConversationRepository
from storage.services.conversation import ConversationKeys, ConversationStore

K = ConversationKeys(draft="k", language="lang-k")
OTHER = ConversationKeys(draft="other", language="lang-other")


async def test_state_and_data_round_trip_encrypted(core: Core) -> None:
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        await store.set_state(K, "Report:description")
        await store.set_data(K, {"parts": ["Мене змусили заплатити"], "n": 1})
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        assert await store.get_state(K) == "Report:description"
        assert await store.get_data(K) == {"parts": ["Мене змусили заплатити"], "n": 1}
        row = await session.scalar(select(ConversationState))
    assert row is not None and row.data_enc is not None
    assert "змусили".encode() not in row.data_enc


async def test_idle_drafts_expire_and_activity_extends_them(core: Core, clock: FrozenClock) -> None:
    async with core.database.transaction() as session:
        await ConversationStore(session, core).set_data(K, {"a": 1})
    clock.advance(timedelta(hours=23))
    async with core.database.transaction() as session:
        await ConversationStore(session, core).set_state(K, "S")  # activity
    clock.advance(timedelta(hours=23))
    async with core.database.transaction() as session:
        assert await ConversationStore(session, core).get_data(K) == {"a": 1}
    clock.advance(timedelta(hours=1, seconds=1))
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        assert await store.get_data(K) == {}
        assert await store.get_state(K) is None


async def test_clearing_leaves_no_row(core: Core) -> None:
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        await store.set_data(K, {"a": 1})
        await store.set_state(K, "S")
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        await store.set_state(K, None)
        await store.set_data(K, {})
    async with core.database.transaction() as session:
        assert (await session.scalars(select(ConversationState))).all() == []


async def test_the_chosen_language_outlives_the_draft_for_90_days(
    core: Core, clock: FrozenClock
) -> None:
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        await store.set_state(K, "Report:description")
        await store.set_data(K, {"locale": "ru", "parts": ["Черновик"]})
    clock.advance(timedelta(days=2))  # the draft has expired, the language has not
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        assert await store.get_state(K) is None
        assert await store.get_data(K) == {"locale": "ru"}
        before = [
            (r.language, r.expires_at) for r in await session.scalars(select(LanguagePreference))
        ]
        # Using the bot does not rewrite the kept row (its rewrites would sit in the
        # database's log beside the draft's: issue 18).
        await store.set_data(K, {"locale": "ru"})
        await session.flush()
        after = [
            (r.language, r.expires_at) for r in await session.scalars(select(LanguagePreference))
        ]
    assert before == after
    clock.advance(timedelta(days=88))
    async with core.database.transaction() as session:
        assert await ConversationStore(session, core).get_data(K) == {"locale": "ru"}
    # Its expiry is kept to the day (no time of day in it): it goes at the end of the
    # 90th day after the choice, not to the second.
    clock.advance(timedelta(days=1))
    async with core.database.transaction() as session:
        assert await ConversationStore(session, core).get_data(K) == {}
        rows = (await session.scalars(select(LanguagePreference))).all()
    # Kept under the person's language key, never their draft's, never beside content.
    assert [(row.key, row.language) for row in rows] == [("lang-k", "ru")]
    assert rows[0].expires_at.time() == datetime.min.time()
    # A conversation that still carries the choice keeps it again.
    async with core.database.transaction() as session:
        await ConversationStore(session, core).set_data(K, {"locale": "ru"})
    async with core.database.transaction() as session:
        assert await ConversationStore(session, core).language(K.language) == Language.RU


async def test_a_new_choice_replaces_the_old_one_and_purging_removes_expired(
    core: Core, clock: FrozenClock
) -> None:
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        await store.set_data(K, {"locale": "uk"})
        await store.set_data(K, {"locale": "en"})
        await store.set_data(OTHER, {"locale": "not-a-language"})
    async with core.database.transaction() as session:
        assert await ConversationStore(session, core).language(K.language) == Language.EN
        assert await ConversationStore(session, core).language(OTHER.language) is None
    clock.advance(timedelta(days=91))
    async with core.database.transaction() as session:
        await ConversationRepository(session).delete_expired(clock.now())
    async with core.database.transaction() as session:
        assert (await session.scalars(select(LanguagePreference))).all() == []
