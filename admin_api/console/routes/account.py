"""The signed-in person's own account: their password, two-factor sign-in by choice, the
console's language (remembered for the account, or for the browser on the sign-in
page), and the alerts they get (channels, events, dates away, their own Telegram linked
with a one-time link). Signing in and out is :mod:`.sign_in`."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from admin_api.console import forms
from admin_api.console.routes.sign_in import check_pre_csrf, client_of, safe_next, set_cookie
from admin_api.console.web import (
    COOKIE,
    CSRF_FIELD,
    PREFIX,
    ConsoleProblem,
    ConsoleRoute,
    ReadViewerDep,
    Viewer,
    WriteViewerDep,
    error_text,
    render,
)
from admin_api.web.i18n import STAFF_LANGUAGES, Texts
from admin_api.web.sessions import CoreDep, ReadSessionDep, WriteSessionDep
from storage.core import Core
from storage.db import Session
from storage.enums import STAFF_ALERT_EVENTS, AlertEvent, Role
from storage.errors import DomainError
from storage.services.alerts import AlertChoices, AlertSettingsService, LinkCode
from storage.services.console import ConsoleSessionService, Stage
from storage.services.two_factor import TwoFactor

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

LANG_COOKIE = "holos_lang"
YEAR = 365 * 24 * 3600


@router.post("/language")
async def choose_language(
    request: Request,
    core: CoreDep,
    session: WriteSessionDep,
    language: Annotated[str, Form(max_length=5)],
    back: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
) -> Response:
    """Signed in: remembered for the account. On the sign-in page: for this browser."""
    if language not in STAFF_LANGUAGES:
        language = "uk"
    token = request.cookies.get(COOKIE)
    service = ConsoleSessionService(session, core)
    resolved = await service.resolve(token) if token else None
    if resolved is not None and token and service.csrf_valid(token, csrf):
        if resolved[1].stage == Stage.ACTIVE:
            await service.set_language(resolved[0].id, language)
            target = safe_next(back)
        else:  # half signed in (the code or enrolment step): for this browser
            target = f"{PREFIX}/sign-in/next-step"
    elif resolved is not None and resolved[1].stage == Stage.ACTIVE:
        raise ConsoleProblem(
            403, Texts(language)._("This form has expired. Reload the page and try again.")
        )
    else:
        check_pre_csrf(request, core, csrf)
        target = f"{PREFIX}/sign-in"
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, core, LANG_COOKIE, language, YEAR)
    return response


@router.get("/password")
async def password_form(
    request: Request, viewer: ReadViewerDep, session: ReadSessionDep, core: CoreDep
) -> HTMLResponse:
    return await own_account(request, viewer, session, core)


async def own_account(
    request: Request,
    viewer: Viewer,
    session: Session,
    core: Core,
    *,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    """The own-account page: the password, two-factor sign-in (on, or offered), alerts."""
    factor = TwoFactor(session, core)
    enrolled = factor.enrolled(viewer.user)
    return render(
        request,
        "password.html",
        viewer.texts,
        viewer,
        status_code=status_code,
        two_factor=enrolled,
        codes_left=await factor.recovery_codes_left(viewer.user) if enrolled else 0,
        alerts=await alert_view(viewer, session, core, values.pop("alert_form", None)),
        **values,
    )


def event_label(event: AlertEvent, texts: Texts) -> str:
    labels = {
        AlertEvent.SEALED_CASE: texts._("A new report arrives in the sealed channel"),
        AlertEvent.OVERDUE: texts._("A case is past its acknowledgement time"),
        AlertEvent.REPORTER_ADDED: texts._("The reporter adds information to my case"),
        AlertEvent.DELIVERY_FAILED: texts._("A reply on my case cannot be delivered"),
        AlertEvent.DIGEST: texts._("Each morning: how many cases are due today"),
    }
    return labels[event]


async def alert_view(
    viewer: Viewer, session: Session, core: Core, typed: dict[str, Any] | None
) -> dict[str, Any] | None:
    """What the alerts part of the page shows; None for roles that handle no cases."""
    if not viewer.actor.can_see_cases:
        return None
    row = await AlertSettingsService(session, core).get(viewer.user.id)
    focal = viewer.actor.role is Role.FOCAL_POINT
    chosen = set(row.events) if row else {e.value for e in STAFF_ALERT_EVENTS}
    view: dict[str, Any] = {
        "email": row.email if row and row.email else "",
        "email_on": row.email_on if row else True,
        "telegram_on": row.telegram_on if row else True,
        "away_from": row.away_from.isoformat() if row and row.away_from else "",
        "away_until": row.away_until.isoformat() if row and row.away_until else "",
        "bounced": viewer.texts.when(row.email_bounced_at) if row and row.email_bounced_at else "",
        "telegram_linked": viewer.texts.when(row.telegram_linked_at)
        if row and row.telegram_chat_enc and row.telegram_linked_at
        else "",
        "mail_ready": core.settings.smtp_url is not None or core.settings.mail_sink,
        "bot_username": core.telegram_username,
        "focal": focal,
        "events": [
            {
                "code": event.value,
                "label": event_label(event, viewer.texts),
                "checked": event.value in chosen,
                # A focal point cannot turn off sealed-case alerts (dates away can).
                "fixed": focal and event is AlertEvent.SEALED_CASE,
            }
            for event in STAFF_ALERT_EVENTS
            if focal or event is not AlertEvent.SEALED_CASE
        ],
    }
    if typed:
        view.update(typed)
        typed_events = typed.get("chosen_events")
        if typed_events is not None:
            for item in view["events"]:
                item["checked"] = item["fixed"] or item["code"] in typed_events
    return view


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.post("/alerts")
async def save_alerts(
    request: Request,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    email: Annotated[str, Form(max_length=320)] = "",
    email_on: Annotated[str, Form(max_length=5)] = "",
    telegram_on: Annotated[str, Form(max_length=5)] = "",
    events: Annotated[list[str] | None, Form()] = None,
    away_from: Annotated[str, Form(max_length=10)] = "",
    away_until: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    texts = viewer.texts
    if not viewer.actor.can_see_cases:
        raise ConsoleProblem(403, texts._("Your role does not allow this."))
    chosen = {e for e in (events or []) if e in {x.value for x in STAFF_ALERT_EVENTS}}
    typed = {
        "email": email.strip(),
        "email_on": bool(email_on),
        "telegram_on": bool(telegram_on),
        "away_from": away_from,
        "away_until": away_until,
        "chosen_events": chosen,
    }
    page = partial(own_account, request, viewer, session, core)
    first, last = _day(away_from), _day(away_until)
    if (away_from and first is None) or (away_until and last is None):
        message = texts._("A date away is not a date.")
        return await page(status_code=422, alert_message=message, alert_form=typed)

    def explain(error: DomainError) -> str:
        if "e-mail" in error.message:
            return texts._("This is not an e-mail address.")
        if "day away" in error.message:
            return texts._("The last day away is before the first.")
        return error_text(error, texts)

    async def saved() -> Response:
        return await page(alert_done=texts._("Your alert settings are saved."))

    choices = AlertChoices(
        email=email.strip() or None,
        email_on=bool(email_on),
        telegram_on=bool(telegram_on),
        events=frozenset(AlertEvent(e) for e in chosen),
        away_from=first,
        away_until=last,
    )
    form = forms.Form(request, texts, page)
    return await form.submit(
        AlertSettingsService(session, core).save(viewer.actor, choices),
        done=saved,
        error_key="alert_message",
        passes=(),
        explain=explain,
        alert_form=typed,
    )


@router.post("/alerts/telegram")
async def link_telegram(
    request: Request, viewer: WriteViewerDep, session: WriteSessionDep, core: CoreDep
) -> Response:
    """A one-time link (ten minutes) that links the person's own Telegram to alerts."""
    if not viewer.actor.can_see_cases:
        raise ConsoleProblem(403, viewer.texts._("Your role does not allow this."))
    username = core.telegram_username
    if username is None:
        return await own_account(request, viewer, session, core, status_code=409)
    code: LinkCode = await AlertSettingsService(session, core).new_link_code(viewer.actor)
    link = f"https://t.me/{username}?start={code.start_parameter}"
    return await own_account(
        request,
        viewer,
        session,
        core,
        telegram_link=link,
        link_expires=viewer.texts.when(code.expires_at),
    )


@router.post("/alerts/telegram/unlink")
async def unlink_telegram(
    request: Request, viewer: WriteViewerDep, session: WriteSessionDep, core: CoreDep
) -> Response:
    await AlertSettingsService(session, core).unlink_telegram(viewer.actor)
    done = viewer.texts._("Your Telegram is no longer linked: alerts stop going there.")
    return await own_account(request, viewer, session, core, alert_done=done)


@router.post("/two-factor")
async def start_two_factor(
    viewer: WriteViewerDep, session: WriteSessionDep, core: CoreDep
) -> Response:
    """Two-factor sign-in by choice (roles that do not require it): this session goes
    through the same enrolment as a first sign-in, then back to the account page."""
    if TwoFactor.enrolled(viewer.user):
        return RedirectResponse(f"{PREFIX}/password", status_code=303)
    await ConsoleSessionService(session, core).advance(viewer.row, viewer.user, Stage.ENROL)
    back = quote(f"{PREFIX}/password", safe="")
    return RedirectResponse(f"{PREFIX}/sign-in/next-step?next={back}", status_code=303)


@router.post("/password")
async def change_password(
    request: Request,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    current: Annotated[str, Form(max_length=1000)] = "",
    new: Annotated[str, Form(max_length=1000)] = "",
    repeat: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    texts = viewer.texts
    form = forms.Form(request, texts, partial(own_account, request, viewer, session, core))
    if new != repeat:
        message = texts._("The two new passwords are not the same.")
        return await form.page(status_code=422, message=message)

    def explain(error: DomainError) -> str:
        if error.code == "invalid_input":
            return texts._("The new password is the same as the current one.")
        return error_text(error, texts)

    async def changed() -> Response:
        done = texts._("Your password is changed. Your other sessions have ended.")
        return await own_account(request, viewer, session, core, done=done)

    # A refusal is answered, not raised: a wrong current password counts like a failed
    # sign-in, and the count must commit. Too many attempts: 429.
    return await form.submit(
        ConsoleSessionService(session, core).change_own_password(
            viewer.user, viewer.row, current=current, new=new, client=client_of(request, core)
        ),
        done=changed,
        error_key="message",
        passes=(),
        explain=explain,
    )
