"""The audit log (administrators: everything; focal points: sensitive cases) and staff
accounts (administrators). Focal points are granted only from the command line."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import HTMLResponse

from admin_api.console import forms, labels
from admin_api.console.views import changes
from admin_api.console.web import (
    PREFIX,
    ConsoleRoute,
    ReadViewerDep,
    Viewer,
    WriteViewerDep,
    render,
    require,
)
from admin_api.web.sessions import CoreDep, ReadSessionDep, WriteSessionDep
from storage.core import Core
from storage.db import Session
from storage.enums import Role
from storage.errors import DomainError
from storage.periods import in_range
from storage.services.audit_trail import AuditQuery, AuditTrail
from storage.services.console import StaffDirectory
from storage.services.staff import StaffService
from storage.services.two_factor import two_factor_required

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

# Roles an administrator may give in the console; focal points come from the CLI only.
CONSOLE_ROLES = (Role.OPERATOR.value, Role.ANALYST.value)
_REF = re.compile(r"^[A-Z]{2}-[0-9]{4}-[0-9]{6,9}$")
PAGE = 50


def _day(value: str | None, timezone: str, days_after: int = 0) -> datetime | None:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    if not in_range(day):
        return None  # a day the form cannot produce is dropped, like a malformed one
    return datetime.combine(day + timedelta(days=days_after), time(0), tzinfo=ZoneInfo(timezone))


@router.get("/audit")
async def audit_log(
    request: Request, viewer: ReadViewerDep, session: ReadSessionDep, core: CoreDep
) -> HTMLResponse:
    require(viewer.actor.can_read_audit, viewer.texts)
    p = request.query_params
    case_ref = (p.get("case") or "").strip().upper()
    action = p.get("action") or ""
    since, until = p.get("since") or "", p.get("until") or ""
    query = AuditQuery(
        case_ref=case_ref if _REF.match(case_ref) else None,
        actions=(action,) if action in labels.ACTION else (),
        since=_day(since, core.settings.timezone),
        until=_day(until, core.settings.timezone, days_after=1),
    )
    trail = AuditTrail(session, core)
    cursor = (p.get("cursor") or "")[:2000] or None
    try:
        page = await trail.page(viewer.actor, query, cursor=cursor, limit=PAGE)
    except DomainError:
        page = await trail.page(viewer.actor, query, limit=PAGE)
    names = await StaffDirectory(session).names(
        e.actor_id for e in page.items if e.actor_kind == "staff"
    )
    filters = {"case": case_ref, "action": action, "since": since, "until": until}
    more = (
        urlencode({**{k: v for k, v in filters.items() if v}, "cursor": page.next_cursor})
        if page.next_cursor
        else ""
    )
    return render(
        request,
        "audit.html",
        viewer.texts,
        viewer,
        events=[(e, changes(e, viewer.texts, names)) for e in page.items],
        filters=filters,
        more=more,
        actions=list(labels.ACTION),
    )


async def staff_page(
    request: Request,
    viewer: Viewer,
    session: Session,
    core: Core,
    *,
    status_code: int = 200,
    **extra: object,
) -> HTMLResponse:
    users = await StaffService(session, core).list_users(viewer.actor)
    return render(
        request,
        "staff.html",
        viewer.texts,
        viewer,
        status_code=status_code,
        users=users,
        roles=CONSOLE_ROLES,
        password_on_server=two_factor_required,
        **extra,
    )


def staff_form(request: Request, viewer: Viewer, session: Session, core: Core) -> forms.Form:
    return forms.Form(request, viewer.texts, partial(staff_page, request, viewer, session, core))


@router.get("/staff")
async def staff(
    request: Request, viewer: ReadViewerDep, session: ReadSessionDep, core: CoreDep
) -> HTMLResponse:
    require(viewer.actor.can_manage_users, viewer.texts)
    return await staff_page(request, viewer, session, core)


@router.post("/staff")
async def create_staff(
    request: Request,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    username: Annotated[str, Form(max_length=200)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    require(viewer.actor.can_manage_users, viewer.texts)
    if role not in CONSOLE_ROLES:
        return await staff_page(
            request,
            viewer,
            session,
            core,
            # Refused, not merely invalid: these roles are granted on the server only.
            status_code=403,
            create_error=viewer.texts._(
                "Focal points and administrators are granted from the command line."
            ),
            form={"username": username, "display_name": display_name},
        )
    created = StaffService(session, core).create_user(
        viewer.actor,
        username=username,
        password=password,
        role=role,
        display_name=display_name,
    )
    return await staff_form(request, viewer, session, core).submit(
        created,
        done=f"{PREFIX}/staff",
        error_key="create_error",
        passes=(),
        status=422,
        form={"username": username, "display_name": display_name, "role": role},
    )


@router.post("/staff/{user_id}")
async def change_staff(
    request: Request,
    user_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    active: Annotated[str, Form(max_length=1)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Disable or enable (``active`` = 0 or 1), or set a new password."""
    require(viewer.actor.can_manage_users, viewer.texts)
    service = StaffService(session, core)

    async def change() -> None:
        if password:
            await service.update_user(viewer.actor, user_id, password=password)
        elif active in ("0", "1"):
            await service.update_user(viewer.actor, user_id, is_active=active == "1")

    async def saved() -> Response:
        done = viewer.texts._("Saved.")
        return await staff_page(request, viewer, session, core, done=(user_id, done))

    # A refused change is 403, not merely invalid: a focal point's or admin's password is
    # set on the server only (a forged form; the page offers none).
    return await staff_form(request, viewer, session, core).submit(
        change(),
        done=saved,
        error_key="row_error",
        passes=("user_not_found",),
        shown=lambda message: (user_id, message),
    )
