"""Reply templates (:mod:`storage.services.reply_templates`)."""

from __future__ import annotations

from sqlalchemy import select

from storage.enums import Language
from storage.models import ReplyTemplate
from storage.repositories.base import Repository


class ReplyTemplateRepository(Repository):
    async def all(self) -> list[ReplyTemplate]:
        stmt = select(ReplyTemplate).order_by(ReplyTemplate.name, ReplyTemplate.language)
        return list((await self.session.scalars(stmt)).all())

    async def get(self, public_id: str) -> ReplyTemplate | None:
        stmt = select(ReplyTemplate).where(ReplyTemplate.public_id == public_id)
        return (await self.session.scalars(stmt)).one_or_none()

    async def named(self, name: str, language: Language) -> ReplyTemplate | None:
        stmt = select(ReplyTemplate).where(
            ReplyTemplate.name == name, ReplyTemplate.language == language
        )
        return (await self.session.scalars(stmt)).one_or_none()

    def add(self, template: ReplyTemplate) -> None:
        self.session.add(template)

    async def delete(self, template: ReplyTemplate) -> None:
        await self.session.delete(template)

    async def flush(self) -> None:
        await self.session.flush()
