from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Executable
from sqlalchemy.ext.asyncio import AsyncSession


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``: the few statements that differ ask this."""
        return self.session.get_bind().dialect.name

    async def execute_counted(self, stmt: Executable) -> int:
        """Run an UPDATE or DELETE; how many rows it touched."""
        result = cast(CursorResult[Any], await self.session.execute(stmt))
        return int(result.rowcount or 0)
