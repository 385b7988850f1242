"""Fault test 5 (issue 11): two instances with Redis (state and per-chat locks) against
one emulator and one PostgreSQL, behind a webhook front that alternates between them.
A crowd files whole reports at once, more than Telegram sends the bot at one time: every
report is stored once, none is lost, nobody sees another's draft, and everyone's chat
reads in order, as a calm one does."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bench.processes import emulator as emulator_process
from bot.runtime import BotRuntime
from storage.clock import FrozenClock
from storage.core import Core, build_core
from storage.enums import ContactMode, Language
from storage.services.intake import ContactChoice
from storage.services.triage import TriageService
from tests.bot.fault_kit import (
    EmulatorAt,
    InFlight,
    eventually,
    file_report_patiently,
    instances_behind_a_front,
    require_redis,
    settle,
    transcript,
    unique_user_id,
)
from tests.handlers.conversation import Talk, stored_cases
from tests.harness import bot_settings
from tests.services import REDIS_URL, empty_postgres_database
from tests.storage.helpers import make_staff, submit
from tgemu import BotHandle

# Two instances and a crowd in one process (the emulator in another): run alone, after the
# parallel run (README Tests).
pytestmark = pytest.mark.serial

# How many people file at once. Telegram (and so the emulator) sends a webhook at most
# max_connections updates at a time (40 unless the bot asks otherwise; ours does not),
# never two of one chat: from the 41st person on, a crowd only lengthens the queue at
# Telegram, while the front, both instances, their Redis locks and their database pools
# see at most 40 updates at once. Twice that keeps people waiting behind the 40 for the
# whole run, and the test checks that the front carried 40 at once. The 200 proves
# the same for longer: `HOLOS_FAULT_PEOPLE=200`.
PEOPLE = int(os.environ.get("HOLOS_FAULT_PEOPLE", "80"))
MAX_CONNECTIONS = 40  # Telegram's default for setWebhook


@dataclass
class EmulatorProcess:
    base_url: str


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """The emulator in a process of its own, with the tests' quick webhook retries: the
    rest of this test (the front, both instances, the simulated people) is one process,
    so the emulator would otherwise share its one core."""
    log = tmp_path_factory.mktemp("emulator") / "emulator.log"
    with emulator_process(log, "--webhook-retry", "0.05", "0.2") as (url, _):
        yield EmulatorProcess(url)


@pytest.fixture
async def two_cores(
    postgres_database: str, tmp_path: Path, clock: FrozenClock
) -> AsyncIterator[list[Core]]:
    """Two processes' worth of core on one PostgreSQL database."""
    await empty_postgres_database(postgres_database)
    settings = bot_settings(tmp_path, postgres_database)
    cores = [build_core(settings, clock=clock) for _ in "ab"]
    yield cores
    for core in cores:
        await core.close()


@pytest.fixture
async def two_redis() -> AsyncIterator[list[Redis]]:
    clients = [Redis.from_url(REDIS_URL) for _ in "ab"]
    await require_redis(clients[0])
    yield clients
    for client in clients:
        await client.aclose()


# Reporters with three staff replies each: more than one worker's claim (20 at a time).
REPLIED = 12


def story(n: int) -> str:
    return f"Story of person {n}: half a kit."


@pytest.mark.slow
async def test_two_instances_and_a_crowd_at_once(
    two_cores: list[Core], two_redis: list[Redis], tg: BotHandle, emulator: EmulatorAt
) -> None:
    answered: Counter[int] = Counter()
    in_flight = InFlight()
    async with instances_behind_a_front(
        two_cores, tg.token, emulator, redis=two_redis, answered=answered, in_flight=in_flight
    ) as runtimes:
        calm = Talk(
            await tg.create_user(id=unique_user_id(), first_name="C", language_code="en"), "en"
        )
        await file_report_patiently(calm, [story(-1)])
        await settle(tg, *runtimes)
        reference = [
            (bot, text.replace(story(-1), "<story>")) for bot, text in await transcript(calm.user)
        ]

        crowd = [
            Talk(
                await tg.create_user(id=unique_user_id(), first_name=f"P{n}", language_code="en"),
                "en",
            )
            for n in range(PEOPLE)
        ]
        # The crowd is more than Telegram sends at once. Held at the front, their first
        # updates fill every connection Telegram opens to the webhook, and no more: the
        # front, both instances, their Redis locks and their pools then carry that many
        # at once. (Without the hold, how many overlap depends on how fast this one
        # process turns answers round.)
        in_flight.gate.clear()
        filing = asyncio.gather(
            *(file_report_patiently(talk, [story(n)]) for n, talk in enumerate(crowd))
        )
        held = min(PEOPLE, MAX_CONNECTIONS)

        async def all_held() -> bool:
            return in_flight.now >= held

        await eventually(all_held)
        await asyncio.sleep(0.3)  # time for one more connection, were there one
        assert in_flight.now == held, in_flight
        in_flight.gate.set()
        await filing
        await settle(tg, *runtimes)
        for n, talk in enumerate(crowd):
            seen = await transcript(talk.user)
            # Only their own story, never another's; every step, once, in order.
            assert [(bot, text.replace(story(n), "<story>")) for bot, text in seen] == reference
        # Both instances did the work: the front alternated between them.
        assert [r.dp.in_flight for r in runtimes] == [0, 0]
        total = sum(answered.values())
        assert total > PEOPLE  # every person took several steps
        assert min(answered[0], answered[1]) >= total * 0.4, answered
        info = await runtimes[0].bot.get_webhook_info()
        assert info.max_connections == MAX_CONNECTIONS

    cases = await stored_cases(two_cores[0])
    assert sorted(c.narrative or "" for c in cases) == sorted(
        [story(-1), *(story(n) for n in range(PEOPLE))]
    )


async def test_two_delivery_workers_claim_each_reply_once(
    two_cores: list[Core], tg: BotHandle, emulator: EmulatorAt
) -> None:
    """Two instances' delivery workers on one PostgreSQL outbox (row claims with SKIP
    LOCKED and a lease): each staff reply reaches its reporter exactly once."""
    core = two_cores[0]
    operator = await make_staff(core, "olena", "operator")
    texts = []
    for n in range(REPLIED):
        user = await tg.create_user(id=unique_user_id(), first_name=f"R{n}", language_code="en")
        await user.send_text("/start", wait=False)  # the bot may write to them now
        case = await submit(
            core, language=Language.EN, contact=ContactChoice(ContactMode.CHAT, chat_id=user.id)
        )
        async with core.database.transaction() as session:
            for k in range(3):
                texts.append(f"Reply {k} to reporter {n}.")
                await TriageService(session, core).add_reply(
                    case.ref, operator, {lang: texts[-1] for lang in Language}
                )
    runtimes = [BotRuntime.create(c, token=tg.token, api_url=emulator.base_url) for c in two_cores]
    try:
        # Both at once, again and again, until nothing is due.
        counts = await asyncio.gather(*(r.worker.run_once() for r in runtimes))
        sent = list(counts)
        while any(counts):
            counts = await asyncio.gather(*(r.worker.run_once() for r in runtimes))
            sent = [a + b for a, b in zip(sent, counts, strict=True)]
    finally:
        for runtime in runtimes:
            await runtime.stop()
    assert sum(sent) == len(texts)
    assert all(sent)  # both workers took a share
    delivered = [c["params"]["text"] for c in await tg.calls("sendMessage") if c["ok"]]
    for text in texts:
        assert sum(text in body for body in delivered) == 1
