"""Two-factor sign-in for staff accounts (storage.totp wired to accounts).

The TOTP secret is sealed under its own context and stored on the account only once a
code from it has confirmed the enrolment. Until then it is the secret of one console
session (the one that shows it): drawn afresh for each enrolment, good for
:data:`PENDING_TTL`, and never shown to anyone else, so whoever only saw an enrolment
page holds nothing the person finally enrols with. Ten recovery codes are made at
enrolment, shown once and kept as keyed hashes; spending one resets two-factor
sign-in, so the person sets it up afresh.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage import totp
from storage.access import Actor
from storage.core import Core
from storage.db import write_later
from storage.enums import ActorKind, AuditAction, Role
from storage.errors import (
    Conflict,
    PermissionDenied,
    TwoFactorResetFromCommandLineOnly,
    WrongSecondFactor,
)
from storage.models import ConsoleSession, RecoveryCode, StaffUser
from storage.repositories.console import ConsoleSessionRepository
from storage.repositories.staff import RecoveryCodeRepository, StaffRepository, TokenRepository
from storage.sealed import Context, Sealer
from storage.services.audit import AuditLog

log = logging.getLogger("holos.auth")

# How long the secret an enrolment page shows stays good for confirming it.
PENDING_TTL = timedelta(minutes=10)


def two_factor_required(role: Role | str) -> bool:
    """Focal points (sensitive cases) and admins (accounts) must sign in with a code."""
    return Role(role) in (Role.FOCAL_POINT, Role.ADMIN)


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

    def enrolment(self, user: StaffUser, row: ConsoleSession) -> Enrolment | None:
        """The enrolment session ``row`` is showing, while its secret is good."""
        if self.enrolled(user) or row.pending_totp_enc is None:
            return None
        until = row.pending_totp_expires_at
        if until is None or until <= self.core.clock.now():
            return None
        secret = self.sealer.open(row.pending_totp_enc, Context.TOTP_PENDING)
        return Enrolment(secret, totp.provisioning_uri(secret, user.username))

    async def begin(self, user: StaffUser, row: ConsoleSession) -> Enrolment:
        """The secret console session ``row`` shows for enrolment: its own, kept for a
        reload (the app may have scanned it) while it is good, then drawn anew."""
        if self.enrolled(user):
            raise AlreadyEnrolled()
        pending = self.enrolment(user, row)
        if pending is not None:
            return pending
        secret = totp.new_secret()
        session_id = row.id
        sealed = self.sealer.seal(secret, Context.TOTP_PENDING)
        until = self.core.clock.now() + PENDING_TTL

        async def hold(writer: AsyncSession) -> None:
            repo = ConsoleSessionRepository(writer)
            await repo.change(session_id, pending_totp_enc=sealed, pending_totp_expires_at=until)

        # The enrolment page only reads: there the secret is stored after its reads, before
        # the page is sent (storage.db.write_later); a reload then shows the same one.
        await write_later(self.session, hold)
        return Enrolment(secret, totp.provisioning_uri(secret, user.username))

    async def confirm(self, user: StaffUser, row: ConsoleSession, code: str) -> list[str]:
        """Finish :meth:`begin` with a code from the app; returns the recovery codes.

        The secret becomes the account's, and every other session and API token of the
        account ends: each was opened without this factor, and another half-finished
        enrolment shows a secret that is now worth nothing."""
        pending = self.enrolment(user, row)
        if pending is None:
            raise WrongSecondFactor()
        now = self.core.clock.now()
        step = totp.accepted_step(pending.secret, code, now=now, last_step=None)
        if step is None:
            raise WrongSecondFactor()
        sealed = self.sealer.seal(pending.secret, Context.TOTP)
        # One conditional UPDATE: of two sessions confirming at once, one enrols.
        if not await self.users.claim_enrolment(user.id, sealed, step, now):
            raise AlreadyEnrolled()
        user.totp_secret_enc = sealed
        user.totp_last_step = step
        user.totp_enrolled_at = now
        user.updated_at = now
        row.pending_totp_enc = None
        row.pending_totp_expires_at = None
        await TokenRepository(self.session).revoke_all_for(user.id, now)
        await ConsoleSessionRepository(self.session).revoke_all_for(user.id, now, keep=row.id)
        codes = self._new_recovery_codes(user)
        self._record(
            Actor.staff(user.id, user.username, user.role), AuditAction.USER_TOTP_ENROLLED, user
        )
        await self.session.flush()
        return codes

    async def enrol(self, actor: Actor, user: StaffUser) -> Enrolled:
        """Enrol at once (the command line, where the operator hands the secret over)."""
        if actor.kind is not ActorKind.SYSTEM:
            raise PermissionDenied("Two-factor sign-in is handed over from the command line.")
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
        tokens (whoever held the old factor is signed out).

        After a reset the next sign-in sets up a new authenticator with the password
        alone; so only the command line (or the owner, with a recovery code) resets a
        focal point or an admin. Raises :class:`TwoFactorResetFromCommandLineOnly`."""
        if two_factor_required(user.role):
            _command_line_or_owner(actor, user)
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


def _command_line_or_owner(actor: Actor, user: StaffUser) -> None:
    if actor.kind is not ActorKind.SYSTEM and actor.user_id != user.id:
        raise TwoFactorResetFromCommandLineOnly()
