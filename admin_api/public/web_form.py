"""The anonymous web form, for people without Telegram: ``/report`` files a report and
``/status`` follows it with the receipt code, in Ukrainian, Russian or English, through
the same intake as the bot (:class:`~storage.services.intake.IntakeService`).

Plain HTML forms: they work with JavaScript off and in Tor Browser's safest mode. No
cookie is ever set: the report form carries the signed token of :mod:`.common` (a form
sent twice makes one case). Receipt and claim codes travel only in POST bodies, never in
a URL or a log line. Files are read into memory only and cleaned as the bot cleans them
before anything is written.

Limits without identifying anyone: per address, as :mod:`.common` counts them; and a
global rate for the whole form, in the database. Nothing about the browser, the address
or the headers is stored with a case.

Off unless ``HOLOS_WEB_FORM`` is set: then every path here is a 404.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from admin_api.public import common
from admin_api.public.common import (
    LANGUAGES,
    address_of,
    form_key,
    guard_of,
    minutes_to_wait,
    new_token,
)
from admin_api.web.files import stage_files
from admin_api.web.i18n import Texts
from admin_api.web.sessions import CoreDep, unit_of_work
from admin_api.web.uploads import BadForm, files_of, memory_form, text_of
from storage import wording
from storage.clock import HOUR
from storage.core import Core
from storage.crypto import format_receipt_code
from storage.enums import ContactMode, Language
from storage.errors import (
    ClaimAlreadyUsed,
    DomainError,
    EmptyNarrative,
    InvalidReceiptCode,
    RateLimited,
)
from storage.i18n import _, pgettext
from storage.services.attachments import AttachmentService, StagedAttachment
from storage.services.intake import ContactChoice, IntakeService, ReportSubmission
from storage.services.throttle import ReceiptMisses, Throttle

log = logging.getLogger("holos.public.web_form")

router = APIRouter(include_in_schema=False)

WEB_REPORTS = "web:reports"

# What people read: the bot's own words (the same catalog entries).
CATEGORY = {
    "assistance_quality": _("Quality or quantity of assistance"),
    "selection_process": _("Selection or registration"),
    "staff_conduct": _("Behaviour of staff or partners"),
    "information_request": _("I need information"),
    "assistance_request": _("I need assistance"),
    "suggestion": _("A suggestion or thanks"),
    "fraud_corruption": _("💰 Fraud or corruption"),
    "sexual_exploitation": _("🛡 Sexual exploitation and abuse"),
    "trafficking": _("🧳 Trafficking or labour exploitation"),
}
STATUS = {
    "new": pgettext("report status", "new"),
    "acknowledged": pgettext("report status", "acknowledged"),
    "in_progress": pgettext("report status", "in progress"),
    "referred": pgettext("report status", "referred"),
    "resolved": pgettext("report status", "resolved"),
    "closed": pgettext("report status", "closed"),
}


def served(core: Core) -> None:
    if not core.settings.web_form:
        raise HTTPException(status_code=404)


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else "uk"


def page(
    request: Request, core: Core, template: str, lang: str, *, status_code: int = 200, **values: Any
) -> HTMLResponse:
    return common.page(
        request,
        core,
        template,
        lang,
        status_code=status_code,
        categories=CATEGORY,
        statuses=STATUS,
        languages=LANGUAGES,
        **values,
    )


@dataclass
class Typed:
    """What the report form holds, drawn again as typed when something is refused or the
    person goes back to change the category."""

    category: str = ""
    programme: str = ""
    oblast: str = ""
    narrative: str = ""
    contact: str = ""

    @classmethod
    def of(cls, form: FormData) -> Typed:
        return cls(
            category=text_of(form, "category"),
            programme=text_of(form, "programme"),
            oblast=text_of(form, "oblast"),
            narrative=text_of(form, "narrative"),
            contact=text_of(form, "contact"),
        )


# The programme choice "Not sure / other", as the bot's button.
NOT_SURE = "-"


def known_category(core: Core, code: str) -> bool:
    return code in CATEGORY and code in {c.code for c in core.catalog.categories}


def report_form(
    request: Request,
    core: Core,
    lang: str,
    typed: Typed,
    *,
    details: bool | None = None,
    errors: list[str] | None = None,
    files_dropped: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    """The report form with what was typed. Step 1 (``details`` false): what the report
    is about, with what was typed in step 2 riding along hidden, so going back to change
    the category loses nothing. Step 2: the chosen category's intro, then the programme,
    the oblast, the account, files and the contact. By default step 2 when the category
    is one we know, else step 1 (a code posted by hand is never echoed as a choice)."""
    if details is None:
        details = known_category(core, typed.category)
    return page(
        request,
        core,
        "report_details.html" if details else "report.html",
        lang,
        status_code=status_code,
        typed=typed,
        errors=errors or [],
        files_dropped=files_dropped,
        token=new_token(core),
        **(details_of(core, lang, typed.category) if details else {}),
    )


def details_of(core: Core, lang: str, category: str) -> dict[str, Any]:
    """What step 2 shows for ``category``: a sensitive category's own intro and the
    referral lines configured for it (in the bot's words: storage.wording), a standard
    one's short general intro; the catalog's programmes and places; the limits."""
    sensitive = category in core.catalog.sensitive_codes
    heading: str | None = None
    intro = wording.general_intro()
    referrals: list[wording.Referral] = []
    if sensitive:
        heading, *intro = wording.sensitive_intro(category)
        referrals = wording.referrals(category, core.settings, lang)
    return {
        "sensitive": sensitive,
        "intro_heading": heading,
        "intro": intro,
        "referrals": referrals,
        "help_now": wording.HELP_NOW,
        "confidential": wording.CONFIDENTIAL,
        "programmes": [(p.code, p.name(lang)) for p in core.catalog.programmes],
        "not_sure": NOT_SURE,
        "oblasts": [(o.code, o.name(lang)) for o in core.catalog.oblasts],
        "max_narrative": core.settings.narrative_max_chars,
        "max_files": core.settings.attachments_max_count,
        "max_mb": core.settings.attachment_max_bytes // (1024 * 1024),
    }


async def posted(request: Request, core: Core) -> FormData | None:
    settings = core.settings
    try:
        return await memory_form(
            request,
            file_cap=settings.attachment_max_bytes,
            max_files=settings.attachments_max_count + 1,
        )
    except BadForm:
        return None


@router.get("/report", response_class=HTMLResponse)
async def report_page(request: Request, core: CoreDep, lang: str = "uk") -> HTMLResponse:
    served(core)
    return report_form(request, core, language_of(lang), Typed())


@router.post("/report", response_class=HTMLResponse)
async def report_step(request: Request, core: CoreDep) -> HTMLResponse:
    """Every step posts here, so the chosen category never enters a URL, the browser's
    history or a log line: ``step`` says which button was pressed (step 1's «Continue»,
    step 2's «Back» or «Send»; none: a form of the one-step page, sent), and
    ``switch_lang`` a language of the page's switch."""
    served(core)
    form = await posted(request, core)
    if form is None:
        return report_form(request, core, "uk", Typed(), status_code=400)
    lang = language_of(text_of(form, "lang"))
    t = Texts(lang, core.settings.timezone)
    typed = Typed.of(form)
    switch = text_of(form, "switch_lang")
    if switch:
        return await switch_language(request, core, form, language_of(switch), typed)
    step = text_of(form, "step", "send")
    if step == "back":
        return report_form(request, core, lang, typed, details=False)
    if step == "details":
        errors = [] if known_category(core, typed.category) else [choose_category(t)]
        return report_form(
            request, core, lang, typed, errors=errors, status_code=422 if errors else 200
        )
    return await send_report(request, core, form, lang, typed)


async def switch_language(
    request: Request, core: Core, form: FormData, lang: str, typed: Typed
) -> HTMLResponse:
    """The same step again in ``lang`` with everything typed (the bot keeps its draft
    across a change of language too): nothing is checked, sent or counted. Files cannot
    ride along (a browser never fills a file input), so step 2 says so if some were
    chosen."""
    details = text_of(form, "at") == "details" and known_category(core, typed.category)
    chosen = bool(await files_of(form, "files")) if details else False
    return report_form(request, core, lang, typed, details=details, files_dropped=chosen)


def choose_category(t: Texts) -> str:
    return t._("Please choose what the report is about.")


async def send_report(
    request: Request, core: Core, form: FormData, lang: str, typed: Typed
) -> HTMLResponse:
    t = Texts(lang, core.settings.timezone)

    def refuse(message: str, status: int = 422) -> HTMLResponse:
        return report_form(request, core, lang, typed, errors=[message], status_code=status)

    key = form_key(core, text_of(form, "token"))
    if key is None:
        return refuse(
            t._(
                "This form was open too long or did not come from this site, so nothing was "
                "sent. What you wrote is below: check it and send it again."
            ),
            400,
        )
    if not known_category(core, typed.category):
        return refuse(choose_category(t))
    if not typed.narrative.strip():
        return refuse(t._("Please describe what happened: the report cannot be empty."))
    programme: str | None = None
    if core.catalog.programmes:
        if typed.programme != NOT_SURE and typed.programme not in {
            p.code for p in core.catalog.programmes
        }:
            return refuse(
                t._("Please choose which assistance this is about, or «Not sure / other».")
            )
        programme = None if typed.programme == NOT_SURE else typed.programme
    if typed.oblast not in {o.code for o in core.catalog.oblasts}:
        return refuse(t._("Please choose where it happened."))
    minutes = await minutes_to_wait(
        request, core, "web-report", core.settings.web_reports_per_address_per_hour
    )
    if minutes is not None:
        return refuse(
            t.ngettext(
                "Too many reports from here. Please try again in {count} minute.",
                "Too many reports from here. Please try again in {count} minutes.",
                minutes,
            ).format(count=minutes),
            429,
        )
    uploads = await files_of(form, "files")
    if len(uploads) > core.settings.attachments_max_count:
        return refuse(t._("Too many files for one report."))
    staged, refused = await stage_files(t, core, uploads)
    if refused:
        await AttachmentService(core).discard(staged)
        return report_form(request, core, lang, typed, errors=refused, status_code=422)
    contact = (
        ContactChoice(ContactMode.TYPED, typed=typed.contact)
        if typed.contact.strip()
        else ContactChoice()
    )
    report = ReportSubmission(
        category=typed.category,
        language=Language(lang),
        oblast=typed.oblast,
        programme=programme,
        narrative=typed.narrative,
        attachments=staged,
        contact=contact,
    )
    receipt = await IntakeService.draw_receipt(core.crypto)
    try:
        async with unit_of_work(request, core) as session:
            throttle = Throttle(session, core.clock)
            await throttle.check(WEB_REPORTS, limit=core.settings.web_reports_per_hour, window=HOUR)
            done = await IntakeService(session, core).submit_web(
                report, form_key=key, receipt=receipt
            )
            if not done.repeated:
                await throttle.hit(WEB_REPORTS, window=HOUR)
    except RateLimited:
        await AttachmentService(core).discard(staged)
        return refuse(t._("Many people are writing right now. Please try again in an hour."), 429)
    except EmptyNarrative:
        await AttachmentService(core).discard(staged)
        return refuse(t._("Please describe what happened: the report cannot be empty."))
    except DomainError as error:
        await AttachmentService(core).discard(staged)
        log.info("web_report_refused code=%s", error.code)
        return refuse(t._("Something in the form is not valid. Please check it and send again."))
    if done.repeated:
        await AttachmentService(core).discard(staged)
    log.info("web_report_submitted")
    return page(request, core, "report_done.html", lang, done=done)


# Follow-up -------------------------------------------------------------------------


@router.get("/status", response_class=HTMLResponse)
async def status_page(request: Request, core: CoreDep, lang: str = "uk") -> HTMLResponse:
    served(core)
    return page(request, core, "status.html", language_of(lang), error=None)


@router.post("/status", response_class=HTMLResponse)
async def open_status(request: Request, core: CoreDep) -> HTMLResponse:
    served(core)
    form = await posted(request, core)
    lang = language_of(text_of(form, "lang") if form is not None else None)
    if form is None:
        return page(request, core, "status.html", lang, error=None, status_code=400)
    return await follow_up(request, core, form, lang, adding=request.url.path.endswith("/add"))


@router.post("/status/add", response_class=HTMLResponse)
async def add_information(request: Request, core: CoreDep) -> HTMLResponse:
    return await open_status(request, core)


async def follow_up(
    request: Request, core: Core, form: FormData, lang: str, *, adding: bool
) -> HTMLResponse:
    t = Texts(lang, core.settings.timezone)
    code = text_of(form, "code")
    guard = guard_of(request, core)
    misses = ReceiptMisses(guard.counters, core.clock, guard.person(address_of(request, core)))

    def refused(message: str, status: int) -> HTMLResponse:
        return page(request, core, "status.html", lang, error=message, status_code=status)

    staged: list[StagedAttachment] = []
    notice: list[str] | None = None
    try:
        async with unit_of_work(request, core) as session:
            service = IntakeService(session, core)
            match = await service.lookup_code(code, misses=misses)
            if match is None:
                return refused(
                    t._("No report has this code. Please check the digits and enter it again."),
                    404,
                )
            case = match.case
            if adding:
                text = text_of(form, "text")
                uploads = await files_of(form, "files")
                staged, problems = await stage_files(t, core, uploads)
                if problems:
                    notice = problems
                    await AttachmentService(core).discard(staged)
                    staged = []
                elif text.strip() or staged:
                    await service.add_reporter_info(case.id, text=text, attachments=staged)
                    notice = [t._("✅ Added to your report. Thank you.")]
            view = await service.reporter_view(case, language=Language(lang))
    except ClaimAlreadyUsed:
        return refused(
            t._(
                "This one-time code has already been used, so it cannot open a report again. "
                "If it was not you who used it, please call our hotline: they will help you."
            ),
            409,
        )
    except InvalidReceiptCode:
        return refused(
            t._("Please enter your receipt code: 16 digits, for example 1234 5678 9012 3456."),
            422,
        )
    except RateLimited as exc:
        minutes = max(1, math.ceil(exc.retry_after / 60))
        return refused(
            t.ngettext(
                "Too many wrong codes. To keep reports safe, please wait {count} minute and "
                "try again.",
                "Too many wrong codes. To keep reports safe, please wait {count} minutes and "
                "try again.",
                minutes,
            ).format(count=minutes),
            429,
        )
    except DomainError as error:
        await AttachmentService(core).discard(staged)
        log.info("web_addition_refused code=%s", error.code)
        return refused(
            t._("Something in the form is not valid. Please check it and send again."), 422
        )
    own = match.receipt_code
    return page(
        request,
        core,
        "status_view.html",
        lang,
        view=view,
        # The code the page's own forms send back (never in a URL): a claim code is spent,
        # so from here on the person's own.
        code=own or code,
        new_code=format_receipt_code(own) if own else None,
        notice=notice,
        max_files=core.settings.attachments_max_count,
    )
