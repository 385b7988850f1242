"""The worklist: status tabs with counts, filters, search, sort and cursor pages; a
selection of rows changed at once (:mod:`storage.services.bulk`); each row's link
carries the list it came from, so the case page can offer the next case of that list."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Set
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse

from admin_api.console import labels
from admin_api.console.views import excerpt, sla
from admin_api.console.web import (
    BACKGROUND_FRAGMENT,
    PREFIX,
    ConsoleProblem,
    ConsoleRoute,
    ReadViewerDep,
    Viewer,
    WriteViewerDep,
    error_text,
    render,
    require,
)
from admin_api.web.i18n import Texts, collation_key
from admin_api.web.sessions import CoreDep, ReadSessionDep, WriteSessionDep
from storage.core import Core
from storage.db import Session
from storage.enums import OPEN_STATUSES, Language, Priority, Role, Sort, Status
from storage.errors import DomainError, InvalidInput
from storage.periods import in_range
from storage.refs import canonical_ref
from storage.repositories.filters import CaseFilter
from storage.search import terms
from storage.services.bulk import MAX_BULK, BulkAction, BulkChange, BulkResult, BulkTriage, Selected
from storage.services.console import SavedFilters, StaffDirectory
from storage.services.worklist import Worklist

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

PAGE = 25
# The most rows a refresh shows again (a page that loaded more keeps them all).
MAX_SHOWN = 200
# How often the worklist refreshes its rows and counts by itself.
REFRESH_SECONDS = 60
TABS = ("open", *(s.value for s in Status))
OPEN = tuple(s.value for s in Status if s in OPEN_STATUSES)
MAX_Q = 200
_TAG = re.compile(r"[\w:-]{1,40}")
# The cookie that remembers the compact view (set by static/console.js).
COMPACT_COOKIE = "holos_compact"


@dataclass(frozen=True)
class Query:
    """The worklist's query string, read leniently: a value the form cannot produce is
    dropped rather than refused, so an old bookmark still opens a list."""

    tab: str = "open"
    category: str = ""
    priority: str = ""
    oblast: str = ""
    programme: str = ""
    language: str = ""
    tag: str = ""
    # "mine", "unassigned" or a colleague's id (one the worklist lists).
    assignee: str = ""
    overdue: bool = False
    # Only the sealed channel's cases: where a focal point's alert leads (it never links
    # the case itself). Means nothing to a role that sees no sealed case.
    sealed: bool = False
    created_from: str = ""
    created_to: str = ""
    q: str = ""
    sort: str = "due"
    cursor: str = ""

    @classmethod
    def of(cls, request: Request, core: Core, colleagues: Set[str]) -> Query:
        return cls.parse(request.query_params, core, colleagues)

    @classmethod
    def from_link(cls, value: str, core: Core) -> Query:
        """The list a case page was opened from (its ``from``, a query string). A named
        assignee in it only narrows that list, so any id is read as it is."""
        return cls.parse(dict(parse_qsl(value[:3000])), core, None)

    @classmethod
    def parse(cls, p: Mapping[str, str], core: Core, colleagues: Set[str] | None) -> Query:
        """``colleagues``: the ids a named-assignee filter may name; None for any (a
        filter being saved: who it names is checked each time the list is shown)."""
        catalog = core.catalog
        tag = (p.get("tag") or "").strip().lower()
        assignee = p.get("assignee", "")
        if not (
            assignee in ("mine", "unassigned")
            or (assignee.isdigit() and len(assignee) < 10 and colleagues is None)
            or (colleagues is not None and assignee in colleagues)
        ):
            assignee = ""

        def one(name: str, allowed: set[str]) -> str:
            value = p.get(name, "")
            return value if value in allowed else ""

        return cls(
            tab=one("tab", set(TABS)) or "open",
            category=one("category", {c.code for c in catalog.categories}),
            priority=one("priority", {x.value for x in Priority}),
            oblast=one("oblast", {o.code for o in catalog.oblasts}),
            programme=one("programme", {x.code for x in catalog.programmes}),
            language=one("language", {x.value for x in Language}),
            tag=tag if _TAG.fullmatch(tag) else "",
            assignee=assignee,
            overdue=p.get("overdue") == "1",
            sealed=p.get("sealed") == "1",
            created_from=_date(p.get("created_from")),
            created_to=_date(p.get("created_to")),
            q=(p.get("q") or "").strip()[:MAX_Q],
            sort=one("sort", {s.value for s in Sort}) or "due",
            cursor=(p.get("cursor") or "")[:2000],
        )

    @property
    def refined(self) -> bool:
        """Whether a filter beyond search and "overdue" is set (its panel shows open)."""
        return any(
            (
                self.category,
                self.priority,
                self.oblast,
                self.programme,
                self.language,
                self.tag,
                self.assignee,
                self.created_from,
                self.created_to,
                self.sort != "due",
            )
        )

    def params(self, **changes: object) -> str:
        """This query as a query string, with some values changed."""
        values = {**self.__dict__, **changes}
        values["overdue"] = "1" if values["overdue"] else ""
        values["sealed"] = "1" if values["sealed"] else ""
        return urlencode({k: v for k, v in values.items() if v})

    @property
    def link(self) -> str:
        """The list itself, without its page: what a case page's ``from`` holds."""
        return self.params(cursor="")

    def case_filter(self, viewer: Viewer, timezone: str, statuses: tuple[str, ...]) -> CaseFilter:
        return CaseFilter(
            statuses=[Status(s) for s in statuses],
            categories=[self.category] if self.category else [],
            priorities=[Priority(self.priority)] if self.priority else [],
            oblasts=[self.oblast] if self.oblast else [],
            programmes=[self.programme] if self.programme else [],
            languages=[Language(self.language)] if self.language else [],
            tags=[self.tag] if self.tag else [],
            assignee_id=(
                viewer.user.id
                if self.assignee == "mine"
                else int(self.assignee)
                if self.assignee.isdigit()
                else None
            ),
            unassigned=self.assignee == "unassigned",
            overdue=True if self.overdue else None,
            sensitive=True if self.sealed else None,
            created_from=_day_start(self.created_from, timezone),
            # The "to" day is included: the filter ends where the next day starts.
            created_to=_day_start(self.created_to, timezone, days_after=1),
        )


def _date(value: str | None) -> str:
    """A day the form could have sent, or nothing (a day out of range is dropped too)."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return ""
    return day.isoformat() if in_range(day) else ""


def _day_start(value: str, timezone: str, days_after: int = 0) -> datetime | None:
    if not value:
        return None
    from zoneinfo import ZoneInfo

    day = date.fromisoformat(value) + timedelta(days=days_after)
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone))


def statuses_of(tab: str) -> tuple[str, ...]:
    return OPEN if tab == "open" else (tab,)


async def rows_page(
    viewer: Viewer, query: Query, session: Session, core: Core, *, limit: int = PAGE
) -> tuple[list[dict[str, object]], str | None, int, str]:
    worklist = Worklist(session, core)
    flt = query.case_filter(viewer, core.settings.timezone, statuses_of(query.tab))
    notice = ""
    try:
        page = await worklist.page(
            viewer.actor,
            flt,
            query=query.q or None,
            sort=query.sort,
            cursor=query.cursor or None,
            limit=limit,
            positions=True,
        )
    except DomainError:
        # A stale or forged cursor: start the list again rather than fail.
        page = await worklist.page(
            viewer.actor, flt, query=query.q or None, sort=query.sort, limit=limit, positions=True
        )
        notice = viewer.texts.gettext(labels.ERROR["invalid_cursor"])
    now = core.clock.now()
    names = await StaffDirectory(session).names(c.assignee_id for c in page.items)
    news = await worklist.new_activity(viewer.actor, [c.id for c in page.items])
    files = await worklist.attachment_counts([c.id for c in page.items])
    catalog = core.catalog
    rows: list[dict[str, object]] = [
        {
            "case": case,
            "excerpt": excerpt(case),
            "sla": sla(case, now, viewer.texts),
            "assignee": names.get(case.assignee_id) if case.assignee_id else None,
            "news": sorted(news.get(case.id, ())),
            "oblast": catalog.oblast(case.oblast).name(viewer.language),
            "files": files.get(case.id, 0),
            # A reporter's addition counts as activity as much as a colleague's change.
            "active_at": max(case.updated_at, case.reporter_updated_at or case.updated_at),
            "link": urlencode({"from": query.link, "after": position}),
        }
        for case, position in zip(page.items, page.positions, strict=True)
    ]
    return rows, page.next_cursor, page.total, notice


def _shown(request: Request) -> int:
    """How many rows the page shows already (a "more" link's, or the refresh's)."""
    value = request.query_params.get("shown", "")
    return min(int(value), MAX_SHOWN) if value.isdigit() else 0


@router.get("/cases")
async def worklist(
    request: Request, viewer: ReadViewerDep, session: ReadSessionDep, core: CoreDep
) -> HTMLResponse:
    return await worklist_page(request, viewer, session, core)


async def worklist_page(
    request: Request,
    viewer: Viewer,
    session: Session,
    core: Core,
    *,
    status_code: int = 200,
    **extra: object,
) -> HTMLResponse:
    if viewer.actor.role is Role.ANALYST:
        # Analysts read figures, not cases: their console starts at the dashboard.
        raise ConsoleProblem(303, redirect=f"{PREFIX}/indicators")
    require(viewer.actor.can_see_cases, viewer.texts)
    language = viewer.language
    by_name = collation_key(language)
    # Anyone a standard case can be assigned to: the named-assignee filter's choices.
    colleagues = sorted(
        await StaffDirectory(session).assignees(viewer.actor, sensitive=False),
        key=lambda c: by_name(c[1]),
    )
    query = Query.of(request, core, {str(i) for i, _ in colleagues})
    fragment = request.query_params.get("fragment", "")
    background = fragment == BACKGROUND_FRAGMENT
    shown = _shown(request)
    if background:
        # The refresh: the rows the page shows, from the top, and the tabs' counts.
        query = replace(query, cursor="")
    service = Worklist(session, core)
    counts = dict.fromkeys(TABS, 0)
    news = dict.fromkeys(TABS, 0)
    rows: list[dict[str, object]]
    next_cursor: str | None
    if query.q and canonical_ref(query.q) is not None:
        # A reference opens its case. One the viewer may not see is answered like one
        # that does not exist: an empty list and the same notice.
        found = await service.page(viewer.actor, CaseFilter(), query=query.q, limit=1)
        if found.items and not background:
            raise ConsoleProblem(303, redirect=f"{PREFIX}/cases/{found.items[0].ref}")
        rows, next_cursor, total = [], None, 0
        notice = viewer.texts.gettext(labels.ERROR["no_case_with_reference"])
    elif query.q and not terms(query.q):
        rows, next_cursor, total = [], None, 0
        notice = viewer.texts.gettext(labels.ERROR["no_search_words"])
    else:
        rows, next_cursor, total, notice = await rows_page(
            viewer, query, session, core, limit=max(PAGE, shown) if background else PAGE
        )
        if fragment == "1":
            # A "show more" link: the next rows, and the refresh told how many are shown.
            return render(
                request,
                "worklist_rows.html",
                viewer.texts,
                viewer,
                query=query,
                rows=rows,
                next_cursor=next_cursor,
                shown=shown + len(rows),
                more=True,
            )
        counts, news = await tab_counts(viewer, query, session, core, total)
    if not notice and request.query_params.get("notice") in _FORM_NOTICES:
        notice = viewer.texts.gettext(labels.ERROR[request.query_params["notice"]])
    catalog = core.catalog
    template = "worklist_poll.html" if fragment == BACKGROUND_FRAGMENT else "worklist.html"
    return render(
        request,
        template,
        viewer.texts,
        viewer,
        status_code=status_code,
        compact=request.cookies.get(COMPACT_COOKIE) == "1",
        bulk_actions=[a.value for a in BulkAction],
        assignees=colleagues,
        max_bulk=MAX_BULK,
        query=query,
        rows=rows,
        next_cursor=next_cursor,
        total=total,
        notice=notice,
        tabs=TABS,
        counts=counts,
        categories=[
            c.code for c in catalog.categories if viewer.actor.may_see(sensitive=c.sensitive)
        ],
        # By name in the page's language (not by ISO code); "abroad" and "prefer not to
        # say" after the regions.
        oblasts=[
            (o.code, o.name(language))
            for o in sorted(
                catalog.oblasts,
                key=lambda o: (o.kind in _NOT_A_REGION, by_name(o.name(language))),
            )
        ],
        programmes=sorted(
            ((p.code, p.name(language)) for p in catalog.programmes),
            key=lambda p: by_name(p[1]),
        ),
        colleagues=[(str(i), name) for i, name in colleagues if i != viewer.user.id],
        saved_filters=await SavedFilters(session, core).of(viewer.user.id),
        built_in_filters=BUILT_IN_FILTERS,
        current_filter=query.params(cursor=""),
        languages=[x.value for x in Language],
        priorities=[x.value for x in Priority],
        sorts=list(labels.SORT),
        news=news,
        shown=len(rows),
        refresh_seconds=REFRESH_SECONDS,
        # After an operator moved a case into the sealed channel (the case route).
        moved=request.query_params.get("moved", ""),
        **extra,
    )


@router.post("/cases/bulk")
async def bulk(
    request: Request,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    action: Annotated[str, Form(max_length=20)] = "",
    assignee: Annotated[str, Form(max_length=20)] = "",
    priority: Annotated[str, Form(max_length=20)] = "",
    tag: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse:
    """The selected rows (``case``: reference and version as the list showed them), one
    change; then the list again, with what became of each case."""
    form = await request.form()
    picked = [v for v in form.getlist("case") if isinstance(v, str)][: MAX_BULK + 1]
    texts = viewer.texts
    try:
        change = _bulk_change(action, assignee, priority, tag)
        result = await BulkTriage(session, core).apply(
            viewer.actor, [_selected(v) for v in picked], change
        )
    except DomainError as error:
        if isinstance(error, InvalidInput) and not picked:
            message = texts._("Select at least one case first.")
        else:
            message = error_text(error, texts)
        return await worklist_page(
            request, viewer, session, core, status_code=422, bulk_error=message
        )
    return await worklist_page(request, viewer, session, core, bulk=_bulk_summary(result, texts))


def _bulk_change(action: str, assignee: str, priority: str, tag: str) -> BulkChange:
    if action not in BulkAction._value2member_map_:
        raise InvalidInput("Choose what to do with the selected cases.")
    # Empty means nobody (unassign); anything else must be an id an account can have.
    if assignee and not (assignee.isdigit() and 0 < int(assignee) < 2**31):
        raise InvalidInput("No such colleague.")
    return BulkChange(
        BulkAction(action),
        assignee_id=int(assignee) if assignee else None,
        priority=Priority(priority) if priority in Priority._value2member_map_ else None,
        tag=tag,
    )


def _selected(value: str) -> Selected:
    ref, _, version = value.rpartition(":")
    if not ref or not version.isdigit():
        raise InvalidInput("A selected row is not one the list drew.")
    return Selected(ref, int(version))


@dataclass(frozen=True)
class BulkSummary:
    changed: int
    unchanged: int
    stale: list[str]
    refused: list[tuple[str, str]]  # reference, reason


def _bulk_summary(result: BulkResult, texts: Texts) -> BulkSummary:
    refused = []
    for item in result.refused:
        msgid = labels.ERROR.get(item.code or "")
        if item.code == "case_not_found":
            reason = texts._("There is no such case.")
        else:
            reason = texts.gettext(msgid) if msgid else texts.gettext(labels.ERROR["invalid_input"])
        refused.append((item.ref, reason))
    return BulkSummary(
        changed=len(result.changed),
        unchanged=len(result.items) - len(result.changed) - len(result.stale) - len(refused),
        stale=result.stale,
        refused=refused,
    )


async def tab_counts(
    viewer: Viewer, query: Query, session: Session, core: Core, total: int
) -> tuple[dict[str, int], dict[str, int]]:
    """Each tab's number of cases, and of cases with something new to this reader."""
    service = Worklist(session, core)
    counts = {}
    for tab in TABS:
        flt = query.case_filter(viewer, core.settings.timezone, statuses_of(tab))
        counts[tab] = (
            total
            if tab == query.tab
            else (await service.page(viewer.actor, flt, query=query.q or None, limit=1)).total
        )
    flt = query.case_filter(viewer, core.settings.timezone, ())
    by_status = await service.new_activity_by_status(viewer.actor, flt, query=query.q or None)
    news = {tab: sum(by_status.get(s, 0) for s in statuses_of(tab)) for tab in TABS}
    return counts, news


# Filters every person has without saving them: (label key, query string).
BUILT_IN_FILTERS = (
    ("my_overdue", Query(assignee="mine", overdue=True).params()),
    ("unassigned_new", Query(tab="new", assignee="unassigned").params()),
)
_NOT_A_REGION = ("abroad", "undisclosed")
# Outcomes of the saved-filter forms, shown on the list they return to.
_FORM_NOTICES = ("invalid_filter_name", "too_many_saved_filters", "invalid_input")


@router.post("/saved-filters")
async def save_filter(
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    name: Annotated[str, Form(max_length=200)] = "",
    query: Annotated[str, Form(max_length=SavedFilters.MAX_QUERY * 2)] = "",
) -> Response:
    """The list as it is now, saved under a name; back to the same list."""
    wanted = Query.parse(dict(parse_qsl(query)), core, None).params(cursor="")
    back = f"{PREFIX}/cases?{wanted}"
    try:
        await SavedFilters(session, core).save(viewer.user.id, name, wanted)
    except DomainError as error:
        code = error.code if error.code in _FORM_NOTICES else "invalid_input"
        return RedirectResponse(f"{back}&notice={code}", status_code=303)
    return RedirectResponse(back, status_code=303)


@router.post("/saved-filters/{filter_id}/delete")
async def delete_filter(
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    filter_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
) -> Response:
    with contextlib.suppress(DomainError):  # already gone: the list shows what is left
        await SavedFilters(session, core).delete(viewer.user.id, filter_id)
    return RedirectResponse(f"{PREFIX}/cases", status_code=303)


__all__ = ["replace", "router"]
