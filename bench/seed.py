"""Bulk seeder: cases and ratings inserted through the storage models' tables with
executemany, bypassing the services (minutes for a million cases, not hours).

The data looks like the product's: standard cases keep their narrative plain (searchable),
sensitive ones (10%) encrypted under the narrative context, so the focal point's search has
real work to do. Two marker words give searches of known selectivity: ``RARE_WORD`` in about
one narrative in 10,000, ``COMMON_WORD`` in about one in three (and, by lemma, about half:
the vocabulary has ``набору``). Standard cases carry their lemmas as the application
writes them (storage.lemmas), so searches by another form of a word (``RARE_FORM``,
``COMMON_FORM``) find them through the lemma index.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ARRAY, DateTime, String, bindparam, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.catalog import DEFAULT_PROGRAMMES, load_oblasts
from storage.crypto import Crypto
from storage.enums import Channel, ContactMode, Language, Priority, RatingKind, Status
from storage.lemmas import index_text
from storage.models import Base, Case, FeedbackPoint, Rating, SurveyAnswer, SurveyResponse
from storage.sealed import Context
from storage.surveys import Choice, Demographic, Question, QuestionKind, Survey

RARE_WORD = "чорнобривці"
COMMON_WORD = "набір"
# Other forms of the same words: found only by lemma.
RARE_FORM = "чорнобривцями"
COMMON_FORM = "набором"
STANDARD = (
    "assistance_quality",
    "selection_process",
    "staff_conduct",
    "information_request",
    "assistance_request",
    "suggestion",
)
SENSITIVE = ("fraud_corruption", "sexual_exploitation", "trafficking")
STATUSES = (
    (Status.NEW, 10),
    (Status.ACKNOWLEDGED, 20),
    (Status.IN_PROGRESS, 20),
    (Status.REFERRED, 5),
    (Status.RESOLVED, 15),
    (Status.CLOSED, 30),
)
WORDS = (
    "нам видали лише половину продуктового набору у пункті видачі",
    "черга була дуже довга і ніхто не пояснив чому список змінився",
    "мама не отримала грошову допомогу хоча була зареєстрована минулого місяця",
    "волонтери були уважні але продуктів не вистачило для всіх сімей",
    "прошу перевірити список бо сусідам видали двічі а нам жодного разу",
    "дякуємо за допомогу діти дуже раді теплим речам і ліжкам",
)
VOCABULARY = sorted({w for line in WORDS for w in line.split()} - {COMMON_WORD})
BATCH = 5_000
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _narrative(rng: random.Random) -> str:
    words = rng.choices(VOCABULARY, k=rng.randint(8, 24))
    if rng.random() < 0.33:
        words.insert(rng.randrange(len(words) + 1), COMMON_WORD)
    if rng.random() < 0.0001:
        words.insert(rng.randrange(len(words) + 1), RARE_WORD)
    words.append(f"w{rng.randrange(50_000)}")  # a long tail of distinct words
    return " ".join(words)


def case_rows(count: int, crypto: Crypto, seed: int = 7) -> Iterator[list[dict[str, Any]]]:
    rng = random.Random(seed)
    oblasts = [o.code for o in load_oblasts()]
    programmes = [p.code for p in DEFAULT_PROGRAMMES]
    statuses = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    batch: list[dict[str, Any]] = []
    for n in range(1, count + 1):
        sensitive = rng.random() < 0.10
        created = NOW - timedelta(minutes=rng.randrange(365 * 24 * 60))
        status = rng.choices(statuses, weights)[0]
        narrative = _narrative(rng)
        done = status in (Status.RESOLVED, Status.CLOSED)
        batch.append(
            {
                "ref": f"HL-{created.year}-{n:07d}",
                "receipt_hash": hashlib.sha256(b"bench-%d" % n).hexdigest(),
                "category": rng.choice(SENSITIVE if sensitive else STANDARD),
                "sensitive": sensitive,
                "priority": (Priority.URGENT if sensitive else rng.choice(list(Priority))).value,
                "status": status.value,
                "oblast": rng.choice(oblasts),
                "programme": rng.choice(programmes) if rng.random() < 0.9 else None,
                "language": rng.choice(list(Language)).value,
                "channel": Channel.TELEGRAM.value,
                "contact_mode": rng.choice(list(ContactMode)).value,
                "narrative": None if sensitive else narrative,
                "lemmas": None if sensitive else index_text(narrative),
                "narrative_enc": crypto.encrypt_text(narrative, Context.NARRATIVE)
                if sensitive
                else None,
                "created_at": created,
                "updated_at": created + timedelta(hours=2),
                "acknowledge_due_at": created + timedelta(hours=24 if sensitive else 72),
                "resolve_due_at": created + timedelta(days=7 if sensitive else 30),
                "acknowledged_at": None if status is Status.NEW else created + timedelta(hours=1),
                "referred_at": created + timedelta(days=1) if status is Status.REFERRED else None,
                "resolved_at": created + timedelta(days=5) if done else None,
                "closed_at": created + timedelta(days=6) if status is Status.CLOSED else None,
                "public_updated_at": created + timedelta(hours=2),
                "reporter_updated_at": None,
                "content_purged_at": None,
                "assignee_id": None,
                "handling_score": None,
                "version": 1,
            }
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def rating_rows(count: int, cases: int, seed: int = 11) -> Iterator[list[dict[str, Any]]]:
    rng = random.Random(seed)
    programmes = [p.code for p in DEFAULT_PROGRAMMES]
    linked = rng.sample(range(1, cases + 1), min(cases, count // 3))
    batch: list[dict[str, Any]] = []
    for n in range(count):
        handling = n < len(linked)
        batch.append(
            {
                "kind": (RatingKind.HANDLING if handling else RatingKind.ASSISTANCE).value,
                "created_at": NOW - timedelta(minutes=rng.randrange(365 * 24 * 60)),
                "programme": rng.choice(programmes),
                "score": rng.randint(1, 5),
                "reasons": rng.sample(["timely", "respectful", "complete", "clear"], 2),
                "comment": None,
                "language": rng.choice(list(Language)).value,
                "channel": Channel.TELEGRAM.value,
                "case_id": linked[n] if handling else None,
            }
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def seed(engine: AsyncEngine, crypto: Crypto, *, cases: int, ratings: int) -> float:
    """Insert ``cases`` and ``ratings`` rows; return the seconds it took."""
    started = time.perf_counter()
    async with engine.connect() as conn:
        for batch in case_rows(cases, crypto):
            await conn.execute(insert(Base.metadata.tables[Case.__tablename__]), batch)
            await conn.commit()
        for batch in rating_rows(ratings, cases):
            await conn.execute(insert(Base.metadata.tables[Rating.__tablename__]), batch)
            await conn.commit()
    # Plans as a long-running deployment would have: statistics, and on PostgreSQL the
    # visibility map that autovacuum keeps (index-only scans are costed, and chosen, from
    # it: a bench on a never-vacuumed table missed a rare word's plan going from 2 to
    # 150 ms at a million cases).
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE"))
        else:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
    return time.perf_counter() - started


# The statistics bench on PostgreSQL: the same shape of data made by the database itself
# (generate_series), a million cases in about a minute instead of a quarter of an hour.
# No narratives: the figures never read them (the API bench seeds with seed() above).
_SQL_CASES = """
INSERT INTO cases (ref, receipt_hash, category, sensitive, priority, status, oblast,
    programme, language, channel, contact_mode, created_at, updated_at,
    acknowledge_due_at, resolve_due_at, acknowledged_at, referred_at, resolved_at,
    closed_at, public_updated_at, version)
SELECT 'HL-S-' || lpad(g::text, 9, '0'), md5('bench-sql-' || g) || md5('x' || g),
    CASE WHEN sens THEN (:sensitive)[1 + floor(r_cat * 3)::int]
         ELSE (:standard)[1 + floor(r_cat * 6)::int] END,
    sens, CASE WHEN sens THEN 'urgent' ELSE 'normal' END, st,
    (:oblasts)[1 + floor(r_obl * :n_oblasts)::int],
    CASE WHEN r_prog < 0.9 THEN (:programmes)[1 + floor(r_prog / 0.9 * :n_programmes)::int] END,
    (ARRAY['uk', 'ru', 'en'])[1 + floor(r_lang * 3)::int], 'telegram', 'anonymous',
    created, created + interval '2 hours',
    created + CASE WHEN sens THEN interval '24 hours' ELSE interval '72 hours' END,
    created + CASE WHEN sens THEN interval '7 days' ELSE interval '30 days' END,
    CASE WHEN st <> 'new' THEN created + interval '1 hour' END,
    CASE WHEN st = 'referred' THEN created + interval '1 day' END,
    CASE WHEN st IN ('resolved', 'closed') THEN created + interval '5 days' END,
    CASE WHEN st = 'closed' THEN created + interval '6 days' END,
    created + interval '2 hours', 1
FROM (
    SELECT g, r_sens < 0.10 AS sens, r_cat, r_obl, r_prog, r_lang,
        :now - make_interval(mins => floor(r_time * 525600)::int) AS created,
        CASE WHEN r_st < 0.10 THEN 'new' WHEN r_st < 0.30 THEN 'acknowledged'
             WHEN r_st < 0.50 THEN 'in_progress' WHEN r_st < 0.55 THEN 'referred'
             WHEN r_st < 0.70 THEN 'resolved' ELSE 'closed' END AS st
    FROM (SELECT g, random() AS r_sens, random() AS r_cat, random() AS r_obl,
              random() AS r_prog, random() AS r_lang, random() AS r_time, random() AS r_st
          FROM generate_series(1, :cases) AS g) AS draws
) AS drawn
"""
_SQL_RATINGS = """
INSERT INTO ratings (kind, created_at, programme, score, reasons, language, channel)
SELECT CASE WHEN g <= :handling THEN 'handling' ELSE 'assistance' END,
    :now - make_interval(mins => floor(random() * 525600)::int),
    (:programmes)[1 + floor(random() * :n_programmes)::int], 1 + floor(random() * 5)::int,
    json_build_array((ARRAY['timely', 'respectful'])[1 + floor(random() * 2)::int],
                     (ARRAY['complete', 'clear'])[1 + floor(random() * 2)::int]),
    (ARRAY['uk', 'ru', 'en'])[1 + floor(random() * 3)::int], 'telegram'
FROM generate_series(1, :ratings) AS g
"""


def _typed(*names: str) -> list[Any]:
    return [bindparam(name, type_=ARRAY(String)) for name in names] + [
        bindparam("now", type_=DateTime(timezone=True))
    ]


async def seed_sql(engine: AsyncEngine, *, cases: int, ratings: int) -> float:
    """PostgreSQL only: ``cases`` and ``ratings`` rows made by the database, shaped as
    :func:`seed`'s (categories, 10% sensitive, statuses, deadlines, a year before NOW);
    returns the seconds it took, VACUUM ANALYZE included."""
    started = time.perf_counter()
    oblasts = [o.code for o in load_oblasts()]
    programmes = [p.code for p in DEFAULT_PROGRAMMES]
    async with engine.begin() as conn:
        await conn.execute(text("SELECT setseed(0.7)"))
        await conn.execute(
            text(_SQL_CASES).bindparams(*_typed("sensitive", "standard", "oblasts", "programmes")),
            {
                "sensitive": list(SENSITIVE),
                "standard": list(STANDARD),
                "oblasts": oblasts,
                "n_oblasts": len(oblasts),
                "programmes": programmes,
                "n_programmes": len(programmes),
                "now": NOW,
                "cases": cases,
            },
        )
        await conn.execute(
            text(_SQL_RATINGS).bindparams(*_typed("programmes")),
            {
                "programmes": programmes,
                "n_programmes": len(programmes),
                "now": NOW,
                "ratings": ratings,
                "handling": ratings // 3,
            },
        )
    async with engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


# A busy feedback point (issue 24 §3): a year of survey responses and ratings at one point.
POINT_SURVEY = Survey(
    (
        Question(
            "satisfaction",
            QuestionKind.SCALE,
            {Language.UK: "Наскільки ви задоволені?", Language.EN: "How satisfied?"},
            minimum=1,
            maximum=5,
        ),
        Question(
            "respect",
            QuestionKind.SCALE,
            {Language.UK: "Чи ставилися до вас з повагою?", Language.EN: "Treated with respect?"},
            required=False,
            minimum=1,
            maximum=5,
        ),
        Question(
            "sex",
            QuestionKind.CHOICE,
            {Language.UK: "Стать", Language.EN: "Sex"},
            required=False,
            choices=(
                Choice("female", {Language.UK: "Жінка", Language.EN: "Female"}),
                Choice("male", {Language.UK: "Чоловік", Language.EN: "Male"}),
            ),
            demographic=Demographic.SEX,
        ),
        Question(
            "age",
            QuestionKind.CHOICE,
            {Language.UK: "Вікова група", Language.EN: "Age group"},
            required=False,
            choices=tuple(
                Choice(code, {Language.UK: code, Language.EN: code})
                for code in ("18_29", "30_59", "60_plus")
            ),
            demographic=Demographic.AGE_GROUP,
        ),
        Question(
            "words", QuestionKind.TEXT, {Language.UK: "Що ще?", Language.EN: "Anything else?"}
        ),
    )
)
POINT_CODE = "BENCH2"  # the codes' alphabet (storage.services.feedback_points)


def _hour(rng: random.Random) -> datetime:
    """A response's or a rating's coarse time: a whole hour within the year before NOW."""
    return NOW - timedelta(hours=rng.randrange(1, 365 * 24))


def response_rows(
    count: int, point_id: int, seed: int = 13
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """Batches of (responses, their answers): the two scales, sex, age group and words,
    each but the first sometimes skipped, as a person may."""
    rng = random.Random(seed)
    responses: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    for n in range(1, count + 1):
        responses.append(
            {
                "id": n,
                "point_id": point_id,
                "created_at": _hour(rng),
                "language": rng.choice(list(Language)).value,
                "channel": rng.choice((Channel.TELEGRAM, Channel.WEB)).value,
            }
        )
        given: list[tuple[str, str | None, int | None, str | None]] = []
        score = rng.choices((1, 2, 3, 4, 5), (5, 10, 20, 40, 25))[0]
        given.append(("satisfaction", str(score), score, None))
        if rng.random() < 0.9:
            respect = rng.randint(2, 5)
            given.append(("respect", str(respect), respect, None))
        if rng.random() < 0.95:
            given.append(("sex", rng.choices(("female", "male"), (62, 38))[0], None, None))
        if rng.random() < 0.9:
            given.append(
                ("age", rng.choices(("18_29", "30_59", "60_plus"), (2, 5, 3))[0], None, None)
            )
        if rng.random() < 0.3:
            given.append(("words", None, None, rng.choice(WORDS)))
        for question, value, number, words in given:
            answers.append(
                {
                    "response_id": n,
                    "question": question,
                    "value": value,
                    "number": number,
                    "text": words,
                }
            )
        if len(responses) == BATCH:
            yield responses, answers
            responses, answers = [], []
    if responses:
        yield responses, answers


def point_rating_rows(count: int, point_id: int, seed: int = 17) -> Iterator[list[dict[str, Any]]]:
    rng = random.Random(seed)
    batch: list[dict[str, Any]] = []
    for _ in range(count):
        batch.append(
            {
                "kind": RatingKind.ASSISTANCE.value,
                "created_at": _hour(rng),
                "programme": "food",
                "score": rng.choices((1, 2, 3, 4, 5), (5, 10, 20, 40, 25))[0],
                "reasons": [],
                "comment": None,
                "language": rng.choice(list(Language)).value,
                "channel": Channel.TELEGRAM.value,
                "case_id": None,
                "feedback_point_id": point_id,
            }
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def seed_point(engine: AsyncEngine, *, responses: int, ratings: int) -> float:
    """One feedback point (:data:`POINT_CODE`, :data:`POINT_SURVEY`) with ``responses``
    survey responses and ``ratings`` ratings over the year before NOW, inserted around
    the ORM (so the daily counts are not built); returns the seconds it took."""
    started = time.perf_counter()
    tables = Base.metadata.tables
    async with engine.connect() as conn:
        point_id = (
            await conn.execute(
                insert(tables[FeedbackPoint.__tablename__]).returning(
                    tables[FeedbackPoint.__tablename__].c.id
                ),
                {
                    "code": POINT_CODE,
                    "name": "Food kits, bench",
                    "programme": "food",
                    "oblast": "UA-63",
                    "site": None,
                    "active_from": (NOW - timedelta(days=400)).date(),
                    "active_until": None,
                    "served": responses * 2,
                    "survey": POINT_SURVEY.to_json(),
                    "created_at": NOW - timedelta(days=400),
                    "updated_at": NOW - timedelta(days=400),
                },
            )
        ).scalar_one()
        for given, answered in response_rows(responses, point_id):
            await conn.execute(insert(tables[SurveyResponse.__tablename__]), given)
            await conn.execute(insert(tables[SurveyAnswer.__tablename__]), answered)
            await conn.commit()
        for batch in point_rating_rows(ratings, point_id):
            await conn.execute(insert(tables[Rating.__tablename__]), batch)
            await conn.commit()
        if engine.dialect.name == "postgresql":
            await conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('survey_responses', 'id'), "
                    "(SELECT max(id) FROM survey_responses))"
                )
            )
            await conn.commit()
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE"))
        else:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
    return time.perf_counter() - started
