"""Two-factor sign-in wired to staff accounts (storage.services.two_factor), on both
engines: enrolment, codes used once, recovery codes, resets, and who may appoint whom."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage import totp
from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.errors import (
    AuthenticationFailed,
    FocalPointFromCommandLineOnly,
    SecondFactorEnrolmentRequired,
    SecondFactorRequired,
    TwoFactorResetFromCommandLineOnly,
    WrongSecondFactor,
)
from storage.models import AuditEvent, ConsoleSession, RecoveryCode, StaffUser
from storage.services.console import ConsoleSessionService, Stage
from storage.services.staff import FAILURES_PER_USER_AND_ADDRESS, StaffService
from storage.services.two_factor import Enrolled, TwoFactor
from tests.storage.helpers import content_snapshot, dump_rows, dump_text, make_staff

PASSWORD = "a-long-enough-password"


async def user_named(core: Core, username: str) -> StaffUser:
    async with core.database.transaction() as session:
        user = await StaffService(session, core).users.get_by_username(username)
        assert user is not None
        return user


async def enrol(core: Core, username: str, role: str = "focal_point") -> Enrolled:
    await make_staff(core, username, role, two_factor=False)
    async with core.database.transaction() as session:
        user = await StaffService(session, core).users.get_by_username(username)
        assert user is not None
        return await TwoFactor(session, core).enrol(Actor.system(), user)


async def sign_in(
    core: Core, username: str, otp: str | None, password: str = PASSWORD
) -> StaffUser:
    """Like the API: a failure's count commits even though the sign-in fails."""
    async with core.database.transaction() as session:
        try:
            return await StaffService(session, core).sign_in(
                username, password, client="10.1.1.1", otp=otp
            )
        except AuthenticationFailed as error:
            failure: Exception = error
    raise failure


async def actions(core: Core) -> list[str]:
    async with core.database.transaction() as session:
        return list(
            (await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))).all()
        )


async def test_enrolment_keeps_the_secret_sealed_and_codes_hashed(core: Core) -> None:
    enrolled = await enrol(core, "fpoint")
    assert enrolled.uri.startswith("otpauth://totp/Holos:fpoint?secret=")
    assert len(enrolled.recovery_codes) == 10 and len(set(enrolled.recovery_codes)) == 10
    text = dump_text(await dump_rows(core))
    assert enrolled.secret not in text
    for code in enrolled.recovery_codes:
        assert code not in text and code.replace("-", "") not in text
    async with core.database.transaction() as session:
        assert len((await session.scalars(select(RecoveryCode))).all()) == 10
    assert "user.totp_enrolled" in await actions(core)


async def test_a_code_is_required_right_and_used_once(core: Core, clock: FrozenClock) -> None:
    enrolled = await enrol(core, "fpoint")
    with pytest.raises(SecondFactorRequired):
        await sign_in(core, "fpoint", None)
    # A wrong password with or without a code, and a wrong code: one and the same answer.
    for password, otp in (
        ("wrong-password", None),
        ("wrong-password", "123456"),
        (PASSWORD, "000000"),
    ):
        with pytest.raises(AuthenticationFailed) as caught:
            await sign_in(core, "fpoint", otp, password)
        assert type(caught.value) is AuthenticationFailed
    code = totp.code_at(enrolled.secret, clock.now())
    assert (await sign_in(core, "fpoint", code)).username == "fpoint"
    # Overheard and replayed: refused, and counted like any failure.
    with pytest.raises(AuthenticationFailed):
        await sign_in(core, "fpoint", code)
    clock.advance(timedelta(seconds=30))
    assert (await sign_in(core, "fpoint", totp.code_at(enrolled.secret, clock.now()))).id


async def test_wrong_codes_count_towards_the_throttle(core: Core, clock: FrozenClock) -> None:
    from storage.errors import RateLimited

    enrolled = await enrol(core, "fpoint")
    for _ in range(FAILURES_PER_USER_AND_ADDRESS):
        with pytest.raises(AuthenticationFailed):
            await sign_in(core, "fpoint", "000000")
    with pytest.raises(RateLimited):
        await sign_in(core, "fpoint", totp.code_at(enrolled.secret, clock.now()))


async def test_focal_points_and_admins_must_enrol_others_may(
    core: Core, clock: FrozenClock
) -> None:
    await make_staff(core, "fpoint", "focal_point", two_factor=False)
    await make_staff(core, "boss", "admin", two_factor=False)
    await make_staff(core, "oper", "operator")
    for name in ("fpoint", "boss"):
        with pytest.raises(SecondFactorEnrolmentRequired):
            await sign_in(core, name, None)
    assert (await sign_in(core, "oper", None)).username == "oper"
    # An operator who chose two-factor sign-in needs the code from then on.
    async with core.database.transaction() as session:
        user = await StaffService(session, core).users.get_by_username("oper")
        assert user is not None
        opened = await ConsoleSessionService(session, core).open(user, stage=Stage.ENROL)
        pending = await TwoFactor(session, core).begin(user, opened.row)
        row_id = opened.row.id
    with pytest.raises(WrongSecondFactor):
        async with core.database.transaction() as session:
            user = await StaffService(session, core).users.get_by_username("oper")
            row = await session.get(ConsoleSession, row_id)
            assert user is not None and row is not None
            await TwoFactor(session, core).confirm(user, row, "000000")
    # Nothing is stored on the account until a code confirms it.
    assert (await user_named(core, "oper")).totp_secret_enc is None
    async with core.database.transaction() as session:
        user = await StaffService(session, core).users.get_by_username("oper")
        row = await session.get(ConsoleSession, row_id)
        assert user is not None and row is not None
        codes = await TwoFactor(session, core).confirm(
            user, row, totp.code_at(pending.secret, clock.now())
        )
        assert row.pending_totp_enc is None
    assert len(codes) == 10
    with pytest.raises(SecondFactorRequired):
        await sign_in(core, "oper", None)


async def test_a_recovery_code_works_once_and_resets_two_factor(core: Core) -> None:
    enrolled = await enrol(core, "fpoint")
    async with core.database.transaction() as session:
        staff = StaffService(session, core)
        user = await staff.users.get_by_username("fpoint")
        assert user is not None
        issued = await staff.issue_token(user)
    typed = enrolled.recovery_codes[3].lower().replace("-", " ")
    async with core.database.transaction() as session:
        user = await StaffService(session, core).users.get_by_username("fpoint")
        assert user is not None
        await TwoFactor(session, core).use_recovery_code(user, typed)
    user = await user_named(core, "fpoint")
    assert user.totp_secret_enc is None and user.totp_enrolled_at is None
    async with core.database.transaction() as session:
        assert await StaffService(session, core).resolve_token(issued.token) is None
        assert (await session.scalars(select(RecoveryCode))).all() == []
    assert (await actions(core))[-2:] == ["user.recovery_code_used", "user.totp_reset"]
    # Spent, and the rest went with the reset.
    for code in (enrolled.recovery_codes[3], enrolled.recovery_codes[4], "NOT-A-CODE"):
        with pytest.raises(WrongSecondFactor):
            async with core.database.transaction() as session:
                user = await StaffService(session, core).users.get_by_username("fpoint")
                assert user is not None
                await TwoFactor(session, core).use_recovery_code(user, code)


async def test_only_the_command_line_resets_a_focal_point_or_an_admin(core: Core) -> None:
    """After a reset the next sign-in enrols an authenticator with the password alone:
    an administrator who could reset a focal point could become one."""
    await enrol(core, "fpoint")
    await enrol(core, "other-admin", "admin")
    await enrol(core, "oper", "operator")
    admin = await make_staff(core, "boss", "admin")
    for name in ("fpoint", "other-admin"):
        before = await content_snapshot(core)
        with pytest.raises(TwoFactorResetFromCommandLineOnly) as refused:
            async with core.database.transaction() as session:
                user = await StaffService(session, core).users.get_by_username(name)
                assert user is not None
                await TwoFactor(session, core).reset(admin, user)
        assert refused.value.code == "two_factor_reset_command_line_only"
        assert await content_snapshot(core) == before
    # An operator's chosen second factor is theirs and the administrator's to reset.
    async with core.database.transaction() as session:
        user = await StaffService(session, core).users.get_by_username("oper")
        assert user is not None
        await TwoFactor(session, core).reset(admin, user)
    # The command line resets a focal point: audited, and the account is signed out.
    async with core.database.transaction() as session:
        user = await StaffService(session, core).users.get_by_username("fpoint")
        assert user is not None
        await TwoFactor(session, core).reset(Actor.system(), user, reason="command_line")
    async with core.database.transaction() as session:
        events = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "user.totp_reset")
                .order_by(AuditEvent.id)
            )
        ).all()
    assert [(e.actor_kind, e.actor_id) for e in events] == [
        ("staff", admin.user_id),
        ("system", None),
    ]
    assert events[-1].before == {"two_factor": True}
    with pytest.raises(SecondFactorEnrolmentRequired):
        await sign_in(core, "fpoint", None)


async def test_only_the_command_line_appoints_focal_points(core: Core) -> None:
    admin = await make_staff(core, "boss", "admin")
    oper = await make_staff(core, "oper", "operator")
    async with core.database.transaction() as session:
        staff = StaffService(session, core)
        with pytest.raises(FocalPointFromCommandLineOnly):
            await staff.create_user(admin, username="fpnew", password=PASSWORD, role="focal_point")
        with pytest.raises(FocalPointFromCommandLineOnly):
            await staff.update_user(admin, oper.user_id, role="focal_point")
    # The command line (the system actor) may, and it is audited.
    async with core.database.transaction() as session:
        await StaffService(session, core).update_user(
            Actor.system(), oper.user_id, role="focal_point"
        )
    async with core.database.transaction() as session:
        event = await session.scalar(
            select(AuditEvent)
            .where(AuditEvent.action == "user.updated")
            .order_by(AuditEvent.id.desc())
        )
        assert event is not None and event.actor_kind == "system"
        assert event.after == {"role": "focal_point"}


# PostgreSQL only: SQLite transactions take the write lock at BEGIN, so they cannot interleave.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_code_raced_by_two_requests_is_claimed_once(core: Core, clock: FrozenClock) -> None:
    """Both requests read the account before either wrote: the conditional UPDATE lets
    only the first claim the step (a read-then-write would let both in)."""
    enrolled = await enrol(core, "fpoint")
    code = totp.code_at(enrolled.secret, clock.now())
    async with core.database.transaction() as late:
        stale = await StaffService(late, core).users.get_by_username("fpoint")
        assert stale is not None and stale.totp_last_step is None
        async with core.database.transaction() as first:
            user = await StaffService(first, core).users.get_by_username("fpoint")
            assert user is not None
            assert await TwoFactor(first, core).verify(user, code)
        assert not await TwoFactor(late, core).verify(stale, code)
