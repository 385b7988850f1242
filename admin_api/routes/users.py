"""Staff accounts: administrators only, and never any case content."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from admin_api.deps import ReadUserAdminDep, WriteUserAdminDep
from admin_api.errors import error_responses
from admin_api.routes import API_PREFIX
from admin_api.schemas.common import MAX_ID
from admin_api.schemas.users import UserCreate, UserList, UserOut, UserPatch
from admin_api.web.sessions import CoreDep, ReadSessionDep, WriteSessionDep
from storage.services.staff import StaffService

router = APIRouter(prefix=f"{API_PREFIX}/users", tags=["users"])

UserId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get(
    "", response_model=UserList, summary="Staff accounts", responses=error_responses(401, 403)
)
async def list_users(
    principal: ReadUserAdminDep, session: ReadSessionDep, core: CoreDep
) -> UserList:
    users = await StaffService(session, core).list_users(principal.actor)
    return UserList(items=[UserOut.model_validate(user) for user in users])


@router.post(
    "",
    status_code=201,
    response_model=UserOut,
    summary="Create a staff account",
    responses=error_responses(401, 403, 409, 413, 422),
)
async def create_user(
    body: UserCreate, principal: WriteUserAdminDep, session: WriteSessionDep, core: CoreDep
) -> UserOut:
    """An operator or an analyst; focal points and admins are created on the server
    (403 ``focal_point_command_line_only``, ``admin_command_line_only``)."""
    user = await StaffService(session, core).create_user(
        principal.actor,
        username=body.username,
        password=body.password,
        role=body.role,
        display_name=body.display_name,
    )
    return UserOut.model_validate(user)


@router.get(
    "/{user_id}",
    response_model=UserOut,
    summary="One staff account",
    responses=error_responses(401, 403, 404, 422),
)
async def get_user(
    user_id: UserId, principal: ReadUserAdminDep, session: ReadSessionDep, core: CoreDep
) -> UserOut:
    return UserOut.model_validate(
        await StaffService(session, core).get_user(principal.actor, user_id)
    )


@router.patch(
    "/{user_id}",
    response_model=UserOut,
    summary="Change a staff account",
    responses=error_responses(401, 403, 404, 413, 422),
)
async def update_user(
    user_id: UserId,
    body: UserPatch,
    principal: WriteUserAdminDep,
    session: WriteSessionDep,
    core: CoreDep,
) -> UserOut:
    """Change role, active state, display name or password. Fields left out (or null)
    stay as they are. You cannot disable yourself or drop your own admin role (403).

    Only the server's command line appoints focal points and admins (403
    ``focal_point_command_line_only``, ``admin_command_line_only``) and sets their
    passwords (403 ``password_command_line_only``: ``holos user set-password``)."""
    user = await StaffService(session, core).update_user(
        principal.actor,
        user_id,
        role=body.role,
        is_active=body.is_active,
        display_name=body.display_name,
        password=body.password,
    )
    return UserOut.model_validate(user)
