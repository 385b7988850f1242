"""One change to many cases at once, from a worklist selection: assign, acknowledge, set
the priority or add a tag.

Each case is changed as if on its own page (:meth:`TriageService.update`): with the
version the list showed, under its own savepoint, with its own audit event. A case
someone changed since the list was drawn is left alone and named in the answer
(``stale``); a case the change does not fit (already acknowledged, an assignee who may
not see it, a case that is gone or hidden) is named with the reason (``refused``); the
others go through. The whole request fails only for a change that fits no case (an
unknown priority, a malformed tag).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor
from storage.core import Core
from storage.enums import Priority, Status
from storage.errors import DomainError, InvalidInput, PermissionDenied, StaleVersion
from storage.services.triage import CaseChanges, TriageService, normalize_tags

MAX_BULK = 200


class BulkAction(StrEnum):
    ASSIGN = "assign"
    ACKNOWLEDGE = "acknowledge"
    PRIORITY = "priority"
    TAG = "tag"


class Outcome(StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"  # it already was so
    STALE = "stale"  # changed by someone else since the list was drawn
    REFUSED = "refused"


@dataclass(frozen=True)
class Selected:
    """A case as the list showed it: its reference and the version then."""

    ref: str
    version: int


@dataclass(frozen=True)
class BulkChange:
    action: BulkAction
    assignee_id: int | None = None  # ASSIGN: None unassigns
    priority: Priority | None = None  # PRIORITY
    tag: str | None = None  # TAG


@dataclass(frozen=True)
class BulkItem:
    ref: str
    outcome: Outcome
    version: int | None = None  # the case's version after the change
    code: str | None = None  # why it was refused (a domain error's code)


@dataclass(frozen=True)
class BulkResult:
    items: list[BulkItem] = field(default_factory=list)

    def refs(self, outcome: Outcome) -> list[str]:
        return [i.ref for i in self.items if i.outcome is outcome]

    @property
    def changed(self) -> list[str]:
        return self.refs(Outcome.CHANGED)

    @property
    def stale(self) -> list[str]:
        return self.refs(Outcome.STALE)

    @property
    def refused(self) -> list[BulkItem]:
        return [i for i in self.items if i.outcome is Outcome.REFUSED]


def _checked(change: BulkChange) -> BulkChange:
    """The change itself must be one that could fit a case."""
    action = BulkAction(change.action)
    if action is BulkAction.PRIORITY and change.priority is None:
        raise InvalidInput("Choose a priority.")
    if action is BulkAction.TAG:
        tags = normalize_tags([change.tag or ""])
        if len(tags) != 1:
            raise InvalidInput("Give one tag.")
        return BulkChange(action, tag=tags[0])
    return change


class BulkTriage:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.session = session
        self.triage = TriageService(session, core)

    async def apply(
        self, actor: Actor, selected: Sequence[Selected], change: BulkChange
    ) -> BulkResult:
        if not actor.can_see_cases:
            raise PermissionDenied("Your role does not work with cases.")
        if not selected:
            raise InvalidInput("Select at least one case.")
        if len(selected) > MAX_BULK:
            raise InvalidInput(f"At most {MAX_BULK} cases at once.")
        change = _checked(change)
        items: list[BulkItem] = []
        seen: set[str] = set()
        for one in selected:
            if one.ref in seen:
                continue
            seen.add(one.ref)
            items.append(await self._one(actor, one, change))
        return BulkResult(items)

    async def _one(self, actor: Actor, one: Selected, change: BulkChange) -> BulkItem:
        # A savepoint per case: a refusal or a lost race undoes this case's change only.
        savepoint = await self.session.begin_nested()
        ref = one.ref.strip().upper()
        try:
            case = await self.triage.get_visible(one.ref, actor, audit_read=False)
            # Read now: a rolled-back savepoint expires what it loaded.
            ref, version = case.ref, case.version
            if version != one.version:
                raise StaleVersion(one.version, version)
            updated = await self.triage.change(
                case,
                actor,
                expected_version=one.version,
                changes=self._changes(change, [t.tag for t in case.tags]),
            )
        except StaleVersion:
            await savepoint.rollback()
            return BulkItem(ref, Outcome.STALE)
        except DomainError as error:
            await savepoint.rollback()
            return BulkItem(ref, Outcome.REFUSED, code=error.code)
        await savepoint.commit()
        outcome = Outcome.CHANGED if updated.version != version else Outcome.UNCHANGED
        return BulkItem(ref, outcome, version=updated.version)

    @staticmethod
    def _changes(change: BulkChange, tags: list[str]) -> CaseChanges:
        if change.action is BulkAction.ACKNOWLEDGE:
            return CaseChanges(status=Status.ACKNOWLEDGED)
        if change.action is BulkAction.ASSIGN:
            return CaseChanges(set_assignee=True, assignee_id=change.assignee_id)
        if change.action is BulkAction.PRIORITY:
            return CaseChanges(priority=change.priority)
        return CaseChanges(tags=[*tags, change.tag or ""])
