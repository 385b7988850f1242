from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, case, delete, exists, false, func, inspect, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import ConversationState, LanguagePreference, ProcessedUpdate
from storage.repositories.base import Repository


@dataclass(frozen=True)
class Snapshot:
    """What the bot reads before an update: the draft row (and the key it was found
    under), the kept language, and whether the update was handled before (None when
    not asked)."""

    draft_key: str | None
    state: str | None
    data_enc: bytes | None
    expires_at: datetime | None
    language: str | None
    language_expires_at: datetime | None
    update_seen: bool | None


async def read_snapshot(
    connection: AsyncConnection | AsyncSession,
    drafts: Sequence[str],
    language: str,
    update_tag: int | None,
) -> Snapshot:
    """The draft, the language and the redelivery check in one statement (one row always):
    three reads and their round trips were most of the bot's database time per update.

    ``drafts``: the keys the draft may be under, the preferred first (today's, then
    yesterday's: a draft's key changes with the day, see storage.crypto.PersonKeys)."""
    anchor = select(literal(language, String).label("key")).subquery("anchor")
    seen = (
        exists().where(ProcessedUpdate.update_id == update_tag)
        if update_tag is not None
        else false()
    )
    preference = case(
        *((ConversationState.key == key, rank) for rank, key in enumerate(drafts)),
        else_=len(drafts),
    )
    stmt = (
        select(
            ConversationState.key,
            ConversationState.state,
            ConversationState.data_enc,
            ConversationState.expires_at,
            LanguagePreference.language,
            LanguagePreference.expires_at,
            seen,
        )
        .select_from(
            anchor.outerjoin(LanguagePreference, LanguagePreference.key == anchor.c.key).outerjoin(
                ConversationState, ConversationState.key.in_(list(drafts))
            )
        )
        .order_by(preference)
        .limit(1)
    )
    row = (await connection.execute(stmt)).one()
    return Snapshot(
        draft_key=row[0],
        state=row[1],
        data_enc=row[2],
        expires_at=row[3],
        language=row[4],
        language_expires_at=row[5],
        update_seen=bool(row[6]) if update_tag is not None else None,
    )


class ConversationRepository(Repository):
    async def get(self, key: str) -> ConversationState | None:
        return await self.session.get(ConversationState, key)

    def add(self, row: ConversationState) -> None:
        self.session.add(row)

    async def put(
        self,
        key: str,
        state: str | None,
        data_enc: bytes | None,
        updated_at: datetime,
        expires_at: datetime,
    ) -> None:
        """Insert or replace a draft row in one statement (the bot writes one per update:
        a read first and an ORM update after it cost a second round trip)."""
        insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        values = {
            "state": state,
            "data_enc": data_enc,
            "updated_at": updated_at,
            "expires_at": expires_at,
        }
        stmt = insert(ConversationState).values(key=key, **values)
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=[ConversationState.key], set_=values)
        )
        # A copy this session loaded earlier is now stale: read it again when next asked.
        loaded = self.session.identity_map.get(
            inspect(ConversationState).identity_key_from_primary_key((key,))
        )
        if loaded is not None:
            self.session.expire(loaded)

    async def delete(self, key: str) -> None:
        await self.session.execute(delete(ConversationState).where(ConversationState.key == key))

    async def language(self, key: str) -> LanguagePreference | None:
        return await self.session.get(LanguagePreference, key)

    def add_language(self, row: LanguagePreference) -> None:
        self.session.add(row)

    async def delete_expired(self, now: datetime) -> int:
        """Expired drafts (counted) and expired language choices (not drafts)."""
        await self.session.execute(
            delete(LanguagePreference).where(LanguagePreference.expires_at < now)
        )
        return await self.execute_counted(
            delete(ConversationState).where(ConversationState.expires_at < now)
        )

    async def count_expired(self, now: datetime) -> int:
        stmt = select(func.count()).where(ConversationState.expires_at < now)
        return int(await self.session.scalar(stmt) or 0)
