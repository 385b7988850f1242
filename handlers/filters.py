"""Filters that decide which handler a button belongs to."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import CallbackQuery

from storage.core import Core
from storage.errors import DomainError

NOT_SPECIFIED = "-"


class Known(Filter):
    """Only a code the catalogue knows: a forged or outdated one falls through to the
    stale-button answer instead of failing deep inside a handler."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "category", "programme" or "oblast"

    async def __call__(self, callback: CallbackQuery, callback_data: Any, core: Core) -> bool:
        code = callback_data.code
        if self.kind == "programme" and code == NOT_SPECIFIED:
            return True
        try:
            getattr(core.catalog, self.kind)(code)
        except DomainError:
            return False
        return True
