"""A feedback point's public page (issue 24): ``/r/<code>``, what the poster's QR code
opens. It offers "Open in Telegram" (the bot's deep link, which starts the point's flow)
and "Answer here": the point's survey as one page, or, for a point without one, the
satisfaction rating, tied to the point either way.

As the web form (:mod:`.web_form`): plain HTML that works with JavaScript off, no
cookie, a neutral title and the quick-exit button; the form carries the web form's
signed token (a form sent twice is answered once, from this process's memory) and counts
against a per-address limit kept the same way, without keeping an address (both in
:mod:`.common`). Served
whether or not ``HOLOS_WEB_FORM`` is on (the poster prints this link); the link to the
complaint form only when it is.

What was chosen or typed is never lost: a refused answer redraws the page with every
answer as it was and a message at each question that needs attention.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from admin_api.public import common
from admin_api.public.common import (
    LANGUAGES,
    TOKEN_HOURS,
    form_key,
    guard_of,
    minutes_to_wait,
    new_token,
)
from admin_api.web.feedback_links import deep_link, local_today
from admin_api.web.i18n import Texts
from admin_api.web.sessions import CoreDep, ReadSessionDep, unit_of_work
from admin_api.web.uploads import BadForm, memory_form, text_of
from storage.clock import HOUR
from storage.core import Core
from storage.enums import Channel, Language, WhatWentWrong
from storage.errors import DomainError, FeedbackPointUnavailable, RateLimited
from storage.i18n import _
from storage.models import FeedbackPoint
from storage.services.feedback_points import (
    MAX_TEXT_ANSWER_CHARS,
    NO,
    YES,
    FeedbackPointService,
)
from storage.services.ratings import LOW_SCORES, MAX_COMMENT_CHARS, RatingService
from storage.services.throttle import Throttle
from storage.surveys import SCALE_MAX, SCALE_MIN, Question, QuestionKind, Survey

log = logging.getLogger("holos.public.feedback")

router = APIRouter(include_in_schema=False)

WEB_RESPONSES = "web:responses"
FIELD = "q_"  # a survey question's form field: q_<name>

# The bot's own words (the same catalog entries).
SCORE_LABELS = {
    1: _("Very dissatisfied"),
    2: _("Dissatisfied"),
    3: _("Neither satisfied nor dissatisfied"),
    4: _("Satisfied"),
    5: _("Very satisfied"),
}
REASON_LABELS = {
    WhatWentWrong.WAITING_TIME: _("Waiting time"),
    WhatWentWrong.RESPECT: _("How I was treated"),
    WhatWentWrong.INFORMATION: _("Not enough information"),
    WhatWentWrong.QUALITY: _("Quality of assistance"),
    WhatWentWrong.QUANTITY: _("Quantity of assistance"),
    WhatWentWrong.OTHER: _("Something else"),
}
UNAVAILABLE = {
    "unknown": _(
        "We do not know this code. Please check the address on the poster, letter by letter."
    ),
    "not_yet": _("Answers for this place are not open yet. Please come back later."),
    "expired": _(
        "Answers for this place have closed. Thank you for wanting to tell us: you can "
        "still reach us below."
    ),
}


def language_of(chosen: str | None, accept_language: str | None) -> str:
    """The language picked on the page, else the browser's first of ours, else uk."""
    if chosen in LANGUAGES:
        return chosen
    for part in (accept_language or "").split(","):
        primary = part.split(";")[0].strip().lower()[:2]
        if primary in LANGUAGES:
            return primary
    return "uk"


def page(
    request: Request, core: Core, template: str, lang: str, *, status_code: int = 200, **values: Any
) -> HTMLResponse:
    settings = core.settings
    return common.page(
        request,
        core,
        template,
        lang,
        status_code=status_code,
        hotline_hours=settings.hotline_hours,
        web_form=settings.web_form,
        bot_link=f"https://t.me/{core.telegram_username}" if core.telegram_username else None,
        **values,
    )


# What the form holds ------------------------------------------------------------------


@dataclass
class Typed:
    """The form as sent: every field as typed, redrawn when something is refused."""

    values: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, form: FormData) -> Typed:
        values = {
            key: value
            for key in form
            if isinstance(value := form.get(key), str) and key not in ("token", "lang")
        }
        reasons = [r for r in form.getlist("reasons") if isinstance(r, str)]
        return cls(values, reasons)

    def get(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass
class Checked:
    """What a sent form amounts to: the answers to store, or the problems per field."""

    answers: dict[str, str | int | None] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def bounds(question: Question) -> tuple[int, int]:
    low = question.minimum if question.minimum is not None else SCALE_MIN
    high = question.maximum if question.maximum is not None else SCALE_MAX
    return low, high


def choice_names(question: Question) -> list[str]:
    if question.kind is QuestionKind.YES_NO:
        return [YES, NO]  # whatever the XLSForm's list calls them, stored as yes or no
    return [c.name for c in question.choices]


def required(question: Question) -> bool:
    """Text answers are always optional (as in the bot, where they can be skipped)."""
    return question.required and question.kind is not QuestionKind.TEXT


def applies(question: Question, answers: dict[str, str | int | None]) -> bool:
    """Whether the question is asked, given the earlier answers (its ``relevant``)."""
    if question.relevant is None:
        return True
    earlier = answers.get(question.relevant.question)
    return earlier is not None and str(earlier) == question.relevant.value


def check_answers(survey: Survey, typed: Typed, t: Texts) -> Checked:
    checked = Checked()
    for question in survey.asked:
        name = question.name
        raw = typed.get(FIELD + name).strip()
        if not applies(question, checked.answers):
            # Not asked of this person: whatever the page sent for it is not kept.
            checked.answers[name] = None
            continue
        if not raw:
            checked.answers[name] = None
            if required(question):
                checked.problems[name] = t._("Please answer this question.")
            continue
        if question.kind is QuestionKind.SCALE:
            low, high = bounds(question)
            number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 4 else None
            if number is None or not low <= number <= high:
                checked.problems[name] = t._("Please choose a number from {low} to {high}.").format(
                    low=low, high=high
                )
                continue
            checked.answers[name] = number
        elif question.kind in (QuestionKind.CHOICE, QuestionKind.YES_NO):
            if raw not in choice_names(question):
                checked.problems[name] = t._("Please choose one of the answers.")
                continue
            checked.answers[name] = raw
        else:
            if len(raw) > MAX_TEXT_ANSWER_CHARS:
                checked.problems[name] = too_long(t, MAX_TEXT_ANSWER_CHARS, len(raw))
                continue
            checked.answers[name] = raw
    return checked


def check_rating(typed: Typed, t: Texts) -> Checked:
    checked = Checked()
    raw = typed.get("score").strip()
    if not raw:
        checked.problems["score"] = t._("Please answer this question.")
    elif raw not in ("1", "2", "3", "4", "5"):
        checked.problems["score"] = t._("Please choose a number from {low} to {high}.").format(
            low=1, high=5
        )
    else:
        checked.answers["score"] = int(raw)
    known = {r.value for r in WhatWentWrong}
    if any(r not in known for r in typed.reasons):
        checked.problems["reasons"] = t._("Please choose one of the answers.")
    comment = typed.get("comment").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        checked.problems["comment"] = too_long(t, MAX_COMMENT_CHARS, len(comment))
    return checked


def too_long(t: Texts, limit: int, length: int) -> str:
    return t.ngettext(
        "This answer is too long: it can have up to {limit} character (it has {length}). "
        "Please shorten it; everything else you chose is kept.",
        "This answer is too long: it can have up to {limit} characters (it has {length}). "
        "Please shorten it; everything else you chose is kept.",
        limit,
    ).format(limit=limit, length=length)


# Pages --------------------------------------------------------------------------------


def about(core: Core, point: FeedbackPoint, lang: str) -> str:
    """What the answers are about, in words the person knows: programme, oblast, site."""
    parts: list[str] = []
    catalog = core.catalog
    for programme in catalog.programmes:
        if programme.code == point.programme:
            parts.append(programme.name(lang))
    for oblast in catalog.oblasts:
        if oblast.code == point.oblast:
            parts.append(oblast.name(lang))
    if point.site:
        parts.append(point.site)
    return " · ".join(parts)


@dataclass(frozen=True)
class QuestionView:
    """One question as the page draws it, in the reader's language."""

    name: str
    kind: str
    label: str
    required: bool
    hint: str  # "answer only if …" for a question asked after a given earlier answer
    options: list[tuple[str, str]]  # (value, label) of radio buttons
    value: str  # what was chosen or typed
    low: int = SCALE_MIN
    high: int = SCALE_MAX


def option_label(question: Question, value: str, language: Language, t: Texts) -> str:
    for choice in question.choices:
        if choice.name.lower() == value:
            return _pick(choice.labels, language)
    if value == YES:
        return t._("Yes")
    if value == NO:
        return t._("No")
    return value


def _pick(labels: dict[Language, str], language: Language) -> str:
    return labels.get(language) or labels.get(Language.EN) or next(iter(labels.values()), "")


def question_views(
    survey: Survey, typed: Typed, language: Language, t: Texts
) -> list[QuestionView]:
    views: list[QuestionView] = []
    for q in survey.questions:
        hint = ""
        if q.relevant is not None:
            earlier = survey.question(q.relevant.question)
            hint = t._("Answer only if your answer to «{question}» was «{answer}».").format(
                question=earlier.label(language),
                answer=option_label(earlier, q.relevant.value, language, t),
            )
        low, high = bounds(q)
        if q.kind is QuestionKind.SCALE:
            options = [(str(n), str(n)) for n in range(low, high + 1)]
        else:
            options = [(v, option_label(q, v, language, t)) for v in choice_names(q)]
        views.append(
            QuestionView(
                name=q.name,
                kind=q.kind.value,
                label=q.label(language),
                required=required(q),
                hint=hint,
                options=options,
                value=typed.get(FIELD + q.name),
                low=low,
                high=high,
            )
        )
    return views


def point_page(
    request: Request,
    core: Core,
    point: FeedbackPoint,
    lang: str,
    typed: Typed,
    *,
    problems: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    survey = point.survey_definition
    language = Language(lang)
    t = Texts(lang, core.settings.timezone)
    return page(
        request,
        core,
        "point.html",
        lang,
        status_code=status_code,
        code=point.code,
        about=about(core, point, lang),
        telegram=deep_link(core, point.code),
        survey=survey,
        questions=question_views(survey, typed, language, t) if survey else [],
        labels={q.name: q.label(language) for q in survey.questions} if survey else {},
        typed=typed,
        problems=problems or {},
        notice=notice,
        token=new_token(core),
        field=FIELD,
        scores=SCORE_LABELS,
        reasons=REASON_LABELS,
        low_scores=LOW_SCORES,
        max_text=MAX_TEXT_ANSWER_CHARS,
        max_comment=MAX_COMMENT_CHARS,
    )


def unavailable_page(
    request: Request, core: Core, reason: str, lang: str, code: str
) -> HTMLResponse:
    return page(
        request,
        core,
        "point_unavailable.html",
        lang,
        status_code=404 if reason == "unknown" else 200,
        reason=reason,
        message=UNAVAILABLE.get(reason, UNAVAILABLE["unknown"]),
        code=code,
    )


@router.get("/r/{code}", response_class=HTMLResponse)
async def open_point(
    request: Request,
    code: str,
    session: ReadSessionDep,
    core: CoreDep,
    lang: str | None = None,
) -> HTMLResponse:
    language = language_of(lang, request.headers.get("accept-language"))
    try:
        point = await FeedbackPointService(session, core).open_point(code, local_today(core))
    except FeedbackPointUnavailable as gone:
        return unavailable_page(request, core, gone.reason, language, code)
    return point_page(request, core, point, language, Typed())


@router.post("/r/{code}", response_class=HTMLResponse)
async def answer(request: Request, code: str, core: CoreDep) -> HTMLResponse:
    try:
        form = await memory_form(request, file_cap=0, max_files=0)
    except BadForm:
        form = None
    # The form's language; when the body could not be read, the one the form's address
    # carries (nothing in it but the language).
    chosen = text_of(form, "lang") if form is not None else None
    lang = language_of(
        chosen if chosen in LANGUAGES else request.query_params.get("lang"),
        request.headers.get("accept-language"),
    )
    t = Texts(lang, core.settings.timezone)
    async with core.database.read_scope() as session:
        try:
            point = await FeedbackPointService(session, core).open_point(code, local_today(core))
        except FeedbackPointUnavailable as gone:
            return unavailable_page(request, core, gone.reason, lang, code)
    if form is None:
        return point_page(
            request,
            core,
            point,
            lang,
            Typed(),
            notice=t._(
                "Your answers were too long to read, so nothing was sent. Please go back, "
                "shorten the longest answer and send again."
            ),
            status_code=400,
        )
    typed = Typed.of(form)

    def refuse(
        message: str | None, status: int, problems: dict[str, str] | None = None
    ) -> HTMLResponse:
        return point_page(
            request, core, point, lang, typed, problems=problems, notice=message, status_code=status
        )

    key = form_key(core, text_of(form, "token"))
    if key is None:
        return refuse(
            t._(
                "This page was open too long or did not come from this site, so nothing was "
                "sent. Your answers are below: check them and send again."
            ),
            400,
        )
    survey = point.survey_definition
    checked = check_answers(survey, typed, t) if survey else check_rating(typed, t)
    if checked.problems:
        return refuse(None, 422, checked.problems)
    guard = guard_of(request, core)
    # The page's key is claimed before its answers are stored, so that a page sent twice
    # at once (a double click) is stored once; it is given back when they are not stored.
    answered = f"fp-answered:{key}"
    until = core.clock.now() + timedelta(hours=TOKEN_HOURS)
    if await guard.counters.add(answered, 1, until=until) > 1:
        await guard.counters.add(answered, -1, until=until)
        return page(request, core, "point_done.html", lang, code=point.code, repeated=True)

    async def store() -> HTMLResponse | None:
        """None once the answers are stored, else the page that says why not."""
        minutes = await minutes_to_wait(
            request, core, "web-response", core.settings.web_responses_per_address_per_hour
        )
        if minutes is not None:
            return refuse(
                t.ngettext(
                    "Too many answers from here. Please try again in {count} minute.",
                    "Too many answers from here. Please try again in {count} minutes.",
                    minutes,
                ).format(count=minutes),
                429,
            )
        try:
            async with unit_of_work(request, core) as session:
                throttle = Throttle(session, core.clock)
                await throttle.check(
                    WEB_RESPONSES, limit=core.settings.web_responses_per_hour, window=HOUR
                )
                if survey:
                    await FeedbackPointService(session, core).record_response(
                        point, checked.answers, language=Language(lang), channel=Channel.WEB
                    )
                else:
                    score = checked.answers["score"]
                    assert isinstance(score, int)
                    await RatingService(session, core).rate_assistance(
                        programme=point.programme,
                        score=score,
                        reasons=typed.reasons if score in LOW_SCORES else (),
                        comment=typed.get("comment"),
                        language=Language(lang),
                        channel=Channel.WEB,
                        feedback_point=point,
                    )
                await throttle.hit(WEB_RESPONSES, window=HOUR)
        except RateLimited:
            return refuse(
                t._("Many people are answering right now. Please try again in an hour."), 429
            )
        except DomainError as error:
            log.info("web_response_refused code=%s", error.code)
            return refuse(
                t._("Something in the form is not valid. Please check it and send again."), 422
            )
        return None

    try:
        refused = await store()
    except BaseException:
        await guard.counters.add(answered, -1, until=until)
        raise
    if refused is not None:
        await guard.counters.add(answered, -1, until=until)
        return refused
    log.info("web_response_recorded")
    return page(request, core, "point_done.html", lang, code=point.code, repeated=False)
