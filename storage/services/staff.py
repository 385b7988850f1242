"""Staff accounts, passwords and API tokens (SPEC §5–§6)."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage import password_policy
from storage.access import Actor
from storage.core import Core
from storage.enums import AuditAction, Role
from storage.errors import (
    DuplicateUsername,
    InvalidRole,
    InvalidUsername,
    PermissionDenied,
    RateLimited,
    UserNotFound,
)
from storage.models import ApiToken, StaffUser
from storage.repositories.console import ConsoleSessionRepository
from storage.repositories.staff import StaffRepository, TokenRepository
from storage.services.audit import AuditLog

log = logging.getLogger("holos.auth")

MIN_PASSWORD = password_policy.MIN_LENGTH
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{3,64}$")
# After this many consecutive failures, each try must wait: 2 s, 4 s, 8 s … up to 5 min.
FREE_FAILURES = 5
MAX_DELAY = timedelta(minutes=5)

_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters
# Verifying against this when the username is unknown keeps timing alike for both cases.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def login_delay(failures: int) -> timedelta:
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - FREE_FAILURES + 1)), MAX_DELAY)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    user: StaffUser


class StaffService:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.session = session
        self.core = core
        self.users = StaffRepository(session)
        self.tokens = TokenRepository(session)
        self.audit = AuditLog(session, core.clock)

    # Accounts -------------------------------------------------------------------------

    async def create_user(
        self,
        actor: Actor,
        *,
        username: str,
        password: str,
        role: Role | str,
        display_name: str = "",
    ) -> StaffUser:
        self._require_admin(actor)
        username = username.strip()
        if not _USERNAME.match(username):
            raise InvalidUsername()
        role_value = _role(role)
        check_password(password, username=username, display_name=display_name)
        if await self.users.get_by_username(username) is not None:
            raise DuplicateUsername(username)
        now = self.core.clock.now()
        user = StaffUser(
            username=username,
            display_name=display_name.strip()[:128],
            role=role_value,
            password_hash=hash_password(password),
            is_active=True,
            created_at=now,
            updated_at=now,
            failed_logins=0,
        )
        self.users.add(user)
        try:
            async with self.session.begin_nested():
                await self.session.flush()
        except IntegrityError:
            # Created by someone else at the same moment.
            raise DuplicateUsername(username) from None
        self.audit.record(
            actor,
            AuditAction.USER_CREATED,
            target=f"user:{user.id}",
            after={"username": user.username, "role": user.role, "is_active": True},
        )
        return user

    async def update_user(
        self,
        actor: Actor,
        user_id: int,
        *,
        role: Role | str | None = None,
        is_active: bool | None = None,
        display_name: str | None = None,
        password: str | None = None,
    ) -> StaffUser:
        self._require_admin(actor)
        user = await self.users.get(user_id)
        if user is None:
            raise UserNotFound()
        new_role = _role(role) if role is not None else None
        if password is not None:
            check_password(
                password,
                username=user.username,
                display_name=display_name if display_name is not None else user.display_name,
            )
        if actor.user_id == user.id and (
            is_active is False or (new_role and new_role != Role.ADMIN)
        ):
            raise PermissionDenied(
                "You cannot disable your own account or drop your own admin role."
            )
        before: dict[str, object] = {}
        after: dict[str, object] = {}
        now = self.core.clock.now()
        if new_role is not None and new_role != user.role:
            before["role"], after["role"] = user.role, new_role
            user.role = new_role
        if is_active is not None and is_active != user.is_active:
            before["is_active"], after["is_active"] = user.is_active, is_active
            user.is_active = is_active
        if display_name is not None and display_name.strip()[:128] != user.display_name:
            new_name = display_name.strip()[:128]
            before["display_name"], after["display_name"] = user.display_name, new_name
            user.display_name = new_name
        if password is not None:
            user.password_hash = hash_password(password)
            user.failed_logins = 0
            after["password_changed"] = True
        if not after:
            return user
        user.updated_at = now
        if "role" in after or after.get("is_active") is False or "password_changed" in after:
            # Whatever the old tokens were allowed to do, they may not do it any more.
            await self.tokens.revoke_all_for(user.id, now)
            await ConsoleSessionRepository(self.session).revoke_all_for(user.id, now)
        self.audit.record(
            actor, AuditAction.USER_UPDATED, target=f"user:{user.id}", before=before, after=after
        )
        await self.session.flush()
        return user

    async def list_users(self, actor: Actor) -> list[StaffUser]:
        self._require_admin(actor)
        return await self.users.list()

    async def get_user(self, actor: Actor, user_id: int) -> StaffUser:
        self._require_admin(actor)
        user = await self.users.get(user_id)
        if user is None:
            raise UserNotFound()
        return user

    @staticmethod
    def _require_admin(actor: Actor) -> None:
        # The CLI (system actor) bootstraps the first admin; otherwise only admins manage staff.
        if not (actor.can_manage_users or actor.kind.value == "system"):
            raise PermissionDenied("Only administrators manage staff accounts.")

    # Sign-in --------------------------------------------------------------------------

    async def authenticate(self, username: str, password: str) -> StaffUser | None:
        """The user for these credentials, or ``None``. Raises :class:`RateLimited` while
        a username is cooling down after repeated failures.

        Failures are counted in the caller's transaction, so it must commit even on
        ``None``.
        """
        now = self.core.clock.now()
        user = await self.users.get_by_username(username.strip())
        if user is not None and user.failed_logins >= FREE_FAILURES and user.last_failed_login_at:
            wait_until = user.last_failed_login_at + login_delay(user.failed_logins)
            if now < wait_until:
                log.warning("login_throttled user_id=%s failures=%s", user.id, user.failed_logins)
                raise RateLimited(max(1, int((wait_until - now).total_seconds()) + 1))
        if user is None:
            _verify(_DUMMY_HASH, password)
            log.info("login_failed reason=unknown_user")
            return None
        if not _verify(user.password_hash, password) or not user.is_active:
            user.failed_logins += 1
            user.last_failed_login_at = now
            level = logging.WARNING if user.failed_logins >= FREE_FAILURES else logging.INFO
            log.log(level, "login_failed user_id=%s failures=%s", user.id, user.failed_logins)
            return None
        user.failed_logins = 0
        user.last_login_at = now
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return user

    async def issue_token(self, user: StaffUser) -> IssuedToken:
        now = self.core.clock.now()
        ttl = timedelta(hours=self.core.settings.api_token_ttl_hours)
        token = secrets.token_urlsafe(32)
        self.tokens.add(
            ApiToken(
                user_id=user.id,
                token_hash=self.core.crypto.token_hash(token),
                created_at=now,
                expires_at=now + ttl,
            )
        )
        self.audit.record(
            Actor.staff(user.id, user.username, user.role), AuditAction.AUTH_SIGNED_IN
        )
        await self.session.flush()
        return IssuedToken(token=token, expires_in=int(ttl.total_seconds()), user=user)

    async def resolve_token(self, token: str) -> tuple[StaffUser, ApiToken] | None:
        """The active user behind a bearer token, or ``None`` (unknown, expired, revoked,
        or the account is disabled)."""
        row = await self.tokens.get_by_hash(self.core.crypto.token_hash(token))
        now = self.core.clock.now()
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return None
        user = await self.users.get(row.user_id)
        if user is None or not user.is_active:
            return None
        # Recording use at most once a minute keeps reads from becoming writes.
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            row.last_used_at = now
        return user, row

    async def revoke_token(self, token_row: ApiToken, actor: Actor) -> None:
        token_row.revoked_at = self.core.clock.now()
        self.audit.record(actor, AuditAction.AUTH_SIGNED_OUT)


def _role(value: Role | str) -> Role:
    """A role given as a member or as typed (the CLI); an unknown one is refused."""
    try:
        return Role(value)
    except ValueError:
        raise InvalidRole(value) from None


def check_password(password: str, *, username: str = "", display_name: str = "") -> None:
    """The staff password policy (storage.password_policy): raises WeakPassword."""
    password_policy.check_password(password, username=username, display_name=display_name)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
