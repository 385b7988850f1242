"""Console sessions on both engines: hashed ids, idle and absolute expiry, and every way
a session ends (sign-out, disabled account, role change, password change)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.clock import FrozenClock
from storage.core import Core
from storage.errors import AuthenticationFailed, WeakPassword
from storage.models import AuditEvent, ConsoleSession, StaffUser
from storage.services.console import (
    IDLE,
    STEP_TTL,
    ConsoleSessionService,
    StaffDirectory,
    Stage,
)
from storage.services.staff import StaffService
from storage.services.two_factor import PENDING_TTL
from tests.storage.helpers import make_staff

PASSWORD = "a-long-enough-password"


async def open_session(core: Core, username: str, stage: Stage = Stage.ACTIVE) -> str:
    async with core.database.transaction() as session:
        user = await StaffService(session, core).users.get_by_username(username)
        assert user is not None
        return (await ConsoleSessionService(session, core).open(user, stage=stage)).token


async def resolve(core: Core, token: str) -> tuple[StaffUser, ConsoleSession] | None:
    async with core.database.transaction() as session:
        return await ConsoleSessionService(session, core).resolve(token)


async def test_the_id_is_stored_hashed_and_resolves(core: Core) -> None:
    await make_staff(core, "olena", "operator")
    token = await open_session(core, "olena")
    async with core.database.transaction() as session:
        (row,) = (await session.scalars(select(ConsoleSession))).all()
        events = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action.like("auth.%")).order_by(AuditEvent.id)
            )
        ).all()
    assert token not in row.token_hash and len(row.token_hash) == 64
    assert [(e.action, e.after) for e in events] == [("auth.signed_in", {"via": "console"})]
    resolved = await resolve(core, token)
    assert resolved is not None and resolved[0].username == "olena"
    assert await resolve(core, token + "x") is None
    assert await resolve(core, "") is None


async def test_idle_and_absolute_timeouts(core: Core, clock: FrozenClock) -> None:
    await make_staff(core, "olena", "operator")
    token = await open_session(core, "olena")
    clock.advance(IDLE - timedelta(minutes=1))
    assert await resolve(core, token) is not None  # use keeps it alive
    clock.advance(IDLE - timedelta(minutes=1))
    assert await resolve(core, token) is not None
    clock.advance(IDLE + timedelta(seconds=1))
    assert await resolve(core, token) is None
    assert await resolve(core, token) is None  # and it stays ended

    fresh = await open_session(core, "olena")
    for _ in range(int(core.settings.api_token_ttl_hours * 60 / 20) + 1):
        clock.advance(timedelta(minutes=20))
        if await resolve(core, fresh) is None:
            break
    async with core.database.transaction() as session:
        row = await session.scalar(
            select(ConsoleSession).where(ConsoleSession.token_hash == core.crypto.token_hash(fresh))
        )
    assert row is not None and row.revoked_at is not None
    assert row.revoked_at >= row.expires_at  # active until the absolute limit, not beyond


async def test_sessions_end_with_sign_out_disable_role_and_password(core: Core) -> None:
    admin = await make_staff(core, "admin", "admin")
    olena = await make_staff(core, "olena", "operator")
    signed_out, disabled, promoted, reset = [await open_session(core, "olena") for _ in range(4)]

    resolved = await resolve(core, signed_out)
    assert resolved is not None
    async with core.database.transaction() as session:
        row = await session.get(ConsoleSession, resolved[1].id)
        assert row is not None
        await ConsoleSessionService(session, core).close(row, olena)
    assert await resolve(core, signed_out) is None

    async with core.database.transaction() as session:
        await StaffService(session, core).update_user(admin, olena.user_id or 0, role="analyst")
    assert await resolve(core, promoted) is None and await resolve(core, disabled) is None

    again = await open_session(core, "olena")
    async with core.database.transaction() as session:
        await StaffService(session, core).update_user(
            admin, olena.user_id or 0, password="violet tractor wanders"
        )
    assert await resolve(core, again) is None and await resolve(core, reset) is None

    later = await open_session(core, "olena")
    async with core.database.transaction() as session:
        await StaffService(session, core).update_user(admin, olena.user_id or 0, is_active=False)
    assert await resolve(core, later) is None


async def test_own_password_change_keeps_this_session_only(core: Core) -> None:
    await make_staff(core, "olena", "operator")
    this, other = await open_session(core, "olena"), await open_session(core, "olena")
    resolved = await resolve(core, this)
    assert resolved is not None
    async with core.database.transaction() as session:
        service = ConsoleSessionService(session, core)
        user = await session.get(StaffUser, resolved[0].id)
        row = await session.get(ConsoleSession, resolved[1].id)
        assert user is not None and row is not None
        with pytest.raises(AuthenticationFailed):
            await service.change_own_password(user, row, current="wrong-password", new="y" * 12)
        with pytest.raises(WeakPassword):
            await service.change_own_password(user, row, current=PASSWORD, new="short")
        await service.change_own_password(
            user, row, current=PASSWORD, new="amber kettle sings loudly"
        )
    assert await resolve(core, this) is not None
    assert await resolve(core, other) is None
    async with core.database.transaction() as session:
        assert await StaffService(session, core).authenticate("olena", "amber kettle sings loudly")


async def test_unfinished_sign_in_and_csrf(core: Core) -> None:
    await make_staff(core, "fpoint", "focal_point")
    token = await open_session(core, "fpoint", Stage.SECOND_FACTOR)
    resolved = await resolve(core, token)
    assert resolved is not None and resolved[1].stage == Stage.SECOND_FACTOR
    async with core.database.transaction() as session:
        events = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action.like("auth.%")).order_by(AuditEvent.id)
            )
        ).all()
        service = ConsoleSessionService(session, core)
        assert service.csrf_valid(token, service.csrf_token(token))
        assert not service.csrf_valid(token, service.csrf_token(token + "x"))
        assert not service.csrf_valid(token, None)
    assert events == []  # not signed in until every step is done


async def test_language_and_directory(core: Core) -> None:
    olena = await make_staff(core, "olena", "operator")
    fpoint = await make_staff(core, "fpoint", "focal_point")
    await make_staff(core, "mykola", "analyst")
    async with core.database.transaction() as session:
        service = ConsoleSessionService(session, core)
        assert await service.language(olena.user_id or 0) is None
        await service.set_language(olena.user_id or 0, "en")
        await service.set_language(olena.user_id or 0, "uk")
        assert await service.language(olena.user_id or 0) == "uk"
        directory = StaffDirectory(session)
        standard = [name for _, name in await directory.assignees(olena, sensitive=False)]
        sealed = [name for _, name in await directory.assignees(fpoint, sensitive=True)]
        assert standard == ["fpoint", "olena"] and sealed == ["fpoint"]
        assert await directory.assignees(olena, sensitive=True) == []
        assert await directory.names([olena.user_id, None]) == {olena.user_id: "olena"}


async def test_a_half_done_sign_in_is_short_bound_and_counted(
    core: Core, clock: FrozenClock
) -> None:
    await make_staff(core, "fpoint", "focal_point")
    async with core.database.transaction() as session:
        user = await StaffService(session, core).users.get_by_username("fpoint")
        assert user is not None
        opened = await ConsoleSessionService(session, core).open(
            user, stage=Stage.SECOND_FACTOR, client="2001:db8:7:7::1"
        )
        token = opened.token
        assert opened.row.expires_at == clock.now() + STEP_TTL
        assert opened.row.client_hash is not None and "2001" not in opened.row.client_hash

    async def step(client: str) -> tuple[StaffUser, ConsoleSession] | None:
        async with core.database.transaction() as session:
            return await ConsoleSessionService(session, core).resolve_step(token, client)

    assert await step("2001:db8:7:7::2") is not None  # the same /64
    assert await step("2001:db8:7:8::1") is None
    assert await step("198.51.100.4") is None
    # Counted one by one, and the count starts again with the next step.
    async with core.database.transaction() as session:
        service = ConsoleSessionService(session, core)
        resolved = await service.resolve_step(token, "2001:db8:7:7::1")
        assert resolved is not None
        user, row = resolved
        assert [await service.take_code(row) for _ in range(3)] == [1, 2, 3]
        await service.advance(row, user, Stage.ENROL, restart=True)
    async with core.database.transaction() as session:
        service = ConsoleSessionService(session, core)
        resolved = await service.resolve_step(token, "2001:db8:7:7::1")
        assert resolved is not None
        user, row = resolved
        assert row.codes_tried == 0 and row.expires_at == clock.now() + PENDING_TTL
        assert await service.take_code(row) == 1
        service.end_step(row)
    assert await step("2001:db8:7:7::1") is None
    # An active session answers from anywhere (people move between networks).
    async with core.database.transaction() as session:
        active = await ConsoleSessionService(session, core).open(user, client="10.0.0.1")
        assert active.row.client_hash is None
    async with core.database.transaction() as session:
        assert await ConsoleSessionService(session, core).resolve_step(active.token, "10.9.9.9")
