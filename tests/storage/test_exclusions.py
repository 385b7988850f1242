"""A focal point steps back from a case or is excluded from it (issue 21 §2): the case
no longer exists for them, and the alerts can leave them out."""

from __future__ import annotations

import pytest

from storage.access import Actor
from storage.core import Core
from storage.errors import (
    AssigneeCannotSeeCase,
    CaseNotFound,
    LastFocalPoint,
    NotAFocalPoint,
    PermissionDenied,
)
from storage.repositories.exclusions import ExclusionRepository
from storage.repositories.filters import CaseFilter
from storage.services.exclusions import EXCLUDED, RECUSED, Exclusions
from storage.services.triage import CaseChanges, TriageService
from storage.services.worklist import Worklist
from tests.storage.helpers import content_snapshot, make_staff, submit

WORD = "pelicanmarmalade"


async def keep_away(core: Core, ref: str, actor: Actor, user_id: int | None) -> str:
    assert user_id is not None
    async with core.database.transaction() as session:
        return (await Exclusions(session, core).keep_away(ref, actor, user_id)).kind


async def sees(core: Core, ref: str, actor: Actor) -> bool:
    async with core.database.transaction() as session:
        try:
            await TriageService(session, core).page(ref, actor)
        except CaseNotFound:
            return False
        return True


async def listed(core: Core, actor: Actor, query: str | None = None) -> tuple[list[str], int]:
    async with core.database.transaction() as session:
        page = await Worklist(session, core).rows(actor, CaseFilter(), query=query)
        return [row["ref"] for row in page.items], page.total


async def test_an_excluded_focal_point_no_longer_sees_the_case(core: Core) -> None:
    anna = await make_staff(core, "anna", "focal_point")
    borys = await make_staff(core, "borys", "focal_point")
    made = await submit(core, category="sexual_exploitation", narrative=f"About {WORD}")
    async with core.database.transaction() as session:
        await TriageService(session, core).update(
            made.ref,
            anna,
            expected_version=1,
            changes=CaseChanges(set_assignee=True, assignee_id=borys.user_id),
        )
    assert await listed(core, borys, WORD) == ([made.ref], 1)

    assert await keep_away(core, made.ref, anna, borys.user_id) == EXCLUDED
    assert not await sees(core, made.ref, borys)
    async with core.database.transaction() as session:
        with pytest.raises(CaseNotFound):
            await TriageService(session, core).get_visible(made.ref, borys)
    assert await listed(core, borys) == ([], 0)
    assert await listed(core, borys, WORD) == ([], 0)
    # Anna still has it; it is no longer assigned to Borys, and cannot be again.
    assert await sees(core, made.ref, anna)
    async with core.database.transaction() as session:
        triage = TriageService(session, core)
        case = await triage.get_visible(made.ref, anna)
        assert case.assignee_id is None
        page = await triage.page(made.ref, anna)
        assert borys.user_id not in dict(page.assignees)
        assert page.colleagues == []
        events = [e.action for e in page.timeline]
        with pytest.raises(AssigneeCannotSeeCase):
            await triage.update(
                made.ref,
                anna,
                expected_version=case.version,
                changes=CaseChanges(set_assignee=True, assignee_id=borys.user_id),
            )
    assert "case.excluded" in events
    # The query the alerts use.
    async with core.database.read_only() as session:
        assert await ExclusionRepository(session).excluded_staff(case.id) == {borys.user_id}
    # Excluding again changes nothing.
    before = await content_snapshot(core)
    assert await keep_away(core, made.ref, anna, borys.user_id) == EXCLUDED
    assert await content_snapshot(core) == before


async def test_recusal_and_nobody_left_alone(core: Core) -> None:
    anna = await make_staff(core, "anna", "focal_point")
    borys = await make_staff(core, "borys", "focal_point")
    made = await submit(core, category="trafficking")
    assert await keep_away(core, made.ref, borys, borys.user_id) == RECUSED
    assert not await sees(core, made.ref, borys)
    # Anna is the last one who sees it: she can neither step back nor be left alone.
    before = await content_snapshot(core)
    with pytest.raises(LastFocalPoint):
        await keep_away(core, made.ref, anna, anna.user_id)
    assert await content_snapshot(core) == before
    # A new focal point makes it possible.
    await make_staff(core, "chrystia", "focal_point")
    assert await keep_away(core, made.ref, anna, anna.user_id) == RECUSED
    assert not await sees(core, made.ref, anna)


async def test_who_may_exclude_whom(core: Core) -> None:
    anna = await make_staff(core, "anna", "focal_point")
    await make_staff(core, "borys", "focal_point")
    operator = await make_staff(core, "olena", "operator")
    made = await submit(core, category="staff_conduct")
    before = await content_snapshot(core)
    with pytest.raises(PermissionDenied):
        await keep_away(core, made.ref, operator, anna.user_id)
    with pytest.raises(PermissionDenied):
        await keep_away(core, made.ref, operator, operator.user_id)
    with pytest.raises(NotAFocalPoint):
        await keep_away(core, made.ref, anna, operator.user_id)
    with pytest.raises(NotAFocalPoint):
        await keep_away(core, made.ref, anna, 999_999)
    assert await content_snapshot(core) == before
    # A standard case too: an excluded focal point does not see it, operators still do.
    sealed = await submit(core, category="fraud_corruption")
    assert await keep_away(core, made.ref, anna, anna.user_id) == RECUSED
    assert not await sees(core, made.ref, anna)
    assert await sees(core, made.ref, operator)
    assert (await listed(core, anna))[0] == [sealed.ref]
