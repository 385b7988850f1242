"""Issue 18 §1, unlinkable at rest: copies of the data taken while people report.

One person files a complaint and, later, a sexual-exploitation report; another person
files a report with a photo in between. The data directory is copied in the middle of
each draft, right after each report is sent, and a few minutes later (the clock is moved
on and the bot's periodic work runs; nothing sleeps). Each copy is then read the way an
attacker reads it (tests/forensics): the write-ahead log replayed commit by commit, every
page image of every file searched.

- Without the key: no commit that stores a case deletes or writes any other row, and
  no per-person table changes in it (the draft's end is never paired with its case).
- With the key and the three Telegram ids: every value the key derives from them (the
  person's Argon2id root, each per-purpose key) appears only where the threat model
  accepts it: a live draft while its flow runs, and the kept language choice.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.fsm import PersonKeyBuilder
from bot.runtime import BotRuntime
from storage.clock import FrozenClock
from storage.core import Core, build_core
from storage.models import ConversationState
from tests.forensics.server_dumps import (
    RedisKey,
    Transaction,
    copy_postgres,
    current_wal_position,
    dump_redis,
    keys_by_purpose,
)
from tests.forensics.sqlite_files import SqliteCopy
from tests.handlers.conversation import SENSITIVE_MENU, Talk, settled, stored_cases
from tests.harness import BotFactory, bot_settings
from tests.services import POSTGRES_ADMIN_DSN, REDIS_URL, empty_postgres_database
from tgemu import BotHandle, SimulatedUser

COMPLAINT = "На роздачі нам видали лише половину набору."
EXPLOITATION = "Він сказав, що допомогу дадуть тільки якщо я прийду ввечері сама."
OTHER = "Нам не дали зимовий набір, хоча ми в списку."
PER_PERSON_TABLES = ("conversation_states", "language_preferences", "throttle_counters")
# Loggers of the simulated Telegram side name users: they are Telegram, not Holos.
TELEGRAM_SIDE = ("tgemu", "httpx", "httpcore")


@dataclass
class Copy:
    label: str
    path: Path
    drafting: set[int]  # the people whose draft may be in the files at this moment
    # Taken while an update runs, between its commits (the draft is in its last moments);
    # otherwise the bot was idle, and every drafting person's draft must be found.
    mid_update: bool = False


@dataclass
class Scene:
    """Everything the attacker collects while the three reports are filed."""

    copies: list[Copy] = field(default_factory=list)
    people: list[SimulatedUser] = field(default_factory=list)


def derived_values(core: Core, user_id: int, bot_id: int) -> dict[str, list[bytes]]:
    """Every value the server key derives from a Telegram id, by purpose, in each form
    it could be stored in (hex text and raw bytes): what someone holding the key and a
    suspect's id computes. The days and hours the test's clock runs through are covered."""
    person = core.crypto.person(user_id)
    conversation = PersonKeyBuilder.conversation(StorageKey(bot_id, user_id, user_id))
    today = core.clock.now().date()
    days = [today + timedelta(days=d) for d in (-1, 0, 1)]
    now = core.clock.now()
    hour = datetime(now.year, now.month, now.day, now.hour, tzinfo=UTC)
    hours = [hour + timedelta(hours=h) for h in (-1, 0, 1, 2)]
    values: dict[str, list[str]] = {
        # The Argon2id root itself is never meant to be stored anywhere.
        "person": [person._root.hex()],
        "draft": [person.draft(conversation, day) for day in days],
        "lock": [person.lock(conversation)],
        "language": [person.language()],
        "quota": [person.quota(kind, day) for kind in ("reports", "bytes") for day in days],
        "receipt": [person.receipt_misses(hour) for hour in hours],
        "flood": [person.flood("any"), person.flood("typed")],
        "pace": [person.pace()],
    }
    return {
        purpose: [form for v in vs for form in (v.encode(), bytes.fromhex(v))]
        for purpose, vs in values.items()
    }


async def file_three_reports(
    a: Talk,
    b: Talk,
    clock: FrozenClock,
    take: Callable[[str, set[int]], Awaitable[None]],
    tick: Callable[[], Awaitable[None]],
) -> None:
    a_id, b_id = a.user.id, b.user.id

    async def later(label: str) -> None:
        clock.advance(timedelta(minutes=4))
        await tick()
        await take(label, set())

    # The language is chosen once, on purpose: the one row the threat model keeps.
    await a.user.send_text("/language")
    await a.user.press("Українська")

    await a.open_report("assistance_quality")
    await a.say(COMPLAINT)
    await take("a-complaint-mid-draft", {a_id})
    await a.tap("✅ Done")
    await a.tap("🔒 Anonymous")
    await a.tap("✅ Send")
    await take("a-complaint-sent", set())
    await later("a-complaint-later")

    await b.open_report("selection_process", programme="cash", oblast="UA-46")
    await b.say(OTHER)
    await b.user.send_photo()
    await take("b-report-mid-draft", {b_id})
    await b.tap("✅ Done")
    await b.tap("💬 Reply in this chat")
    await b.tap("✅ Send")
    await take("b-report-sent", set())
    await later("b-report-later")

    await a.command("start")
    await a.tap(SENSITIVE_MENU["sexual_exploitation"])
    await a.tap("Continue »")
    await a.tap("Not sure / other")
    await a.user.press("Харківська")
    await a.say(EXPLOITATION)
    await take("a-exploitation-mid-draft", {a_id})
    await a.tap("✅ Done")
    await a.tap("🔒 Anonymous")
    await a.tap("✅ Send")
    await take("a-exploitation-sent", set())
    await later("a-exploitation-later")


def copy_data_dir(source: Path, target: Path) -> None:
    """What a backup of the data directory holds at this moment: the database with its
    log and shared-memory file, and the blobs, copied from under the running bot."""
    target.mkdir(parents=True)
    for path in source.glob("holos.db*"):
        shutil.copyfile(path, target / path.name)
    if (source / "blobs").exists():
        shutil.copytree(source / "blobs", target / "blobs")


def assert_no_commit_pairs_a_case(seen: SqliteCopy, label: str) -> int:
    """Without the key: the commit that stores a case touches nothing per person and
    deletes nothing, so nothing deleted can be lined up with the case."""
    cases = 0
    for commit in seen.commits():
        if not any(row.table == "cases" for row in commit.inserted):
            continue
        cases += 1
        assert commit.deleted == [], f"{label}: {commit.summary()}"
        for table in PER_PERSON_TABLES:
            assert not commit.touched(table), f"{label}: {commit.summary()}"
    return cases


def where_found(
    seen: SqliteCopy, values: dict[int, dict[str, list[bytes]]]
) -> dict[tuple[int, str], list[str]]:
    found: dict[tuple[int, str], list[str]] = {}
    for user_id, by_purpose in values.items():
        for purpose, needles in by_purpose.items():
            hits = seen.find(needles)
            if hits:
                found[(user_id, purpose)] = sorted({f"{h.file} {h.where}" for h in hits})
    return found


def assert_logs_name_nobody(
    caplog: pytest.LogCaptureFixture, core: Core, values: dict[int, dict[str, list[bytes]]]
) -> None:
    """No product log line carries a person's key or a sensitive category (the time of
    such a line would say when a sexual-exploitation report came in)."""
    lines = [r.getMessage() for r in caplog.records if not r.name.startswith(TELEGRAM_SIDE)]
    text = "\n".join(lines)
    assert "report_submitted" in text
    for code in core.catalog.sensitive_codes:
        assert code not in text, code
    for by_purpose in values.values():
        for needles in by_purpose.values():
            assert not any(n.decode("latin-1") in text for n in needles)


async def test_copies_of_a_sqlite_data_directory_link_no_case_to_anyone(
    start_bot: BotFactory,
    make_user,
    bot_core: Core,
    tg: BotHandle,
    clock: FrozenClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runtime: BotRuntime = await start_bot()
    await runtime.worker.flush()
    runtime.worker.stop()  # its polling reads and writes nothing of anyone's
    data_dir = Path(bot_core.settings.data_dir)
    a_user, b_user = await make_user("ru"), await make_user("uk")
    copies: list[Copy] = []

    async def take(label: str, drafting: set[int]) -> None:
        await settled(runtime, tg)
        target = tmp_path / "copies" / f"{len(copies):02d}-{label}"
        copy_data_dir(data_dir, target)
        copies.append(Copy(label, target, drafting))

    # A copy at any moment: also in the instant before the log is emptied, when it still
    # holds the case's commit and the draft's last ones (a flow has just ended).
    empty_the_log = bot_core.database.truncate_log

    async def copy_then_empty() -> bool:
        target = tmp_path / "copies" / f"{len(copies):02d}-before-the-log-is-emptied"
        copy_data_dir(data_dir, target)
        copies.append(Copy(target.name, target, {a_user.id, b_user.id}, mid_update=True))
        return await empty_the_log()

    monkeypatch.setattr(bot_core.database, "truncate_log", copy_then_empty)

    async def tick() -> None:
        # The bot's periodic work, as its timers would run it minutes later.
        await runtime.log_truncation.run_once()
        await runtime.retention.run_once()

    with caplog.at_level(logging.DEBUG):
        await file_three_reports(Talk(a_user, "uk"), Talk(b_user, "uk"), clock, take, tick)
    cases = await stored_cases(bot_core)
    assert [c.category for c in cases] == [
        "assistance_quality",
        "selection_process",
        "sexual_exploitation",
    ]

    bot_id = int(tg.token.split(":")[0])
    values = {u.id: derived_values(bot_core, u.id, bot_id) for u in (a_user, b_user)}
    language_of_a = {(a_user.id, "language")}
    stored = 0
    kept_language_rows: list[object] = []
    for each in copies:
        seen = SqliteCopy(each.path)
        stored += assert_no_commit_pairs_a_case(seen, each.label)
        found = where_found(seen, values)
        allowed = language_of_a | {(u, "draft") for u in each.drafting}
        assert set(found) <= allowed, f"{each.label}: {found}"
        for user_id in set() if each.mid_update else each.drafting:
            # The search looks where the values really are.
            assert (user_id, "draft") in found, f"{each.label}: the live draft was not found"
        tables = seen.current()
        for table in ("conversation_states", "throttle_counters"):
            holding = [
                row
                for row in tables.get(table, [])
                for by_purpose in values.values()
                for needles in by_purpose.values()
                if any(row.holds(n) for n in needles)
            ]
            if not each.drafting:
                assert holding == [], f"{each.label}: {table} {holding}"
        if not each.drafting and not each.mid_update:
            kept_language_rows.append(sorted(r.values for r in tables["language_preferences"]))
        for blob in (each.path / "blobs").rglob("*") if (each.path / "blobs").exists() else []:
            if blob.is_file():
                raw = blob.read_bytes() + blob.name.encode()
                assert not any(
                    n in raw for p in values.values() for ns in p.values() for n in ns
                ), blob
    # Every commit that stored one of the three cases was in some copy's log.
    assert stored >= 3
    # The kept language row is never rewritten as reports come and go.
    assert all(rows == kept_language_rows[0] for rows in kept_language_rows), kept_language_rows
    assert len(kept_language_rows[0]) == 1

    assert_logs_name_nobody(caplog, bot_core, values)


# PostgreSQL and Redis -------------------------------------------------------------------

# What a Redis dump may hold of a person once their flow is over (README, threat model):
# the language they chose (to the day), today's quota count under a quota-only key (gone
# at midnight), and their flood bucket while its window is open (seconds; ten-second
# ticks, no time in it). A draft only while it is being written.
REDIS_RESIDUE = {"language", "quota", "flood"}
EXPIRY_UNIT_MS = {"draft": 3_600_000, "language": 86_400_000, "quota": 3_600_000, "flood": 10_000}


# It reads the server's whole WAL, other databases' included: alone, after every other
# test, so that no other test's transactions interleave with the ones it pairs.
@pytest.mark.slow
@pytest.mark.alone
async def test_copies_of_postgresql_and_a_redis_dump_link_no_case_to_anyone(
    start_bot: BotFactory,
    make_user,
    postgres_database: str,
    tg: BotHandle,
    clock: FrozenClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    redis: Redis,
) -> None:
    """The same reports on PostgreSQL with Redis. No value derived from the three ids is
    ever in any table, index or TOAST file (dead row versions included) or anywhere in the
    WAL; no transaction that inserts a case writes or deletes anything per person; the
    Redis dump holds only the accepted residue once a flow is over."""
    await empty_postgres_database(postgres_database)
    core = build_core(bot_settings(tmp_path, postgres_database), clock=clock)
    database = make_url(postgres_database).database
    assert database is not None
    since = await current_wal_position(POSTGRES_ADMIN_DSN)
    try:
        runtime: BotRuntime = await start_bot(core, redis=Redis.from_url(REDIS_URL))
        await runtime.worker.flush()
        runtime.worker.stop()
        a_user, b_user = await make_user("ru"), await make_user("uk")
        bot_id = int(tg.token.split(":")[0])
        values = {u.id: derived_values(core, u.id, bot_id) for u in (a_user, b_user)}
        reports = {a_user.id: 0, b_user.id: 0}
        transactions: dict[int, Transaction] = {}
        copies: list[str] = []
        searched: set[str] = set()  # completed WAL segments, searched once

        async def take(label: str, drafting: set[int]) -> None:
            await settled(runtime, tg)
            copies.append(label)
            if label.endswith("-sent"):
                reports[a_user.id if label.startswith("a-") else b_user.id] += 1
            seen = await copy_postgres(
                POSTGRES_ADMIN_DSN,
                database,
                since,
                checkpoint=label.endswith("-later"),
                known=searched,
            )
            assert "cases" in seen.files and seen.wal
            for user_id, by_purpose in values.items():
                for purpose, needles in by_purpose.items():
                    assert seen.find(needles) == [], f"{label}: {user_id} {purpose}"
            for each in await seen.transactions():
                transactions[each.xid] = each
            dump = await dump_redis(redis)
            for user_id, by_purpose in values.items():
                found = by_purpose_found(dump, by_purpose)
                allowed = REDIS_RESIDUE | ({"draft"} if user_id in drafting else set())
                assert set(found) <= allowed, f"{label}: {user_id} {sorted(found)}"
                if user_id in drafting:
                    assert "draft" in found, f"{label}: the live draft was not found"
                if reports[user_id]:
                    # Today's count of reports, and nothing more of them than the count.
                    today = core.crypto.person(user_id).quota("reports", clock.now().date())
                    (count,) = [k for k in found["quota"] if today.encode() in k.name]
                    assert count.value == str(reports[user_id]).encode()
                for purpose, keys in found.items():
                    for key in keys:
                        assert key.expires_at_ms > 0, f"{label}: {key.name!r} never expires"
                        assert key.expires_at_ms % EXPIRY_UNIT_MS[purpose] == 0, key
                        if purpose == "flood":
                            # Ticks of ten seconds, never a time.
                            assert (
                                b"last" not in key.value
                                and b"." not in key.value.split(b"tick=")[1].split(b"\0")[0]
                            )

        def by_purpose_found(
            dump: list[RedisKey], needles: dict[str, list[bytes]]
        ) -> dict[str, list[RedisKey]]:
            return {p: keys for p, keys in keys_by_purpose(dump, needles).items() if keys}

        async def tick() -> None:
            await runtime.log_truncation.run_once()
            await runtime.retention.run_once()

        with caplog.at_level(logging.DEBUG):
            await file_three_reports(Talk(a_user, "uk"), Talk(b_user, "uk"), clock, take, tick)
        assert [c.category for c in await stored_cases(core)] == [
            "assistance_quality",
            "selection_process",
            "sexual_exploitation",
        ]
        assert len(copies) == 9
        # Without the key: the transaction that inserted a case deleted nothing and
        # touched no per-person table; and no per-person table was written at all.
        storing = [t for t in transactions.values() if t.inserted_into("cases")]
        assert len(storing) == 3, [t.tables() for t in storing]
        for each in storing:
            assert each.deletes() == [], each
        for each in transactions.values():
            assert not each.tables() & set(PER_PERSON_TABLES), each
        assert_logs_name_nobody(caplog, core, values)
        for by_purpose in values.values():  # leave the shared Redis as found
            for key in by_purpose_found(await dump_redis(redis), by_purpose).values():
                await redis.delete(*(k.name for k in key))
    finally:
        await core.close()


async def test_a_draft_begun_before_midnight_moves_to_the_new_day_s_key(
    running_bot: BotRuntime, make_user, bot_core: Core, tg: BotHandle, clock: FrozenClock
) -> None:
    """A draft's key is scoped to the day (two days' drafts of one chat share no key); a
    draft that crosses midnight is found under yesterday's key and moves to today's."""
    clock.set(datetime(2026, 3, 2, 23, 58, tzinfo=UTC))
    user = await make_user("en")
    talk = Talk(user, "en")
    bot_id = int(tg.token.split(":")[0])
    conversation = PersonKeyBuilder.conversation(StorageKey(bot_id, user.id, user.id))
    person = bot_core.crypto.person(user.id)
    monday, tuesday = (person.draft(conversation, d) for d in (date(2026, 3, 2), date(2026, 3, 3)))
    await talk.open_report("assistance_quality")
    await talk.say("Half a kit.")
    assert await draft_keys(bot_core) == [monday]
    clock.advance(timedelta(minutes=5))
    replies = await talk.say("On Monday.")
    assert "Received: 2 messages" in replies.last.body
    assert await draft_keys(bot_core) == [tuesday]
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert case.narrative == "Half a kit.\n\nOn Monday."
    assert await draft_keys(bot_core) == []


async def draft_keys(core: Core) -> list[str]:
    async with core.database.read_only() as session:
        return list((await session.scalars(select(ConversationState.key))).all())
