"""The staff console's own state: sign-in sessions, the language each person chose, and
the few facts about colleagues a case worker needs (who a case is assigned to).

Sessions are opaque random ids; the database keeps only their keyed hash, like API
tokens. A session ends after ``IDLE`` without use, at ``expires_at`` whatever happens,
when it is signed out, when its account is disabled or changes role, and when the
password changes.

A sign-in that is half done (the password was right; a code or an enrolment is next)
is a short-lived session: ``STEP_TTL`` for the code, ``PENDING_TTL`` for an enrolment,
answering only the address that passed the password (an IPv6 address: its /64) and
taking at most ``CODES_PER_STEP`` codes; then it ends and the password comes first again.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor, role_may_see
from storage.core import Core
from storage.db import write_later
from storage.enums import AuditAction, Role
from storage.errors import (
    AuthenticationFailed,
    InvalidFilterName,
    InvalidInput,
    NotFound,
    TooManySavedFilters,
)
from storage.models import ConsoleSession, SavedFilter, StaffPreference, StaffUser
from storage.repositories.console import (
    ConsoleSessionRepository,
    PreferenceRepository,
    SavedFilterRepository,
    StaffDirectoryRepository,
)
from storage.repositories.staff import StaffRepository, TokenRepository
from storage.services.audit import AuditLog
from storage.services.staff import StaffService, check_password, hash_password_async
from storage.services.throttle import address_group
from storage.services.two_factor import PENDING_TTL
from storage.text import clean

log = logging.getLogger("holos.auth")

IDLE = timedelta(minutes=30)
# A half-done sign-in: the code step's lifetime, and the codes (recovery codes too) it
# takes before the password is asked again.
STEP_TTL = timedelta(minutes=5)
CODES_PER_STEP = 5
# Recording use at most this often keeps most page views from becoming writes.
TOUCH_EVERY = timedelta(seconds=30)
CONSOLE_LANGUAGES = ("uk", "en")
_CSRF_PURPOSE = "console-csrf"


class Stage(StrEnum):
    """How far a sign-in has come. Only ``ACTIVE`` sessions reach cases."""

    ACTIVE = "active"
    SECOND_FACTOR = "second_factor"  # the password was right; the TOTP code is next
    ENROL = "enrol"  # the role needs two-factor sign-in and the account has none yet


@dataclass(frozen=True)
class OpenedSession:
    token: str
    row: ConsoleSession


class ConsoleSessionService:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.session = session
        self.core = core
        self.sessions = ConsoleSessionRepository(session)
        self.users = StaffRepository(session)
        self.audit = AuditLog(session, core.clock)

    @property
    def absolute(self) -> timedelta:
        return timedelta(hours=self.core.settings.api_token_ttl_hours)

    async def open(
        self, user: StaffUser, *, stage: Stage = Stage.ACTIVE, client: str = ""
    ) -> OpenedSession:
        """A session for ``user`` after the right password from ``client``."""
        now = self.core.clock.now()
        token = secrets.token_urlsafe(32)
        row = ConsoleSession(
            user_id=user.id,
            token_hash=self.core.crypto.token_hash(token),
            stage=stage.value,
            role=user.role,
            created_at=now,
            last_seen_at=now,
            expires_at=now + self._lifetime(stage),
            codes_tried=0,
        )
        if stage is not Stage.ACTIVE:
            row.client_hash = self._client_hash(client)
        self.sessions.add(row)
        if stage is Stage.ACTIVE:
            self._signed_in(user)
        await self.session.flush()
        return OpenedSession(token, row)

    def _lifetime(self, stage: Stage) -> timedelta:
        if stage is Stage.SECOND_FACTOR:
            return STEP_TTL
        if stage is Stage.ENROL:
            return PENDING_TTL  # as long as the secret it shows
        return self.absolute

    def _client_hash(self, client: str) -> str:
        return self.core.crypto.token_hash(f"console-step\0{address_group(client)}")

    async def advance(
        self, row: ConsoleSession, user: StaffUser, stage: Stage, *, restart: bool = False
    ) -> None:
        """Move a sign-in on (e.g. after the second factor); ``ACTIVE`` completes it.
        ``restart``: the new step gets its own lifetime (an enrolment after a recovery
        code); otherwise a step keeps the session's (an enrolment chosen while signed in)."""
        now = self.core.clock.now()
        row.stage = stage.value
        row.last_seen_at = now
        row.codes_tried = 0
        if stage is Stage.ACTIVE:
            row.expires_at = now + self.absolute
            row.client_hash = None
            row.pending_totp_enc = None
            row.pending_totp_expires_at = None
            self._signed_in(user)
        elif restart:
            row.expires_at = now + self._lifetime(stage)

    async def resolve_step(
        self, token: str, client: str
    ) -> tuple[StaffUser, ConsoleSession] | None:
        """Like :meth:`resolve`, and a half-done sign-in only from the address that
        passed its password (anyone else is answered as if there were no session)."""
        resolved = await self.resolve(token)
        if resolved is None:
            return None
        row = resolved[1]
        bound = row.client_hash if row.stage != Stage.ACTIVE else None
        if bound is not None and not secrets.compare_digest(bound, self._client_hash(client)):
            log.info("console_step_other_address user_id=%s", row.user_id)
            return None
        return resolved

    async def take_code(self, row: ConsoleSession) -> int:
        """Count one code (or recovery code) tried in this step; how many so far. Past
        :data:`CODES_PER_STEP` the caller must not check it (see :meth:`end_step`)."""
        return await self.sessions.count_code(row)

    def end_step(self, row: ConsoleSession) -> None:
        """The step took its codes: the sign-in starts again from the password."""
        row.revoked_at = self.core.clock.now()

    def _signed_in(self, user: StaffUser) -> None:
        actor = Actor.staff(user.id, user.username, user.role)
        self.audit.record(actor, AuditAction.AUTH_SIGNED_IN, after={"via": "console"})

    async def resolve(self, token: str) -> tuple[StaffUser, ConsoleSession] | None:
        """The user behind a session id, or ``None`` when it is unknown, signed out,
        expired, idle too long, or its account is disabled or changed role.

        What it records (the session's end, or its use at most every ``TOUCH_EVERY``)
        goes through :func:`write_later`: in a page that only reads, after its reads."""
        if not token or len(token) > 128:
            return None
        row = await self.sessions.get_by_hash(self.core.crypto.token_hash(token))
        now = self.core.clock.now()
        if row is None or row.revoked_at is not None:
            return None
        if row.expires_at <= now or now - row.last_seen_at > IDLE:
            await self._record(row, revoked_at=now)
            return None
        user = await self.users.get(row.user_id)
        if user is None or not user.is_active or user.role != row.role:
            await self._record(row, revoked_at=now)
            return None
        if now - row.last_seen_at > TOUCH_EVERY:
            await self._record(row, last_seen_at=now)
        return user, row

    async def _record(self, row: ConsoleSession, **values: object) -> None:
        session_id = row.id

        async def change(writer: AsyncSession) -> None:
            await ConsoleSessionRepository(writer).change(session_id, **values)

        await write_later(self.session, change)

    async def close(self, row: ConsoleSession, actor: Actor) -> None:
        row.revoked_at = self.core.clock.now()
        self.audit.record(actor, AuditAction.AUTH_SIGNED_OUT, after={"via": "console"})

    async def end_all_for(self, user_id: int) -> None:
        await self.sessions.revoke_all_for(user_id, self.core.clock.now())

    def csrf_token(self, token: str) -> str:
        """The anti-forgery token of a session: derived, so nothing more is stored."""
        return self.csrf_of(self.core, token)

    @staticmethod
    def csrf_of(core: Core, token: str) -> str:
        return core.crypto.sign(token.encode(), _CSRF_PURPOSE).hex()

    def csrf_valid(self, token: str, presented: str | None) -> bool:
        # Compared as bytes: compare_digest refuses str with non-ASCII characters
        # (anyone can send those), and a refusal must be a "no", not an error.
        expected = self.csrf_token(token).encode()
        return bool(presented) and secrets.compare_digest(expected, (presented or "").encode())

    # Own account ----------------------------------------------------------------------

    async def change_own_password(
        self, user: StaffUser, row: ConsoleSession, *, current: str, new: str, client: str = ""
    ) -> None:
        """Needs the current password (a wrong one counts like a failed sign-in); ends
        every other console session and every API token of the account."""
        staff = StaffService(self.session, self.core)
        if await staff.authenticate(user.username, current, client=client) is None:
            raise AuthenticationFailed()
        if new == current:
            raise InvalidInput("The new password is the same as the current one.")
        check_password(new, username=user.username, display_name=user.display_name)
        now = self.core.clock.now()
        user.password_hash = await hash_password_async(new)
        user.updated_at = now
        await TokenRepository(self.session).revoke_all_for(user.id, now)
        await self.sessions.revoke_all_for(user.id, now)
        row.revoked_at = None
        self.audit.record(
            Actor.staff(user.id, user.username, user.role),
            AuditAction.USER_UPDATED,
            target=f"user:{user.id}",
            after={"password_changed": True},
        )
        await self.session.flush()

    # Preferences ----------------------------------------------------------------------

    async def language(self, user_id: int) -> str | None:
        row = await PreferenceRepository(self.session).get(user_id)
        return row.language if row is not None else None

    async def set_language(self, user_id: int, language: str) -> None:
        if language not in CONSOLE_LANGUAGES:
            raise InvalidInput("The console speaks Ukrainian and English.")
        repo = PreferenceRepository(self.session)
        row = await repo.get(user_id)
        if row is None:
            repo.add(StaffPreference(user_id=user_id, language=language))
        else:
            row.language = language
        await self.session.flush()


class SavedFilters:
    """Worklist filters a person saved for themselves. Like the console's language, a
    person's own view of the worklist: it changes no case and nothing of anyone else's,
    so it is not audited."""

    MAX_PER_PERSON = 20
    MAX_NAME = 60
    MAX_QUERY = 1000

    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.repo = SavedFilterRepository(session)
        self.clock = core.clock

    async def of(self, user_id: int) -> list[SavedFilter]:
        return await self.repo.of_user(user_id)

    async def save(self, user_id: int, name: str, query: str) -> SavedFilter:
        """Under a name of the person's own; saving under a name they used replaces it."""
        name = " ".join(clean(name).split())
        if not name or len(name) > self.MAX_NAME:
            raise InvalidFilterName(self.MAX_NAME)
        if len(query) > self.MAX_QUERY:
            raise InvalidInput("That filter is too long to save.")
        mine = await self.repo.of_user(user_id)
        same = next((f for f in mine if f.name.casefold() == name.casefold()), None)
        if same is not None:
            same.name, same.query = name, query
            return same
        if len(mine) >= self.MAX_PER_PERSON:
            raise TooManySavedFilters(self.MAX_PER_PERSON)
        row = SavedFilter(user_id=user_id, name=name, query=query, created_at=self.clock.now())
        self.repo.add(row)
        return row

    async def delete(self, user_id: int, filter_id: int) -> None:
        """Only the person's own; another's, or none, is not found."""
        row = await self.repo.get(user_id, filter_id)
        if row is None:
            raise NotFound("No such saved filter.")
        await self.repo.delete(row)


class StaffDirectory:
    """Names of colleagues, for case workers: who a case is assigned to, who it may be
    assigned to. Never passwords, never anything else about an account."""

    def __init__(self, session: AsyncSession) -> None:
        self.repo = StaffDirectoryRepository(session)

    async def names(self, ids: Iterable[int | None]) -> dict[int, str]:
        wanted = sorted({i for i in ids if i is not None})
        return {u.id: u.display_name or u.username for u in await self.repo.by_ids(wanted)}

    async def assignees(self, actor: Actor, *, sensitive: bool) -> list[tuple[int, str]]:
        if not actor.may_see(sensitive=sensitive):
            return []
        roles = [r.value for r in Role if role_may_see(r, sensitive=sensitive)]
        return [
            (u.id, u.display_name or u.username) for u in await self.repo.active_with_roles(roles)
        ]


__all__ = [
    "CODES_PER_STEP",
    "CONSOLE_LANGUAGES",
    "IDLE",
    "STEP_TTL",
    "ConsoleSessionService",
    "SavedFilters",
    "StaffDirectory",
    "Stage",
]
