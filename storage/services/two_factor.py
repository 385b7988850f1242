"""Two-factor sign-in for staff accounts (storage.totp wired to accounts).

The TOTP secret is sealed under its own context; while an enrolment waits for its first
code the secret is stored but ``totp_enrolled_at`` is empty, and the account does not
count as enrolled. Ten recovery codes are made at enrolment, shown once and kept as
keyed hashes; spending one resets two-factor sign-in, so the person sets it up afresh.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storage import totp
from storage.access import Actor
from storage.core import Core
from storage.enums import AuditAction
from storage.errors import Conflict, WrongSecondFactor
from storage.models import RecoveryCode, StaffUser
from storage.repositories.console import ConsoleSessionRepository
from storage.repositories.staff import RecoveryCodeRepository, StaffRepository, TokenRepository
from storage.sealed import Context, Sealer
from storage.services.audit import AuditLog

log = logging.getLogger("holos.auth")


@dataclass(frozen=True)
class Enrolment:
    """What an authenticator app needs: shown once, never logged."""

    secret: str
    uri: str


@dataclass(frozen=True)
class Enrolled(Enrolment):
    recovery_codes: list[str]


class AlreadyEnrolled(Conflict):
    code = "already_enrolled"

    def __init__(self) -> None:
        super().__init__("This account already has two-factor sign-in; reset it first.")


class TwoFactor:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.session = session
        self.core = core
        self.sealer = Sealer(core.crypto)
        self.users = StaffRepository(session)
        self.codes = RecoveryCodeRepository(session)
        self.audit = AuditLog(session, core.clock)

    @staticmethod
    def enrolled(user: StaffUser) -> bool:
        return user.totp_enrolled_at is not None and user.totp_secret_enc is not None

    def secret(self, user: StaffUser) -> str | None:
        if user.totp_secret_enc is None:
            return None
        return self.sealer.open(user.totp_secret_enc, Context.TOTP)

    def enrolment(self, user: StaffUser) -> Enrolment | None:
        """The enrolment waiting for its first code, if any."""
        secret = self.secret(user)
        if secret is None or self.enrolled(user):
            return None
        return Enrolment(secret, totp.provisioning_uri(secret, user.username))

    async def begin(self, user: StaffUser) -> Enrolment:
        """A new secret waiting for a code to confirm it (the console's enrolment). The
        same one is returned until it is confirmed, so a reloaded page keeps its QR code."""
        if self.enrolled(user):
            raise AlreadyEnrolled()
        pending = self.enrolment(user)
        if pending is not None:
            return pending
        secret = totp.new_secret()
        user.totp_secret_enc = self.sealer.seal(secret, Context.TOTP)
        user.totp_last_step = None
        await self.session.flush()
        return Enrolment(secret, totp.provisioning_uri(secret, user.username))

    async def confirm(self, user: StaffUser, code: str) -> list[str]:
        """Finish :meth:`begin` with a code from the app; returns the recovery codes."""
        pending = self.enrolment(user)
        if pending is None:
            raise WrongSecondFactor()
        now = self.core.clock.now()
        step = totp.accepted_step(pending.secret, code, now=now, last_step=None)
        if step is None or not await self.users.claim_totp_step(user.id, step):
            raise WrongSecondFactor()
        user.totp_last_step = step
        user.totp_enrolled_at = now
        codes = self._new_recovery_codes(user)
        self._record(
            Actor.staff(user.id, user.username, user.role), AuditAction.USER_TOTP_ENROLLED, user
        )
        await self.session.flush()
        return codes

    async def enrol(self, actor: Actor, user: StaffUser) -> Enrolled:
        """Enrol at once (the command line, where the operator hands the secret over)."""
        if self.enrolled(user):
            raise AlreadyEnrolled()
        secret = totp.new_secret()
        user.totp_secret_enc = self.sealer.seal(secret, Context.TOTP)
        user.totp_last_step = None
        user.totp_enrolled_at = self.core.clock.now()
        codes = self._new_recovery_codes(user)
        self._record(actor, AuditAction.USER_TOTP_ENROLLED, user)
        await self.session.flush()
        return Enrolled(secret, totp.provisioning_uri(secret, user.username), codes)

    async def verify(self, user: StaffUser, code: str) -> bool:
        """A current code, not used before (each time step is accepted once)."""
        secret = self.secret(user)
        if secret is None or not self.enrolled(user):
            return False
        now = self.core.clock.now()
        step = totp.accepted_step(secret, code, now=now, last_step=user.totp_last_step)
        if step is None or not await self.users.claim_totp_step(user.id, step):
            return False
        user.totp_last_step = step
        return True

    async def use_recovery_code(self, user: StaffUser, typed: str) -> None:
        """Spend a recovery code in place of the app; two-factor sign-in is then reset
        (every session and token of the account ends) and must be set up again.
        Raises :class:`WrongSecondFactor` for an unknown or spent code."""
        code = totp.normalise_recovery_code(typed)
        if code is None or not self.enrolled(user):
            raise WrongSecondFactor()
        now = self.core.clock.now()
        if not await self.codes.spend(user.id, self._hash(user, code), now):
            raise WrongSecondFactor()
        me = Actor.staff(user.id, user.username, user.role)
        self._record(me, AuditAction.USER_RECOVERY_CODE_USED, user)
        log.warning("recovery_code_used user_id=%s", user.id)
        await self.reset(me, user, reason="recovery_code")

    async def reset(self, actor: Actor, user: StaffUser, *, reason: str = "reset") -> None:
        """Forget the secret and the recovery codes; end the account's sessions and API
        tokens (whoever held the old factor is signed out)."""
        now = self.core.clock.now()
        had = self.enrolled(user)
        user.totp_secret_enc = None
        user.totp_enrolled_at = None
        user.totp_last_step = None
        user.updated_at = now
        await self.codes.delete_for(user.id)
        await TokenRepository(self.session).revoke_all_for(user.id, now)
        await ConsoleSessionRepository(self.session).revoke_all_for(user.id, now)
        self.audit.record(
            actor,
            AuditAction.USER_TOTP_RESET,
            target=f"user:{user.id}",
            before={"two_factor": had},
            after={"two_factor": False, "reason": reason},
        )
        await self.session.flush()

    async def recovery_codes_left(self, user: StaffUser) -> int:
        return await self.codes.unused_count(user.id)

    def _new_recovery_codes(self, user: StaffUser) -> list[str]:
        codes = totp.new_recovery_codes()
        now = self.core.clock.now()
        self.codes.add_all(
            [
                RecoveryCode(user_id=user.id, code_hash=self._hash(user, c), created_at=now)
                for c in codes
            ]
        )
        return codes

    def _hash(self, user: StaffUser, code: str) -> str:
        # Keyed and bound to the account: a stolen table alone cannot test guesses.
        return self.core.crypto.token_hash(f"recovery-code\0{user.id}\0{code}")

    def _record(self, actor: Actor, action: AuditAction, user: StaffUser) -> None:
        self.audit.record(actor, action, target=f"user:{user.id}")
