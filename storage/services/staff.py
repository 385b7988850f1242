"""Staff accounts, passwords and API tokens (roles: docs/staff-and-cases.md)."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage import password_policy
from storage.access import Actor
from storage.core import Core
from storage.enums import ActorKind, AuditAction, Role
from storage.errors import (
    AdminFromCommandLineOnly,
    AuthenticationFailed,
    DuplicateUsername,
    FocalPointFromCommandLineOnly,
    InvalidRole,
    InvalidUsername,
    PasswordFromCommandLineOnly,
    PermissionDenied,
    SecondFactorEnrolmentRequired,
    SecondFactorRequired,
    UserNotFound,
)
from storage.models import ApiToken, StaffUser
from storage.repositories.console import ConsoleSessionRepository
from storage.repositories.staff import StaffRepository, TokenRepository
from storage.services.audit import AuditLog
from storage.services.throttle import Throttle, address_group
from storage.services.two_factor import TwoFactor

# Re-exported: callers have always found it here.
from storage.services.two_factor import two_factor_required as two_factor_required

log = logging.getLogger("holos.auth")

MIN_PASSWORD = password_policy.MIN_LENGTH
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{3,64}$")
# Failed sign-ins (a wrong password or code) allowed per window, per (username, client
# address) and per client address, where an IPv6 address counts as its /64. Counted by
# the typed username, so an unknown one behaves exactly like a known one.
SIGN_IN_WINDOW = timedelta(minutes=15)
FAILURES_PER_USER_AND_ADDRESS = 5
FAILURES_PER_ADDRESS = 30
# Per account, from anywhere, failures never refuse: past the free ones each further
# sign-in to the account waits, twice as long each time, up to the cap. Guessing from
# many addresses gets slow; failing on purpose delays the person but cannot lock them
# out, since after the wait the right password and code still get in.
FREE_FAILURES_PER_ACCOUNT = 3
MAX_ACCOUNT_DELAY = 30.0

_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters
# Verifying against this when the username is unknown keeps timing alike for both cases.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def account_delay(earlier: int) -> float:
    """Seconds a sign-in waits when ``earlier`` failures (or tries under way) on its
    account came before it in this window: 0, 0, 0, then 1, 2, 4, 8, 16, 30, 30 …"""
    over = earlier - FREE_FAILURES_PER_ACCOUNT
    if over < 0:
        return 0.0
    return min(MAX_ACCOUNT_DELAY, 2.0 ** min(over, 16))


@dataclass(frozen=True)
class SignInAttempt:
    """One sign-in's place in its account's count, taken before its password is
    checked; ``delay`` is what it must wait first (outside any transaction)."""

    username: str
    client: str
    window_start: datetime
    delay: float


class SignInLimits:
    """The sign-in throttle, over the shared fixed-window counters (storage.services.
    throttle). Keys are keyed hashes: neither usernames nor addresses are stored."""

    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.throttle = Throttle(session, core.clock)
        self.crypto = core.crypto

    def _keys(self, username: str, client: str) -> tuple[str, str, str]:
        """(username and address), (address), (account)."""
        name = username.strip().lower()
        group = address_group(client)
        pair = self.crypto.token_hash(f"sign-in\0{name}\0{group}")
        address = self.crypto.token_hash(f"sign-in-address\0{group}")
        account = self.crypto.token_hash(f"sign-in-account\0{name}")
        return f"signin:ua:{pair}", f"signin:a:{address}", f"signin:u:{account}"

    async def check(self, username: str, client: str) -> None:
        """Raise :class:`RateLimited` while this address (or this username from it) is
        cooling down. Other addresses are never affected."""
        pair, address, _ = self._keys(username, client)
        await self.throttle.check(pair, limit=FAILURES_PER_USER_AND_ADDRESS, window=SIGN_IN_WINDOW)
        await self.throttle.check(address, limit=FAILURES_PER_ADDRESS, window=SIGN_IN_WINDOW)

    async def begin(self, username: str, client: str) -> SignInAttempt:
        """Check the address's limits, then take this try's place in the account's count.

        The place is taken (one atomic increment) before the wait is decided, so tries
        sent at once each wait their turn instead of all passing before the first
        failure is counted. A right password gives the place back (:meth:`passed`)."""
        await self.check(username, client)
        start, _ = self.throttle.window(SIGN_IN_WINDOW)
        place = await self.throttle.hit(self._keys(username, client)[2], window=SIGN_IN_WINDOW)
        return SignInAttempt(username, client, start, account_delay(place - 1))

    async def passed(self, attempt: SignInAttempt) -> None:
        account = self._keys(attempt.username, attempt.client)[2]
        await self.throttle.give_back(account, attempt.window_start)

    async def hit(self, username: str, client: str, *, account: bool = True) -> None:
        """Count a failure against (username, address), the address and, unless its
        place there is already taken (:meth:`begin`), the account."""
        pair, address, whole = self._keys(username, client)
        for key in (pair, address, whole) if account else (pair, address):
            await self.throttle.hit(key, window=SIGN_IN_WINDOW)

    async def forget(self, username: str, client: str) -> None:
        await self.throttle.forget(self._keys(username, client)[0])


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
        _only_command_line_grants(actor, role_value)
        check_password(password, username=username, display_name=display_name)
        if await self.users.get_by_username(username) is not None:
            raise DuplicateUsername(username)
        now = self.core.clock.now()
        user = StaffUser(
            username=username,
            display_name=display_name.strip()[:128],
            role=role_value,
            password_hash=await hash_password_async(password),
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
        if new_role is not None and new_role != user.role:
            _only_command_line_grants(actor, new_role)
        if password is not None:
            _only_command_line_sets_the_password(actor, user.role, new_role)
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
            user.password_hash = await hash_password_async(password)
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

    async def get_by_username(self, actor: Actor, username: str) -> StaffUser:
        self._require_admin(actor)
        user = await self.users.get_by_username(username.strip())
        if user is None:
            raise UserNotFound()
        return user

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

    async def authenticate(
        self, username: str, password: str, *, client: str = ""
    ) -> StaffUser | None:
        """The user for this password alone, or ``None``; a success is recorded. Raises
        :class:`RateLimited` while (username, client) or the client is cooling down.

        For sign-in use :meth:`sign_in`, which asks for the second factor too. Failures
        are counted in the caller's transaction, so it must commit even on ``None``.
        """
        user = await self.check_password(username, password, client=client)
        if user is not None:
            await self.succeeded(user, username, client=client)
        return user

    async def begin_sign_in(self, username: str, *, client: str = "") -> SignInAttempt:
        """The first step of a sign-in, in a transaction of its own (committed): raises
        :class:`RateLimited` while the address is cooling down, else takes the try's
        place in the account's count. The caller waits ``delay`` seconds with no
        transaction open (a held SQLite write lock would stop everyone), then calls
        :meth:`sign_in` or :meth:`check_password` with the attempt."""
        return await SignInLimits(self.session, self.core).begin(username, client)

    async def check_password(
        self,
        username: str,
        password: str,
        *,
        client: str = "",
        attempt: SignInAttempt | None = None,
    ) -> StaffUser | None:
        """The first factor: the active user whose password this is, or ``None`` (the
        failure is counted). Nothing is recorded on success: a second factor may follow."""
        limits = SignInLimits(self.session, self.core)
        await limits.check(username, client)
        user = await self.users.get_by_username(username.strip())
        # An unknown username costs the same hash as a known one: same answer, same time.
        right = await verify_password(user.password_hash if user else _DUMMY_HASH, password)
        if user is None or not right or not user.is_active:
            # A begun attempt already counts against the account (its place stays taken).
            await self.failed(username, client=client, user=user, account=attempt is None)
            return None
        if attempt is not None:
            await limits.passed(attempt)
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = await hash_password_async(password)
        return user

    async def sign_in(
        self,
        username: str,
        password: str,
        *,
        client: str = "",
        otp: str | None = None,
        attempt: SignInAttempt | None = None,
    ) -> StaffUser:
        """Both factors, for the API: the user, or a domain error the caller returns
        (not raises, so that the failure count commits).

        A wrong password and a wrong (or reused) code get the same answer and both count
        as failures. Only after the right password does a missing code get its own
        answer (:class:`SecondFactorRequired`), as in any two-step sign-in; and only then
        is a focal point or admin without two-factor sign-in told to set it up.
        """
        user = await self.check_password(username, password, client=client, attempt=attempt)
        if user is None:
            raise AuthenticationFailed()
        factor = TwoFactor(self.session, self.core)
        if factor.enrolled(user):
            if not otp or not otp.strip():
                raise SecondFactorRequired()
            if not await factor.verify(user, otp):
                await self.failed(username, client=client, user=user)
                raise AuthenticationFailed()
        elif two_factor_required(user.role):
            raise SecondFactorEnrolmentRequired()
        await self.succeeded(user, username, client=client)
        return user

    async def failed(
        self, username: str, *, client: str, user: StaffUser | None, account: bool = True
    ) -> None:
        """Count a failed try against (username, client), the client and the account
        (``account=False``: its place there is taken already)."""
        await SignInLimits(self.session, self.core).hit(username, client, account=account)
        if user is not None:
            # Kept for the record (and the admin's view).
            user.failed_logins += 1
            user.last_failed_login_at = self.core.clock.now()
            log.info("login_failed user_id=%s failures=%s", user.id, user.failed_logins)
        else:
            log.info("login_failed reason=unknown_user")

    async def succeeded(self, user: StaffUser, username: str, *, client: str) -> None:
        """Every factor passed: clear this (username, client)'s failures."""
        await SignInLimits(self.session, self.core).forget(username, client)
        user.failed_logins = 0
        user.last_login_at = self.core.clock.now()

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
        found = await self.tokens.get_with_user(self.core.crypto.token_hash(token))
        if found is None:
            return None
        row, user = found
        if row.revoked_at is not None or row.expires_at <= self.core.clock.now():
            return None
        if not user.is_active:
            return None
        return user, row

    @staticmethod
    def token_use_to_record(row: ApiToken, now: datetime) -> datetime | None:
        """``now`` when the token's last use is due to be recorded, else ``None``: at
        most once a minute, so a read stays a read (the API writes it apart, after)."""
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            return now
        return None

    async def record_token_use(self, token_id: int, at: datetime) -> None:
        await self.tokens.touch(token_id, at)

    async def revoke_token(self, token_row: ApiToken, actor: Actor) -> None:
        token_row.revoked_at = self.core.clock.now()
        self.audit.record(actor, AuditAction.AUTH_SIGNED_OUT)


def _only_command_line_grants(actor: Actor, role: Role) -> None:
    """Focal points read sensitive cases and administrators manage every account:
    granting either takes a shell on the server, not a stolen admin session.
    The CLI acts as the system actor."""
    if actor.kind is ActorKind.SYSTEM:
        return
    if role is Role.FOCAL_POINT:
        raise FocalPointFromCommandLineOnly()
    if role is Role.ADMIN:
        raise AdminFromCommandLineOnly()


def _only_command_line_sets_the_password(actor: Actor, role: Role, new_role: Role | None) -> None:
    """Whoever sets a password can sign in with it, and before a (re)enrolment that is
    all a focal point's or an admin's first sign-in asks. So nobody but the server's
    operator sets the password of those roles (owners change their own, knowing it)."""
    roles = (role, new_role) if new_role is not None else (role,)
    if actor.kind is not ActorKind.SYSTEM and any(two_factor_required(r) for r in roles):
        raise PasswordFromCommandLineOnly()


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


# Argon2 takes tens of milliseconds of CPU and memory per try: it runs in worker threads,
# at most HASH_SLOTS at once per event loop, so a flood of sign-ins queues here instead
# of stalling every other request on the loop.
HASH_SLOTS = 2
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _hash_slot() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slot = _slots.get(loop)
    if slot is None:
        slot = _slots[loop] = asyncio.Semaphore(HASH_SLOTS)
    return slot


async def verify_password(password_hash: str, password: str) -> bool:
    async with _hash_slot():
        return await asyncio.to_thread(_verify, password_hash, password)


async def hash_password_async(password: str) -> str:
    async with _hash_slot():
        return await asyncio.to_thread(hash_password, password)
