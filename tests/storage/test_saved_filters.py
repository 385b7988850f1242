"""Saved worklist filters (issue 22 §1): per person, by name (case-insensitively one per
name), at most twenty, and nobody else's to read or delete (both engines)."""

from __future__ import annotations

import pytest

from storage.core import Core
from storage.errors import InvalidFilterName, NotFound, TooManySavedFilters
from storage.services.console import SavedFilters
from tests.storage.helpers import make_staff


async def test_saved_filters_are_per_person_named_and_bounded(core: Core) -> None:
    olena = await make_staff(core, "olena", "operator")
    taras = await make_staff(core, "taras", "operator")
    assert olena.user_id is not None and taras.user_id is not None
    async with core.database.transaction() as session:
        service = SavedFilters(session, core)
        first = await service.save(olena.user_id, " My  overdue ", "assignee=mine&overdue=1")
        await service.save(olena.user_id, "MY OVERDUE", "assignee=mine")
        await service.save(taras.user_id, "my overdue", "tab=new")
    async with core.database.transaction() as session:
        service = SavedFilters(session, core)
        mine = await service.of(olena.user_id)
        assert [(f.name, f.query) for f in mine] == [("MY OVERDUE", "assignee=mine")]
        assert mine[0].id == first.id
        with pytest.raises(NotFound):
            await service.delete(taras.user_id, first.id)
        for bad in ("", "  ", "x" * 61):
            with pytest.raises(InvalidFilterName):
                await service.save(olena.user_id, bad, "tab=new")
        for i in range(SavedFilters.MAX_PER_PERSON - 1):
            await service.save(olena.user_id, f"filter {i}", "tab=new")
        with pytest.raises(TooManySavedFilters):
            await service.save(olena.user_id, "one more", "tab=new")
        await service.save(olena.user_id, "filter 3", "tab=closed")  # a replacement fits
    async with core.database.transaction() as session:
        service = SavedFilters(session, core)
        assert len(await service.of(olena.user_id)) == SavedFilters.MAX_PER_PERSON
        await service.delete(olena.user_id, first.id)
        assert len(await service.of(olena.user_id)) == SavedFilters.MAX_PER_PERSON - 1
        assert [f.query for f in await service.of(taras.user_id)] == ["tab=new"]
