"""The migrated schema is exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from storage.db import create_engine
from storage.migrate import current_revision, downgrade, head_revision, upgrade
from storage.models import Base

# Created by the migration on purpose, outside the models (see storage.search).
FULL_TEXT = (
    "cases_fts",
    "case_additions_fts",
    "attachments_fts",
    "ix_cases_narrative_fts",
    "ix_case_additions_body_fts",
    "search_document",
    "ix_cases_search_document",
)


def _include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return not (name and name.startswith(FULL_TEXT))


def _diff(connection: Any) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": _include}
    )
    return compare_metadata(context, Base.metadata)


async def test_migrated_schema_equals_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert await current_revision(engine) == head_revision()
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff)
        assert diff == []
    finally:
        await engine.dispose()


async def test_downgrade_to_nothing_and_up_again(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await downgrade(engine, "base")
        assert await current_revision(engine) is None
        await upgrade(engine)
        assert await current_revision(engine) == head_revision()
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await engine.dispose()


async def test_pending_enrolment_secrets_left_on_accounts_are_dropped(database_url: str) -> None:
    """Before 0014 a pending secret lived on the account, shown to every session that
    opened the enrolment page; the upgrade forgets it (the next sign-in draws a new one,
    for its own session) and keeps the secrets of enrolled accounts."""
    engine = create_engine(database_url)
    insert = text(
        "INSERT INTO staff_users (id, username, display_name, role, password_hash, "
        "is_active, created_at, updated_at, failed_logins, totp_secret_enc, "
        "totp_enrolled_at, totp_last_step) VALUES (:id, :name, '', 'focal_point', 'x', "
        ":active, :at, :at, 0, :secret, :enrolled, :step)"
    )
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    try:
        await downgrade(engine, "0014-1")
        async with engine.begin() as conn:
            await conn.execute(
                insert,
                [
                    {
                        "id": 1,
                        "name": "pending",
                        "active": True,
                        "at": at,
                        "secret": b"seen",
                        "enrolled": None,
                        "step": 7,
                    },
                    {
                        "id": 2,
                        "name": "enrolled",
                        "active": True,
                        "at": at,
                        "secret": b"kept",
                        "enrolled": at,
                        "step": 9,
                    },
                ],
            )
        await upgrade(engine)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT username, totp_secret_enc, totp_last_step FROM staff_users "
                        "ORDER BY id"
                    )
                )
            ).all()
        assert [(name, secret and bytes(secret), step) for name, secret, step in rows] == [
            ("pending", None, None),
            ("enrolled", b"kept", 9),
        ]
    finally:
        await upgrade(engine)


async def test_the_rows_under_the_old_pseudonyms_are_forgotten(database_url: str) -> None:
    """0012: drafts, kept languages, per-person counters and plain update ids of the old
    scheme (one pseudonym per person for everything) are deleted; global counters stay."""
    engine = create_engine(database_url)
    try:
        await downgrade(engine, "0011")
        async with engine.begin() as conn:
            for statement in (
                "INSERT INTO conversation_states (key, state, updated_at, expires_at) "
                "VALUES ('p', 'Report:summary', '2026-03-02 09:00:00', '2026-03-03 10:00:00')",
                "INSERT INTO language_preferences (key, language, expires_at) "
                "VALUES ('p', 'uk', '2026-06-01 00:00:00')",
                "INSERT INTO processed_updates (update_id, handled_at) "
                "VALUES (41, '2026-03-02 09:00:00')",
            ):
                await conn.execute(text(statement))
            for key in ("quota:reports:p", "quota:bytes:p", "receipt:p", "receipt:global"):
                await conn.execute(
                    text(
                        "INSERT INTO throttle_counters (key, window_start, count, expires_at) "
                        "VALUES (:key, '2026-03-02 09:00:00', 1, '2026-03-02 10:00:00')"
                    ),
                    {"key": key},
                )
        await upgrade(engine)
        async with engine.connect() as conn:
            counts = {
                table: (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
                for table in ("conversation_states", "language_preferences", "processed_updates")
            }
            keys = (await conn.execute(text("SELECT key FROM throttle_counters"))).scalars().all()
        assert counts == {
            "conversation_states": 0,
            "language_preferences": 0,
            "processed_updates": 0,
        }
        assert keys == ["receipt:global"]
    finally:
        await engine.dispose()


async def test_stored_text_is_lemmatised_and_indexed_by_the_upgrade(database_url: str) -> None:
    """0015 on a small database lemmatises what is stored, and the indexes take it in:
    the narrative's and an addition's inflected words match their lemma."""
    engine = create_engine(database_url)
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    try:
        await downgrade(engine, "0012")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO cases (id, ref, receipt_hash, category, sensitive, priority, "
                    "status, oblast, programme, language, channel, contact_mode, narrative, "
                    "created_at, updated_at, public_updated_at, acknowledge_due_at, "
                    "resolve_due_at, version) VALUES (7, 'HL-OLD', 'h', 'assistance_quality', "
                    ":no, 'normal', 'new', 'UA-63', 'food', 'uk', 'telegram', 'anonymous', "
                    "'Черга у Харкові', :at, :at, :at, :at, :at, 1)"
                ),
                {"no": False, "at": at},
            )
            await conn.execute(
                text(
                    "INSERT INTO case_additions (id, public_id, case_id, created_at, body) "
                    "VALUES (3, 'p3', 7, :at, 'Видачі немає')"
                ),
                {"at": at},
            )
        await upgrade(engine)
        async with engine.connect() as conn:
            lemmas = (
                await conn.execute(
                    text(
                        "SELECT c.lemmas, a.lemmas FROM cases c "
                        "JOIN case_additions a ON a.case_id = c.id"
                    )
                )
            ).one()
            if engine.dialect.name == "postgresql":
                match = (
                    "SELECT id FROM cases WHERE search_document @@ "
                    "to_tsquery('simple', 'харків & видача')"
                )
            else:
                match = (
                    "SELECT rowid FROM cases_fts WHERE cases_fts MATCH 'харків' "
                    "INTERSECT SELECT a.case_id FROM case_additions_fts f "
                    "JOIN case_additions a ON a.id = f.rowid WHERE case_additions_fts MATCH 'видача'"
                )
            matched = (await conn.execute(text(match))).scalars().all()
        assert "харків" in lemmas[0].split() and "видача" in lemmas[1].split()
        assert matched == [7]
    finally:
        await engine.dispose()


async def test_counts_built_before_the_points_crossings_are_built_again(
    database_url: str,
) -> None:
    """0025: daily counts built before it hold no crossings and no ratings by point, so
    the upgrade drops the state: every figure is counted from the rows until the next
    build (the scheduler's round), never from days that lack them."""
    engine = create_engine(database_url)
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    try:
        await downgrade(engine, "0024")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO day_count_state (id, zone, built_at, folded) "
                    "VALUES (1, 'Europe/Kyiv', :at, NULL)"
                ),
                {"at": at},
            )
        await upgrade(engine)
        async with engine.connect() as conn:
            left = (await conn.execute(text("SELECT count(*) FROM day_count_state"))).scalar()
        assert left == 0
    finally:
        await engine.dispose()
