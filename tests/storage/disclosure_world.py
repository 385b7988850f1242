"""A small world of cases and ratings that can be changed one item at a time, for the
brute-force disclosure solvers (tests/storage/test_transparency_solver.py and
test_workbook_solver.py).

An attacker who sees a published output and wants a withheld count asks: which worlds
would have produced exactly this output? If every such world has the same value in a
withheld cell, the output gave it away. The solvers build the real world in a real
database, then try alternative worlds made by moving one case or rating into or out of
a month (to and from a reserve far outside every window, so nothing else changes),
publish again with the real code, and compare. A withheld cell is safe when some
indistinguishable world holds a different value in it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import Language, Status
from storage.models import Case, Rating
from storage.services.ratings import RatingService
from tests.storage.helpers import submit

KYIV = ZoneInfo("Europe/Kyiv")
# Far outside every window the outputs offer: where moved-out items wait.
RESERVE = datetime(2019, 6, 3, 9, 0, tzinfo=UTC)
CASE_TIMES = (
    "created_at",
    "updated_at",
    "acknowledge_due_at",
    "resolve_due_at",
    "acknowledged_at",
    "referred_at",
    "resolved_at",
    "closed_at",
    "public_updated_at",
    "reporter_updated_at",
)


@dataclass
class Item:
    """One case or rating: what it is (``kind``: ``case``/``rating``; ``group``, the
    cell it counts in; ``traits``, what else it carries) and where it is now."""

    kind: str
    key: str | int
    group: str
    traits: dict[str, Any]
    at: datetime

    @property
    def month(self) -> str:
        local = self.at.astimezone(KYIV)
        return f"{local.year:04d}-{local.month:02d}"


@dataclass
class World:
    core: Core
    clock: FrozenClock
    now: datetime
    items: list[Item] = field(default_factory=list)
    _reserve_slot: int = 0

    def _slot(self) -> datetime:
        self._reserve_slot += 1
        return RESERVE + timedelta(hours=self._reserve_slot)

    async def case(
        self,
        at: datetime | None,
        *,
        category: str = "assistance_quality",
        on_time: bool | None = True,
        handling: int | None = None,
        **traits: Any,
    ) -> Item:
        """A case received at ``at`` (None: in the reserve), resolved on time, late, or
        (``on_time=None``) still open; every case is past its deadlines by ``now``."""
        at = at or self._slot()
        self.clock.set(at)
        traits = {"oblast": "UA-63", "programme": "food", "language": Language.UK, **traits}
        made = await submit(self.core, category=category, **traits)
        async with self.core.database.transaction() as session:
            case = await session.scalar(select(Case).where(Case.ref == made.ref))
            assert case is not None
            values: dict[str, Any] = {"acknowledged_at": case.created_at + timedelta(hours=1)}
            if on_time is not None:
                late = case.resolve_due_at - case.created_at + timedelta(days=1)
                values["resolved_at"] = case.created_at + (timedelta(hours=20) if on_time else late)
                values["status"] = Status.RESOLVED
            else:
                values["status"] = Status.IN_PROGRESS
            if handling is not None:
                values["handling_score"] = handling
            await session.execute(update(Case).where(Case.id == case.id).values(**values))
            sensitive = case.sensitive
        self.clock.set(self.now)
        item = Item(
            "case",
            made.ref,
            "sensitive" if sensitive else "complaints_feedback",
            {"category": category, "on_time": on_time, "handling": handling, **traits},
            at,
        )
        self.items.append(item)
        return item

    async def rating(self, at: datetime | None, score: int, programme: str = "food") -> Item:
        at = at or self._slot()
        self.clock.set(at)
        async with self.core.database.transaction() as session:
            rating = await RatingService(session, self.core).rate_assistance(
                programme=programme,
                score=score,
                reasons=["waiting_time"] if score <= 2 else [],
                language=Language.UK,
            )
            key, created = rating.id, rating.created_at
        self.clock.set(self.now)
        item = Item(
            "rating",
            key,
            "satisfaction_responses",
            {"score": score, "programme": programme},
            created,
        )
        self.items.append(item)
        return item

    async def move(self, item: Item, to: datetime) -> None:
        """Every time of the item shifted so that it was received at ``to``: its SLA
        outcome and everything else stay as they were."""
        delta = to - item.at
        async with self.core.database.transaction() as session:
            if item.kind == "rating":
                await session.execute(
                    update(Rating).where(Rating.id == item.key).values(created_at=to)
                )
            else:
                case = await session.scalar(select(Case).where(Case.ref == item.key))
                assert case is not None
                values = {
                    name: getattr(case, name) + delta
                    for name in CASE_TIMES
                    if getattr(case, name) is not None
                }
                await session.execute(update(Case).where(Case.id == case.id).values(**values))
        item.at = to

    async def change(self, item: Item, **traits: Any) -> dict[str, Any]:
        """Give the item other traits (an oblast, a score, ...); returns the old ones."""
        old = {name: item.traits[name] for name in traits}
        model = Rating if item.kind == "rating" else Case
        column = model.id if item.kind == "rating" else Case.ref
        async with self.core.database.transaction() as session:
            await session.execute(update(model).where(column == item.key).values(**traits))
        item.traits.update(traits)
        return old

    def in_month(self, month: str, group: str) -> list[Item]:
        return [i for i in self.items if i.month == month and i.group == group]

    def reserve(self, group: str) -> list[Item]:
        return [i for i in self.items if i.at < RESERVE + timedelta(days=365) and i.group == group]

    def counts(self) -> dict[tuple[str, str], int]:
        result: dict[tuple[str, str], int] = {}
        for item in self.items:
            result[(item.month, item.group)] = result.get((item.month, item.group), 0) + 1
        return result


@dataclass(frozen=True)
class Move:
    """Take ``item`` to ``to`` (a moment in a month, or the reserve), or give it other
    ``traits``; and back."""

    item: Item
    to: datetime | None
    months: tuple[str, ...]  # the months whose figures change
    traits: tuple[tuple[str, Any], ...] = ()

    async def apply(self, world: World) -> Callable[[], Awaitable[None]]:
        """Make the move; returns what undoes it."""
        item = self.item
        if self.to is not None:
            back = item.at
            await world.move(item, self.to)
            return lambda: world.move(item, back)
        old = await world.change(item, **dict(self.traits))
        return lambda: _restore(world, item, old)


async def _restore(world: World, item: Item, old: dict[str, Any]) -> None:
    await world.change(item, **old)


def rekeys_for(
    world: World, month: str, group: str, trait: str, values: Iterable[Any]
) -> list[Move]:
    """One item of each value of ``trait`` in ``month`` given each other value: the step
    that keeps every total and moves one count from a row to another."""
    result: list[Move] = []
    items = world.in_month(month, group)
    present = sorted({i.traits[trait] for i in items}, key=repr)
    for value in present:
        item = next(i for i in items if i.traits[trait] == value)
        for other in values:
            if other != value:
                result.append(Move(item, None, (month,), ((trait, other),)))
    return result


def moves_for(
    world: World,
    month: str,
    at: datetime,
    groups: Iterable[str],
    kind: Callable[[Item], Hashable] = lambda item: repr(sorted(item.traits.items())),
) -> list[Move]:
    """One case or rating of each ``kind`` taken out of ``month``, and one of each kind
    brought in from the reserve. (Fewer moves can only make the solver find more.)"""
    result: list[Move] = []
    for group in groups:
        seen: set[Hashable] = set()
        for item in world.in_month(month, group):
            if kind(item) not in seen:
                seen.add(kind(item))
                result.append(Move(item, world._slot(), (month,)))
        seen = set()
        for item in world.reserve(group):
            if kind(item) not in seen:
                seen.add(kind(item))
                result.append(Move(item, at, (month,)))
    return result


Output = dict[Hashable, Any]


async def solve(
    world: World,
    observe: Callable[[tuple[str, ...]], Awaitable[Output]],
    truth: Callable[[], dict[Hashable, int]],
    withheld: set[Hashable],
    moves: list[Move],
) -> dict[Hashable, set[int]]:
    """For every withheld cell, the values it holds in the worlds (the real one and every
    one-step alternative) that publish exactly what the real world publishes.

    ``observe(months)`` publishes everything that depends on those months (every
    output, every window, that contains one of them) with the real code; ``truth()``
    gives the true value of every cell in the world as it is now.
    """
    real = truth()
    options: dict[Hashable, set[int]] = {cell: {real[cell]} for cell in withheld}
    baseline: dict[tuple[str, ...], Output] = {}
    for move in moves:
        if move.months not in baseline:
            baseline[move.months] = await observe(move.months)
        undo = await move.apply(world)
        try:
            seen = await observe(move.months)
            values = truth()
        finally:
            await undo()
        if seen == baseline[move.months]:
            for cell in withheld:
                options[cell].add(values.get(cell, 0))
    return options
