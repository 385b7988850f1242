"""Partners, referrals, duplicates and cases left waiting: what the outcome services read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, select

from storage.enums import Status
from storage.models import Case, CaseReferral, Partner
from storage.repositories.base import Repository


class PartnerRepository(Repository):
    async def all(self, *, active_only: bool = False) -> list[Partner]:
        stmt = select(Partner).order_by(Partner.name, Partner.id)
        if active_only:
            stmt = stmt.where(Partner.active.is_(True))
        return list((await self.session.scalars(stmt)).all())

    async def get(self, partner_id: int) -> Partner | None:
        return await self.session.get(Partner, partner_id)

    async def by_name(self, name: str) -> Partner | None:
        return await self.session.scalar(select(Partner).where(Partner.name == name))

    async def names(self, ids: Sequence[int]) -> dict[int, str]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(Partner.id, Partner.name).where(Partner.id.in_(wanted))
        )
        return {int(row.id): str(row.name) for row in rows}

    def add(self, partner: Partner) -> None:
        self.session.add(partner)


class ReferralRepository(Repository):
    async def for_case(self, case_id: int) -> list[CaseReferral]:
        return list(
            (
                await self.session.scalars(
                    select(CaseReferral)
                    .where(CaseReferral.case_id == case_id)
                    .order_by(CaseReferral.created_at, CaseReferral.id)
                )
            ).all()
        )

    async def to_child_protection(self, case_id: int) -> bool:
        """Whether the case was ever referred to a child-protection service."""
        found = await self.session.scalar(
            select(
                exists().where(
                    CaseReferral.case_id == case_id,
                    CaseReferral.partner_id == Partner.id,
                    Partner.child_protection.is_(True),
                )
            )
        )
        return bool(found)

    def add(self, referral: CaseReferral) -> None:
        self.session.add(referral)


class DuplicateRepository(Repository):
    async def duplicates_of(self, case_id: int) -> list[str]:
        """The references of the cases closed as duplicates of this one."""
        rows = await self.session.scalars(
            select(Case.ref).where(Case.duplicate_of_id == case_id).order_by(Case.id)
        )
        return list(rows.all())

    async def ref_of(self, case_id: int) -> str | None:
        return await self.session.scalar(select(Case.ref).where(Case.id == case_id))

    async def waiting_since_before(self, cutoff: datetime, limit: int) -> list[Case]:
        """Cases waiting for the reporter since before ``cutoff``, oldest first."""
        stmt = (
            select(Case)
            .where(Case.status == Status.WAITING, Case.waiting_since <= cutoff)
            .order_by(Case.waiting_since, Case.id)
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).unique().all())
