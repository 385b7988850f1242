from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

import storage.services.staff as staff_module
from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.errors import (
    AdminFromCommandLineOnly,
    DuplicateUsername,
    InvalidRole,
    InvalidUsername,
    PasswordFromCommandLineOnly,
    PermissionDenied,
    RateLimited,
    WeakPassword,
)
from storage.models import AuditEvent, StaffUser
from storage.services.staff import (
    FAILURES_PER_ADDRESS,
    FAILURES_PER_USER_AND_ADDRESS,
    MAX_ACCOUNT_DELAY,
    SIGN_IN_WINDOW,
    StaffService,
    account_delay,
)
from tests.storage.helpers import content_snapshot, make_staff

PASSWORD = "a-long-enough-password"


async def create(core: Core, actor: Actor, **kwargs: object) -> StaffUser:
    values: dict[str, object] = {"username": "maria", "password": PASSWORD, "role": "operator"}
    values.update(kwargs)
    async with core.database.transaction() as session:
        return await StaffService(session, core).create_user(actor, **values)  # type: ignore[arg-type]


async def login(core: Core, username: str, password: str) -> StaffUser | None:
    async with core.database.transaction() as session:
        return await StaffService(session, core).authenticate(username, password)


async def test_passwords_are_argon2id_hashes(core: Core) -> None:
    user = await create(core, Actor.system())
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({"username": "MARIA"}, DuplicateUsername, "duplicate_username"),
        ({"username": "maria"}, DuplicateUsername, "duplicate_username"),
        ({"username": "x"}, InvalidUsername, "invalid_username"),
        ({"username": "maria petrenko"}, InvalidUsername, "invalid_username"),
        ({"username": "new", "role": "superuser"}, InvalidRole, "invalid_role"),
        ({"username": "new", "password": "short"}, WeakPassword, "weak_password"),
    ],
)
async def test_bad_accounts_are_refused_and_nothing_changes(
    core: Core, kwargs: dict[str, object], error: type[Exception], code: str
) -> None:
    await create(core, Actor.system())
    before = await content_snapshot(core)
    with pytest.raises(error) as caught:
        await create(core, Actor.system(), **kwargs)
    assert caught.value.code == code  # type: ignore[attr-defined]
    assert await content_snapshot(core) == before


async def test_only_admins_manage_accounts(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    admin = await make_staff(core, "root-admin", "admin")
    with pytest.raises(PermissionDenied):
        await create(core, operator)
    user = await create(core, admin)
    async with core.database.transaction() as session:
        events = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "user.created"))
        ).all()
    assert events[-1].actor_id == admin.user_id
    assert events[-1].after == {"username": "maria", "role": "operator", "is_active": True}
    assert user.id is not None


async def test_sign_in_and_tokens(core: Core, clock: FrozenClock) -> None:
    await create(core, Actor.system())
    assert await login(core, "maria", "wrong-password") is None
    assert await login(core, "nobody", PASSWORD) is None
    user = await login(core, "Maria", PASSWORD)
    assert user is not None
    async with core.database.transaction() as session:
        issued = await StaffService(session, core).issue_token(user)
    assert len(issued.token) >= 40
    async with core.database.transaction() as session:
        resolved = await StaffService(session, core).resolve_token(issued.token)
        assert resolved is not None and resolved[0].username == "maria"
        # Stored hashed only.
        assert resolved[1].token_hash != issued.token and issued.token not in resolved[1].token_hash
        await StaffService(session, core).revoke_token(
            resolved[1], Actor.staff(user.id, "maria", "operator")
        )
    async with core.database.transaction() as session:
        assert await StaffService(session, core).resolve_token(issued.token) is None


async def test_tokens_expire(core: Core, clock: FrozenClock) -> None:
    user = await create(core, Actor.system())
    async with core.database.transaction() as session:
        issued = await StaffService(session, core).issue_token(user)
    clock.advance(timedelta(hours=core.settings.api_token_ttl_hours, seconds=1))
    async with core.database.transaction() as session:
        assert await StaffService(session, core).resolve_token(issued.token) is None


async def test_disabling_an_account_ends_its_tokens(core: Core) -> None:
    admin = await make_staff(core, "root-admin", "admin")
    user = await create(core, Actor.system())
    async with core.database.transaction() as session:
        issued = await StaffService(session, core).issue_token(user)
    async with core.database.transaction() as session:
        await StaffService(session, core).update_user(admin, user.id, is_active=False)
    async with core.database.transaction() as session:
        assert await StaffService(session, core).resolve_token(issued.token) is None
    assert await login(core, "maria", PASSWORD) is None


async def test_an_admin_cannot_lock_themselves_out(core: Core) -> None:
    admin = await make_staff(core, "root-admin", "admin")
    async with core.database.transaction() as session:
        with pytest.raises(PermissionDenied):
            await StaffService(session, core).update_user(admin, admin.user_id, is_active=False)


async def login_from(core: Core, username: str, password: str, client: str) -> StaffUser | None:
    async with core.database.transaction() as session:
        return await StaffService(session, core).authenticate(username, password, client=client)


async def test_failures_are_throttled_per_username_and_address(
    core: Core, clock: FrozenClock
) -> None:
    await create(core, Actor.system())
    for _ in range(FAILURES_PER_USER_AND_ADDRESS):
        assert await login_from(core, "maria", "wrong-password", "10.0.0.1") is None
    # From that address even the right password must wait now …
    with pytest.raises(RateLimited) as caught:
        await login_from(core, "maria", PASSWORD, "10.0.0.1")
    assert 1 <= caught.value.retry_after <= SIGN_IN_WINDOW.total_seconds()
    # … but the person elsewhere is never locked out by someone else's failures.
    assert await login_from(core, "maria", PASSWORD, "10.0.0.2") is not None
    # Someone else from the first address is not affected either.
    await create(core, Actor.system(), username="olena")
    assert await login_from(core, "olena", PASSWORD, "10.0.0.1") is not None
    clock.advance(timedelta(seconds=caught.value.retry_after + 1))
    assert await login_from(core, "maria", PASSWORD, "10.0.0.1") is not None


async def test_an_unknown_username_is_throttled_exactly_like_a_known_one(core: Core) -> None:
    await create(core, Actor.system())
    for name in ("maria", "nobody"):
        for _ in range(FAILURES_PER_USER_AND_ADDRESS):
            assert await login_from(core, name, "wrong-password", "10.0.0.9") is None
        with pytest.raises(RateLimited):
            await login_from(core, name, PASSWORD, "10.0.0.9")


@pytest.mark.slow  # dozens of password checks
async def test_one_address_failing_on_many_names_is_throttled(core: Core) -> None:
    await create(core, Actor.system())
    for i in range(FAILURES_PER_ADDRESS):
        assert await login_from(core, f"guess{i}", "wrong-password", "10.0.0.66") is None
    with pytest.raises(RateLimited):
        await login_from(core, "maria", PASSWORD, "10.0.0.66")
    assert await login_from(core, "maria", PASSWORD, "10.0.0.7") is not None


async def test_a_success_clears_its_own_failures(core: Core) -> None:
    await create(core, Actor.system())
    for _ in range(FAILURES_PER_USER_AND_ADDRESS - 1):
        assert await login_from(core, "maria", "wrong-password", "10.0.0.1") is None
    assert await login_from(core, "maria", PASSWORD, "10.0.0.1") is not None
    for _ in range(FAILURES_PER_USER_AND_ADDRESS - 1):
        assert await login_from(core, "maria", "wrong-password", "10.0.0.1") is None
    assert await login_from(core, "maria", PASSWORD, "10.0.0.1") is not None


async def test_password_hashing_runs_off_the_event_loop(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    await create(core, Actor.system())
    threads: list[int] = []
    real = staff_module._verify

    def recording(password_hash: str, password: str) -> bool:
        threads.append(threading.get_ident())
        return real(password_hash, password)

    monkeypatch.setattr(staff_module, "_verify", recording)
    assert await login(core, "maria", PASSWORD) is not None
    assert await login(core, "nobody", PASSWORD) is None
    assert len(threads) == 2
    assert threading.get_ident() not in threads


def test_the_account_delay_doubles_to_its_cap() -> None:
    waits = [account_delay(n) for n in range(12)]
    assert waits == [0, 0, 0, 1, 2, 4, 8, 16, 30, 30, 30, 30]
    assert account_delay(10**6) == MAX_ACCOUNT_DELAY


async def test_a_sign_in_begun_takes_its_place_and_a_right_password_gives_it_back(
    core: Core,
) -> None:
    await create(core, Actor.system())

    async def one(password: str, client: str) -> tuple[float, StaffUser | None]:
        async with core.database.transaction() as session:
            attempt = await StaffService(session, core).begin_sign_in("maria", client=client)
        async with core.database.transaction() as session:
            user = await StaffService(session, core).check_password(
                "maria", password, client=client, attempt=attempt
            )
        return attempt.delay, user

    waits = [(await one("wrong-password", f"10.0.1.{i}"))[0] for i in range(5)]
    assert waits == [0, 0, 0, 1, 2]
    delay, user = await one(PASSWORD, "10.0.2.1")
    assert delay == 4 and user is not None
    # The right password gave its place back: the next one waits as long, not longer.
    assert (await one(PASSWORD, "10.0.2.1"))[0] == 4


@pytest.mark.parametrize("role", ["focal_point", "admin"])
async def test_only_the_command_line_sets_a_focal_points_or_admins_password(
    core: Core, role: str
) -> None:
    admin = await make_staff(core, "root-admin", "admin")
    target = await make_staff(core, "target", role)
    oper = await make_staff(core, "oper", "operator")
    before = await content_snapshot(core)
    async with core.database.transaction() as session:
        staff = StaffService(session, core)
        with pytest.raises(PasswordFromCommandLineOnly):
            await staff.update_user(admin, target.user_id or 0, password="violet tractor wanders")
        # Nor on the way down: the new role does not matter, the account's does.
        with pytest.raises(PasswordFromCommandLineOnly):
            await staff.update_user(
                admin, target.user_id or 0, role="analyst", password="violet tractor wanders"
            )
        with pytest.raises(AdminFromCommandLineOnly):
            await staff.update_user(admin, oper.user_id or 0, role="admin")
        with pytest.raises(AdminFromCommandLineOnly):
            await staff.create_user(admin, username="shadow", password=PASSWORD, role="admin")
    assert await content_snapshot(core) == before
    # The command line may; every session and token of the account ends, audited.
    async with core.database.transaction() as session:
        await StaffService(session, core).update_user(
            Actor.system(), target.user_id or 0, password="violet tractor wanders"
        )
    async with core.database.transaction() as session:
        event = await session.scalar(
            select(AuditEvent)
            .where(AuditEvent.action == "user.updated")
            .order_by(AuditEvent.id.desc())
        )
    assert event is not None and event.actor_kind == "system"
    assert event.after == {"password_changed": True}
