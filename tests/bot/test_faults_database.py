"""Fault test 4 (issue 11): PostgreSQL unreachable for a while, cut by a TCP proxy
between the bot and the server. People mid-report are told, each in their language, to
try again in a minute; nothing is half-written; /readyz fails while the database is away;
everything recovers by itself, and no draft is lost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from admin_api.app import create_app
from storage.clock import FrozenClock
from storage.core import Core, build_core
from tests.bot.fault_kit import sample
from tests.bot.helpers import served
from tests.bot.tcp_proxy import CuttableProxy
from tests.handlers.conversation import Talk, stored_cases, tr
from tests.harness import BotFactory, bot_settings
from tests.services import REDIS_URL, empty_postgres_database

# Cuts the database through a TCP proxy: run alone, after the parallel run (README Tests).
pytestmark = pytest.mark.serial

TRY_AGAIN = (
    "Sorry, something went wrong on our side. Your draft is not lost: please try again in a minute."
)
# What each person has written before the cut, and what they send during it.
FIRST = {
    "uk": "Нам видали лише половину набору.",
    "ru": "Нам выдали половину набора.",
    "en": "We got half a kit.",
}
SECOND = {"uk": "Це було в понеділок.", "ru": "Это было в понедельник.", "en": "It was on Monday."}


@pytest.fixture
async def proxy() -> AsyncIterator[CuttableProxy]:
    proxy = CuttableProxy("127.0.0.1", make_url_port())
    await proxy.start()
    yield proxy
    await proxy.close()


def make_url_port() -> int:
    from tests.services import POSTGRES_ADMIN_DSN

    return make_url(POSTGRES_ADMIN_DSN).port or 5432


@pytest.fixture
async def proxied_core(
    postgres_database: str, proxy: CuttableProxy, tmp_path: Path, clock: FrozenClock
) -> AsyncIterator[Core]:
    await empty_postgres_database(postgres_database)
    url = make_url(postgres_database).set(port=proxy.port).render_as_string(hide_password=False)
    core = build_core(bot_settings(tmp_path, url), clock=clock)
    yield core
    await core.close()


async def test_postgresql_away_for_a_while(
    start_bot: BotFactory, proxied_core: Core, proxy: CuttableProxy, make_user, redis: Redis
) -> None:
    # Drafts live in Redis on PostgreSQL (issue 18); the cut is PostgreSQL's alone.
    await start_bot(proxied_core, redis=Redis.from_url(REDIS_URL))
    people = [Talk(await make_user(language), language) for language in ("uk", "ru", "en")]
    for talk in people:
        await talk.open_report("assistance_quality")
        await talk.say(FIRST[talk.language])
    outages_before = sample("holos_bot_database_unavailable_total")
    async with served(create_app(proxied_core)) as (_, http):
        assert (await http.get("/readyz")).status_code == 200

        await proxy.cut()
        for talk in people:
            replies = await talk.say(SECOND[talk.language])
            assert replies.last.body == tr(talk.language, TRY_AGAIN)
        # A button pressed meanwhile gets the same answer (and its spinner stops).
        replies = await people[0].tap("✅ Done")
        assert replies.last.body == tr("uk", TRY_AGAIN)
        assert (await http.get("/readyz")).status_code == 503
        assert sample("holos_bot_database_unavailable_total") - outages_before == 4

        await proxy.restore()
        assert (await http.get("/readyz")).status_code == 200

    # Nothing to restart: the next message is handled, on the draft from before the cut.
    for talk in people:
        replies = await talk.say(SECOND[talk.language])
        assert replies.last.body.startswith(
            tr(talk.language, "Received: {what}. Send more, or press «Done».").split(":")[0]
        )
        await talk.tap("✅ Done")
        await talk.tap("🔒 Anonymous")
        await talk.tap("✅ Send")
    cases = await stored_cases(proxied_core)
    assert sorted(c.narrative or "" for c in cases) == sorted(
        f"{FIRST[lang]}\n\n{SECOND[lang]}" for lang in ("uk", "ru", "en")
    )


async def test_the_database_going_away_in_the_middle_of_an_update(
    start_bot: BotFactory, proxied_core: Core, proxy: CuttableProxy, make_user, redis: Redis
) -> None:
    """The state was read, then the connection goes while the handler works: its writes
    (the draft's new part) never land, the person is told, and sends it again later."""
    runtime = await start_bot(proxied_core, redis=Redis.from_url(REDIS_URL))
    talk = Talk(await make_user("ru"), "ru")
    await talk.open_report("assistance_quality")
    await talk.say(FIRST["ru"])
    armed = True

    async def cut_before_the_handler(handler: Any, event: Any, data: dict[str, Any]) -> Any:
        nonlocal armed
        if armed:
            armed = False
            await proxy.cut()
        return await handler(event, data)

    runtime.dp.message.middleware(cut_before_the_handler)
    outages_before = sample("holos_bot_database_unavailable_total")
    replies = await talk.say(SECOND["ru"])
    assert replies.last.body == tr("ru", TRY_AGAIN)
    assert sample("holos_bot_database_unavailable_total") - outages_before == 1

    await proxy.restore()
    replies = await talk.say(SECOND["ru"])
    assert "2" in replies.last.body and SECOND["ru"] not in replies.last.body
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✅ Send")
    (case,) = await stored_cases(proxied_core)
    assert case.narrative == f"{FIRST['ru']}\n\n{SECOND['ru']}"
